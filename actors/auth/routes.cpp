#include "actors/auth/routes.hpp"

#include "actors/auth/secrets.hpp"

#include "runtime/api_error.hpp"
#include "runtime/json_fields.hpp"
#include "runtime/route_binding.hpp"

namespace weft::auth {

namespace {

using nlohmann::json;
namespace jf = json_fields;

const json string_schema = {{"type", "string"}};
const json roles_schema = {{"type", "array"}, {"items", string_schema}};

json object_schema(std::vector<std::string> required, json properties) {
  return {{"type", "object"}, {"required", std::move(required)},
          {"properties", std::move(properties)}};
}

const json credentials_schema = object_schema(
  {"email", "password"}, {{"email", {{"type", "string"}, {"format", "email"}}},
                          {"password", {{"type", "string"}, {"minLength", 8}}}});
const json user_schema = object_schema(
  {"id", "email", "roles"},
  {{"id", string_schema}, {"email", string_schema}, {"roles", roles_schema},
   {"created_at", {{"type", "string"}, {"format", "date-time"}}}});
const json token_schema = object_schema(
  {"access_token", "token_type", "expires_in", "refresh_token"},
  {{"access_token", string_schema}, {"token_type", {{"type", "string"}, {"const", "Bearer"}}},
   {"expires_in", {{"type", "integer"}}}, {"refresh_token", string_schema}});
const json refresh_schema = object_schema({"refresh_token"}, {{"refresh_token", string_schema}});
const json key_schema = object_schema(
  {"id", "name", "role"}, {{"id", string_schema}, {"name", string_schema},
                           {"role", {{"type", "string"}, {"enum", {"user", "admin"}}}},
                           {"created_at", string_schema},
                           {"key", {{"type", "string"}, {"description", "only on creation"}}}});

json page_schema(const json& item) {
  return object_schema({"items", "next"},
                       {{"items", {{"type", "array"}, {"items", item}}},
                        {"next", {{"type", {"string", "null"}}}}});
}

json to_json(const user_view& u) {
  return {{"id", u.id}, {"email", u.email}, {"roles", u.roles}, {"created_at", u.created_at}};
}

json to_json(const api_key_view& k) {
  json j = {{"id", k.id}, {"name", k.name}, {"role", k.role}, {"created_at", k.created_at}};
  if (!k.key.empty())
    j["key"] = k.key;
  return j;
}

json to_json(const token_grant& g) {
  return {{"access_token", g.access_token}, {"token_type", "Bearer"},
          {"expires_in", g.expires_in}, {"refresh_token", g.refresh_token}};
}

template <class Page>
json page_json(const Page& p) {
  json items = json::array();
  for (const auto& x : p.items)
    items.push_back(to_json(x));
  return {{"items", std::move(items)}, {"next", p.next.empty() ? json(nullptr) : json(p.next)}};
}

request_meta meta_of(const api_request& req) {
  request_meta meta{req.request_id, req.client_ip, req.idempotency_key, {}};
  // A retry must be the same request: method, path and body.
  if (!meta.idempotency_key.empty())
    meta.request_hash = secret_hash(std::string{to_string(req.method)} + ' ' + req.path + '\n'
                                    + (req.body.is_null() ? std::string{} : req.body.dump()));
  return meta;
}

caf::expected<credentials> read_credentials(const api_request& req) {
  auto email = jf::required_string(req.body, "email");
  if (!email)
    return email.error();
  auto password = jf::required_string(req.body, "password");
  if (!password)
    return password.error();
  return credentials{std::move(*email), std::move(*password), meta_of(req)};
}

caf::expected<page_request> read_page(const api_request& req) {
  auto find = [&](const char* k) {
    auto i = req.query.find(k);
    return i == req.query.end() ? nullptr : &i->second;
  };
  auto limit = jf::query_uint(find("limit"), "limit", 50, 1, 500);
  if (!limit)
    return limit.error();
  auto cursor = find("cursor");
  return page_request{*limit, cursor ? *cursor : std::string{}};
}

const std::vector<std::string> paging = {"limit", "cursor"};

auto no_body = [](const ack_atom&) { return json(nullptr); };

} // namespace

std::vector<route_decl> auth_routes(auth_actor front) {
  std::vector<route_decl> routes;
  auto add = [&](http_method m, std::string path, access who, std::string op,
                 std::string summary, json request_schema, json response_schema,
                 int status, route_handler h, std::vector<std::string> query = {}) {
    route_decl r;
    r.method = m;
    r.path = std::move(path);
    r.who = who;
    r.operation_id = std::move(op);
    r.summary = std::move(summary);
    r.takes_body = !request_schema.is_null();
    r.request_schema = std::move(request_schema);
    r.response_schema = std::move(response_schema);
    r.success_status = status;
    r.query_params = std::move(query);
    r.handler = std::move(h);
    routes.push_back(std::move(r));
  };

  add(http_method::post, "/auth/register", access::open, "auth.register",
      "Create an account with the user role", credentials_schema, user_schema, 201,
      [front](auto self, auto timeout, api_request req, api_reply reply, api_fail fail) {
        auto c = read_credentials(req);
        if (!c)
          return fail(c.error());
        ask<user_view>(self, front, timeout, std::move(reply), std::move(fail), 201,
                       [](const user_view& u) { return to_json(u); }, register_atom::value,
                       std::move(*c));
      });
  add(http_method::post, "/auth/login", access::open, "auth.login",
      "Exchange email and password for an access and a refresh token", credentials_schema,
      token_schema, 200,
      [front](auto self, auto timeout, api_request req, api_reply reply, api_fail fail) {
        auto c = read_credentials(req);
        if (!c)
          return fail(c.error());
        ask<token_grant>(self, front, timeout, std::move(reply), std::move(fail), 200,
                         [](const token_grant& g) { return to_json(g); }, login_atom::value,
                         std::move(*c));
      });
  add(http_method::post, "/auth/refresh", access::open, "auth.refresh",
      "Rotate a refresh token; presenting a used one revokes its session", refresh_schema,
      token_schema, 200,
      [front](auto self, auto timeout, api_request req, api_reply reply, api_fail fail) {
        auto token = jf::required_string(req.body, "refresh_token");
        if (!token)
          return fail(token.error());
        ask<token_grant>(self, front, timeout, std::move(reply), std::move(fail), 200,
                         [](const token_grant& g) { return to_json(g); }, refresh_atom::value,
                         std::move(*token), meta_of(req));
      });
  add(http_method::post, "/auth/logout", access::open, "auth.logout",
      "Revoke the session a refresh token belongs to", refresh_schema, nullptr, 204,
      [front](auto self, auto timeout, api_request req, api_reply reply, api_fail fail) {
        auto token = jf::required_string(req.body, "refresh_token");
        if (!token)
          return fail(token.error());
        ask<ack_atom>(self, front, timeout, std::move(reply), std::move(fail), 204, no_body,
                      logout_atom::value, std::move(*token), meta_of(req));
      });
  add(http_method::get, "/auth/me", access::authenticated, "auth.me",
      "The calling account", nullptr, user_schema, 200,
      [front](auto self, auto timeout, api_request req, api_reply reply, api_fail fail) {
        ask<user_view>(self, front, timeout, std::move(reply), std::move(fail), 200,
                       [](const user_view& u) { return to_json(u); }, me_atom::value,
                       *req.caller);
      });
  add(http_method::get, "/auth/validate", access::authenticated, "auth.validate",
      "Check the presented credentials and show what they carry", nullptr,
      object_schema({"valid"}, {{"valid", {{"type", "boolean"}}}, {"id", string_schema},
                                {"roles", roles_schema}, {"via", string_schema}}),
      200, [](auto, auto, api_request req, api_reply reply, api_fail) {
        // The adapter verified the credentials already: no actor to ask.
        const auto& who = *req.caller;
        reply(api_response{200,
                           {{"valid", true}, {"id", who.id}, {"email", who.email},
                            {"roles", who.roles}, {"via", who.via}},
                           {}});
      });
  add(http_method::post, "/auth/api-keys", access::management, "auth.api_keys.create",
      "Create an API key; the key is shown only in this answer",
      object_schema({"name", "role"}, {{"name", string_schema},
                                       {"role", {{"type", "string"}, {"enum", {"user", "admin"}}}}}),
      key_schema, 201,
      [front](auto self, auto timeout, api_request req, api_reply reply, api_fail fail) {
        auto name = jf::required_string(req.body, "name");
        if (!name)
          return fail(name.error());
        auto role = jf::required_string(req.body, "role");
        if (!role)
          return fail(role.error());
        ask<api_key_view>(self, front, timeout, std::move(reply), std::move(fail), 201,
                          [](const api_key_view& k) { return to_json(k); },
                          add_key_atom::value,
                          new_api_key{std::move(*name), std::move(*role), *req.caller,
                                      meta_of(req)});
      });
  add(http_method::get, "/auth/api-keys", access::management, "auth.api_keys.list",
      "List API keys", nullptr, page_schema(key_schema), 200,
      [front](auto self, auto timeout, api_request req, api_reply reply, api_fail fail) {
        auto page = read_page(req);
        if (!page)
          return fail(page.error());
        ask<api_key_page>(self, front, timeout, std::move(reply), std::move(fail), 200,
                          [](const api_key_page& p) { return page_json(p); },
                          list_keys_atom::value, *page);
      },
      paging);
  add(http_method::del, "/auth/api-keys/{id}", access::management, "auth.api_keys.revoke",
      "Revoke an API key", nullptr, nullptr, 204,
      [front](auto self, auto timeout, api_request req, api_reply reply, api_fail fail) {
        ask<ack_atom>(self, front, timeout, std::move(reply), std::move(fail), 204, no_body,
                      revoke_key_atom::value, req.params["id"], *req.caller, meta_of(req));
      });
  add(http_method::get, "/users", access::management, "users.list", "List accounts",
      nullptr, page_schema(user_schema), 200,
      [front](auto self, auto timeout, api_request req, api_reply reply, api_fail fail) {
        auto page = read_page(req);
        if (!page)
          return fail(page.error());
        ask<user_page>(self, front, timeout, std::move(reply), std::move(fail), 200,
                       [](const user_page& p) { return page_json(p); },
                       list_users_atom::value, *page);
      },
      paging);
  add(http_method::put, "/users/{id}/roles", access::root, "users.roles.set",
      "Replace an account's roles", object_schema({"roles"}, {{"roles", roles_schema}}),
      user_schema, 200,
      [front](auto self, auto timeout, api_request req, api_reply reply, api_fail fail) {
        auto roles = jf::required_strings(req.body, "roles");
        if (!roles)
          return fail(roles.error());
        ask<user_view>(self, front, timeout, std::move(reply), std::move(fail), 200,
                       [](const user_view& u) { return to_json(u); }, set_roles_atom::value,
                       roles_change{req.params["id"], std::move(*roles), *req.caller,
                                    meta_of(req)});
      });
  return routes;
}

} // namespace weft::auth
