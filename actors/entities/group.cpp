#include "actors/entities/group.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "actors/entities/entities.hpp"
#include "actors/entities/repo.hpp"
#include "runtime/service_kit.hpp"

namespace weft::entities {

caf::expected<service_instance> spawn_entities_group(service_context& ctx,
                                                     std::shared_ptr<const catalog> cat,
                                                     bool allow_destructive) {
  for (const auto& what : cat->not_served)
    spdlog::warn("schema: {} is checked but not served by this version of Weft", what);
  // Collections with the provider memory live in the node's memory store:
  // on an embedded node `ctx.data` itself, beside it on a durable one.
  store* memory = nullptr;
  if (ctx.data.kind() == store_kind::postgres) {
    if (std::any_of(cat->collections.begin(), cat->collections.end(),
                    [](const collection& c) { return c.provider == "memory"; })) {
      if (ctx.memory == nullptr)
        return caf::make_error(caf::sec::runtime_error, "schema: this node has no memory store");
      memory = ctx.memory;
    }
    auto session = ctx.data.open_session("entities-migrate");
    auto done = transact<std::vector<std::string>>(*session, [&](unit_of_work& w) {
      return sync_tables(w, *cat, allow_destructive);
    });
    if (!done)
      return std::move(done.error());
    for (const auto& line : *done)
      spdlog::info("schema: {}", line);
  }
  return kit::spawn_front(ctx, "entities", entities_behavior, cat, memory).instance();
}

} // namespace weft::entities
