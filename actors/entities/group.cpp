#include "actors/entities/group.hpp"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "actors/entities/entities.hpp"
#include "actors/entities/repo.hpp"
#include "runtime/service_kit.hpp"

namespace weft::entities {

caf::expected<service_instance> spawn_entities_group(service_context& ctx,
                                                     std::shared_ptr<const catalog> cat,
                                                     bool allow_destructive,
                                                     std::shared_ptr<const auth::jwt_codec> jwt,
                                                     const auth::auth_settings& auth) {
  for (const auto& what : cat->not_served)
    spdlog::warn("schema: {} is checked but not served by this version of Weft", what);
  // Collections with the provider memory live in the node's memory store:
  // on an embedded node `ctx.data` itself, beside it on a durable one.
  store* memory = nullptr;
  if (ctx.data.kind() == store_kind::postgres) {
    auto in_memory = [](const collection& c) {
      return c.provider == "memory"
             || std::any_of(c.sign_ins.begin(), c.sign_ins.end(),
                            [](const sign_in& si) { return si.provider == "memory"; });
    };
    if (std::any_of(cat->collections.begin(), cat->collections.end(), in_memory)) {
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
  std::shared_ptr<const sign_in_deps> sign_in;
  caf::actor hashers;
  if (jwt != nullptr) {
    auth::password_params params{auth.password_memlimit_kib, auth.password_opslimit};
    auth::dummy_hash(params); // the first unknown-account login would pay for it
    auto deps = std::make_shared<sign_in_deps>();
    deps->jwt = std::move(jwt);
    deps->hasher = auth::spawn_password_hashers(ctx.system, auth.hash_threads, params);
    deps->limits = std::make_shared<auth::login_limits>(
      auth.login_per_account, auth.login_per_ip, std::chrono::seconds{auth.login_window_s});
    deps->refresh_ttl_s = auth.refresh_ttl_s;
    deps->password_min_length = auth.password_min_length;
    deps->password = params;
    hashers = caf::actor_cast<caf::actor>(deps->hasher);
    sign_in = std::move(deps);
  }
  auto instance = kit::spawn_front(ctx, "entities", entities_behavior, cat, memory, sign_in).instance();
  if (hashers)
    instance.actors.push_back(std::move(hashers));
  return instance;
}

} // namespace weft::entities
