#include "actors/entities/module.hpp"

#include "actors/entities/catalog.hpp"
#include "actors/entities/group.hpp"
#include "actors/entities/interface.hpp"
#include "actors/entities/settings.hpp"

#include <algorithm>
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
    if (std::any_of(cat->collections.begin(), cat->collections.end(),
                    [](const collection& c) { return !c.trackings.empty(); }))
      d.publishes.push_back(event_decl{
        "analytics.tracked", 1,
        {{"type", "object"},
         {"properties",
          {{"eventName", {{"type", "string"}}},
           {"entity", {{"type", "string"}}},
           {"id", {{"type", "string"}, {"format", "uuid"}}},
           {"trigger", {{"type", "string"}, {"enum", {"create", "update", "delete"}}}},
           {"properties", {{"type", "object"}}}}},
         {"required", {"eventName", "entity", "id", "trigger", "properties"}}}});
    if (std::any_of(cat->collections.begin(), cat->collections.end(),
                    [](const collection& c) { return !c.notifyings.empty(); }))
      d.publishes.push_back(event_decl{
        "notifications.inapp.requested", 1,
        {{"type", "object"},
         {"properties",
          {{"binding", {{"type", "string"}}},
           {"entity", {{"type", "string"}}},
           {"entity_id", {{"type", "string"}, {"format", "uuid"}}},
           {"trigger", {{"type", "string"}, {"enum", {"create", "update", "delete"}}}},
           {"recipients", {{"type", "array"}, {"items", {{"type", "string"}}}}},
           {"title", {{"type", "string"}}}}},
         {"required", {"binding", "entity", "entity_id", "trigger", "recipients", "title"}}}});
    for (const auto& c : cat->collections) {
      binding_decl b{c.entity.name, "crud.rest", c.provider, {}};
      for (const auto& r : d.routes)
        if (r.operation_id.starts_with("entities." + c.plural + "."))
          b.operations.push_back(r.operation_id);
      d.bindings.push_back(std::move(b));
      for (size_t i = 0; i < c.trackings.size(); ++i)
        d.bindings.push_back(binding_decl{c.entity.name, "analytics.tracking", "weft", {}});
      for (size_t i = 0; i < c.notifyings.size(); ++i)
        d.bindings.push_back(binding_decl{c.entity.name, "notifications.inapp", "weft", {}});
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
