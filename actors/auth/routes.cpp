#include "actors/auth/interface.hpp"
#include "events/wire_schema.hpp"
#include "runtime/route_kit.hpp"

// The auth routes: each names its body, query and answer types and the
// message it sends the auth service; the edge resolves the service per request.
namespace weft::auth {

namespace {

using nlohmann::json;

/// register's body: the configured password length shows in OpenAPI and is
/// enforced by the edge; Argon2 input is bounded (1024 bytes).
json register_schema(const auth_settings& s) {
  auto schema = wire::with_property_facet(wire::schema_of<credentials>(), "password", "minLength",
                                          s.password_min_length);
  return wire::with_property_facet(std::move(schema), "password", "maxLength", 1024);
}

json validate_schema() {
  return {{"type", "object"},
          {"required", {"valid"}},
          {"properties",
           {{"valid", {{"type", "boolean"}}},
            {"id", {{"type", "string"}}},
            {"email", {{"type", "string"}}},
            {"roles", wire::schema_of<roles_change>()["properties"]["roles"]},
            {"via", {{"type", "string"}}}}}};
}

} // namespace

std::vector<route_decl> auth_routes(const auth_settings& s) {
  using namespace route_kit;
  using caf::make_message;
  return {
    post("/auth/register", "auth.register", "Create an account with the user role")
      .body<credentials>(register_schema(s))
      .answers<user_view>(201, [](const api_request& r, credentials c) {
        return make_message(register_atom::value, std::move(c), meta_of(r));
      }),
    post("/auth/login", "auth.login",
         "Exchange email and password for an access and a refresh token")
      .body<credentials>()
      .answers<token_grant>(200, [](const api_request& r, credentials c) {
        return make_message(login_atom::value, std::move(c), meta_of(r));
      }),
    post("/auth/refresh", "auth.refresh",
         "Rotate a refresh token; presenting a used one revokes its session")
      .body<refresh_request>()
      .answers<token_grant>(200, [](const api_request& r, refresh_request t) {
        return make_message(refresh_atom::value, std::move(t), meta_of(r));
      }),
    post("/auth/logout", "auth.logout", "Revoke the session a refresh token belongs to")
      .body<refresh_request>()
      .answers<ack_atom>(204, [](const api_request& r, refresh_request t) {
        return make_message(logout_atom::value, std::move(t), meta_of(r));
      }),
    get("/auth/me", "auth.me", "The calling account")
      .who(access::authenticated)
      .answers<user_view>(200, [](const api_request& r) {
        return make_message(me_atom::value, *r.caller);
      }),
    // The edge verified the credentials already: no service to ask.
    get("/auth/validate", "auth.validate", "Check the presented credentials and show what they carry")
      .who(access::authenticated)
      .here(200, validate_schema(), [](const api_request& r) -> caf::expected<json> {
        const auto& who = *r.caller;
        return json{{"valid", true}, {"id", who.id}, {"email", who.email},
                    {"roles", who.roles}, {"via", who.via}};
      }),
    post("/auth/api-keys", "auth.api_keys.create",
         "Create an API key; the key is shown only in this answer")
      .who(access::management)
      .body<new_api_key>()
      .answers<api_key_view>(201, [](const api_request& r, new_api_key k) {
        return make_message(add_key_atom::value, std::move(k), *r.caller, meta_of(r));
      }),
    get("/auth/api-keys", "auth.api_keys.list", "List API keys")
      .who(access::management)
      .query<page_request>()
      .answers<api_key_page>(200, [](const api_request&, page_request p) {
        return make_message(list_keys_atom::value, std::move(p));
      }),
    del("/auth/api-keys/{id}", "auth.api_keys.revoke", "Revoke an API key")
      .who(access::management)
      .answers<ack_atom>(204, [](const api_request& r) {
        return make_message(revoke_key_atom::value, r.params.at("id"), *r.caller, meta_of(r));
      }),
    get("/users", "users.list", "List accounts")
      .who(access::management)
      .query<page_request>()
      .answers<user_page>(200, [](const api_request&, page_request p) {
        return make_message(list_users_atom::value, std::move(p));
      }),
    put("/users/{id}/roles", "users.roles.set", "Replace an account's roles")
      .who(access::root)
      .body<roles_change>()
      .answers<user_view>(200, [](const api_request& r, roles_change c) {
        return make_message(set_roles_atom::value, r.params.at("id"), std::move(c), *r.caller,
                            meta_of(r));
      }),
  };
}

} // namespace weft::auth
