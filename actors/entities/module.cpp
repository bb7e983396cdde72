#include "actors/entities/module.hpp"

#include "actors/entities/catalog.hpp"
#include "actors/entities/group.hpp"
#include "actors/entities/interface.hpp"
#include "actors/entities/settings.hpp"
#include "runtime/service_kit.hpp"

namespace weft::entities {

service_module module() {
  service_module m;
  m.name = "entities";
  m.config = config_sections;
  m.register_types = kit::register_types<crud_call, crud_answer>;
  m.declare = [](const config::settings& s) {
    service_decl d;
    d.name = "entities";
    auto schema = load_schema(s);
    if (!schema) { // the file changed since the config was checked: fail the start
      d.start = [err = schema.error()](service_context&) -> caf::expected<service_instance> {
        return err;
      };
      return d;
    }
    // Without a schema the service serves nothing (no routes), but starts
    // like any other: one idle front.
    auto cat = *schema ? build_catalog(**schema) : std::make_shared<const catalog>();
    d.routes = entity_routes(cat);
    for (const auto& c : cat->collections)
      for (const char* what : {"created", "updated", "deleted"}) {
        auto data = std::string{what} == "deleted"
                      ? nlohmann::json{{"type", "object"},
                                       {"properties", {{"id", {{"type", "string"}, {"format", "uuid"}}}}},
                                       {"required", {"id"}}}
                      : c.view_schema();
        if (std::string{what} == "updated")
          data["properties"]["changed"] = {{"type", "array"}, {"items", {{"type", "string"}}}};
        d.publishes.push_back(event_decl{c.event_prefix + "." + what, 1, data});
      }
    for (const auto& c : cat->collections) {
      binding_decl b{c.entity.name, "crud.rest", c.provider, {}};
      for (const auto& r : d.routes)
        if (r.operation_id.starts_with("entities." + c.plural + "."))
          b.operations.push_back(r.operation_id);
      d.bindings.push_back(std::move(b));
    }
    bool destructive = settings_of(s).allow_destructive;
    d.start = [cat, destructive](service_context& ctx) {
      return spawn_entities_group(ctx, cat, destructive);
    };
    return d;
  };
  return m;
}

} // namespace weft::entities
