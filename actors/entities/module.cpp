#include "actors/entities/module.hpp"

#include "actors/entities/catalog.hpp"
#include "actors/entities/group.hpp"
#include "actors/entities/interface.hpp"
#include "actors/entities/settings.hpp"

#include <algorithm>
#include <chrono>

#include "actors/auth/group.hpp"
#include "actors/auth/settings.hpp"
#include "actors/entities/sessions.hpp"
#include "runtime/service_kit.hpp"

namespace weft::entities {

service_module module() {
  service_module m;
  m.name = "entities";
  m.config = config_sections;
  m.migrations = migrations();
  m.register_types = kit::register_types<crud_call, crud_answer, sign_in_call>;
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
    const auto& auth = auth::auth_settings_of(s);
    d.routes = entity_routes(cat, auth.password_min_length);
    bool signs_in = false;
    for (const auto& c : cat->collections)
      for (const auto& si : c.sign_ins) {
        signs_in = true;
        if (si.cookies()
            && std::find(d.session_cookies.begin(), d.session_cookies.end(), si.cookie_name)
                 == d.session_cookies.end())
          d.session_cookies.push_back(si.cookie_name);
      }
    // The node's codec settings: the edge verifies with auth's, same key.
    std::shared_ptr<const auth::jwt_codec> jwt;
    if (signs_in)
      jwt = std::make_shared<const auth::jwt_codec>(auth::make_jwt_settings(auth));
    for (const auto& c : cat->collections) {
      const auto view = c.view_schema();
      for (const char* what : {"created", "updated", "deleted"}) {
        auto data = std::string{what} == "deleted"
                      ? nlohmann::json{{"type", "object"},
                                       {"properties", {{"id", {{"type", "string"}, {"format", "uuid"}}}}},
                                       {"required", {"id"}}}
                      : view;
        if (std::string{what} == "updated")
          data["properties"]["changed"] = {{"type", "array"}, {"items", {{"type", "string"}}}};
        d.publishes.push_back(event_decl{c.event_prefix + "." + what, 1, std::move(data)});
      }
    }
    for (const auto& c : cat->collections)
      if (!c.sign_ins.empty())
        for (const char* what : {"signed_in", "signed_out"})
          d.publishes.push_back(event_decl{
            c.event_prefix + "." + what, 1,
            {{"type", "object"},
             {"properties",
              {{"id", {{"type", "string"}, {"format", "uuid"}}},
               {"realm", {{"type", "string"}, {"description", "<plural>/<name> of the sign-in service"}}},
               {"reason", {{"type", "string"},
                           {"enum", std::string{what} == "signed_in"
                                      ? nlohmann::json{"login"}
                                      : nlohmann::json{"logout", "refresh_token_reuse"}}}}}},
             {"required", {"id", "realm", "reason"}}}});
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
      if (c.crud) {
        binding_decl b{c.entity.name, "crud.rest", c.provider, {}};
        for (const auto& r : d.routes)
          if (r.operation_id.starts_with("entities." + c.plural + ".")
              && !r.operation_id.starts_with("entities." + c.plural + ".auth."))
            b.operations.push_back(r.operation_id);
        d.bindings.push_back(std::move(b));
      }
      for (const auto& si : c.sign_ins) {
        binding_decl b{c.entity.name, si.kind, si.provider, {}};
        for (const auto& r : d.routes)
          if (r.operation_id.starts_with("entities." + c.plural + ".auth." + si.name + "."))
            b.operations.push_back(r.operation_id);
        d.bindings.push_back(std::move(b));
      }
      for (size_t i = 0; i < c.trackings.size(); ++i)
        d.bindings.push_back(binding_decl{c.entity.name, "analytics.tracking", "weft", {}});
      for (size_t i = 0; i < c.notifyings.size(); ++i)
        d.bindings.push_back(binding_decl{c.entity.name, "notifications.inapp", "weft", {}});
    }
    bool destructive = settings_of(s).allow_destructive;
    if (signs_in)
      d.retention.push_back({"entities.sign_in_sessions", [](unit_of_work& w, int64_t limit) {
                               auto now = std::chrono::duration_cast<std::chrono::seconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count();
                               return open_sessions(w)->prune_expired(now, limit);
                             }});
    d.start = [cat, destructive, jwt, auth](service_context& ctx) {
      return spawn_entities_group(ctx, cat, destructive, jwt, auth);
    };
    return d;
  };
  return m;
}

} // namespace weft::entities
