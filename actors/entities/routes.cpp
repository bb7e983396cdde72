#include <caf/event_based_actor.hpp>

#include "actors/entities/catalog.hpp"
#include "actors/entities/interface.hpp"
#include "runtime/api_error.hpp"

namespace weft::entities {

namespace {

/// True if `who` holds one of `roles` (the node's root holds every role,
/// a schema account whose roles say "root" does not; an empty list admits
/// any signed-in caller).
bool admitted(const principal& who, const std::vector<std::string>& roles) {
  if (roles.empty() || who.has_node_role(role_root))
    return true;
  return std::any_of(roles.begin(), roles.end(), [&](const std::string& r) { return who.has_role(r); });
}

std::string joined(const std::vector<std::string>& xs) {
  std::string out;
  for (const auto& x : xs)
    out += (out.empty() ? "" : ", ") + x;
  return out;
}

/// A route of collection `c`: checks the caller's roles, then asks the
/// service with `op` and answers `status` with its body.
route_decl route_of(const collection& c, http_method m, std::string path, std::string op,
                    int status, std::string summary) {
  route_decl d;
  d.method = m;
  d.path = std::move(path);
  d.who = access::authenticated;
  d.operation_id = "entities." + c.plural + "." + op;
  d.summary = std::move(summary);
  d.success_status = status;
  const bool writes = op == "create" || op == "update" || op == "remove";
  auto roles = writes ? c.write_roles : c.read_roles;
  d.handler = [plural = c.plural, op, status, roles, writes](
                caf::event_based_actor* self, const caf::actor& service,
                std::chrono::milliseconds timeout, api_request req, api_reply reply, api_fail fail) {
    if (!req.caller || !admitted(*req.caller, roles))
      return fail(api_error(api_errc::forbidden, std::string{writes ? "writing" : "reading"} + " "
                                                   + plural + " takes one of the roles " + joined(roles)));
    crud_call call;
    call.collection = plural;
    call.op = op;
    if (auto i = req.params.find("id"); i != req.params.end())
      call.id = i->second;
    if (!req.body.is_null())
      call.body = req.body.dump();
    if (op == "list")
      call.query = req.query_values.dump();
    call.caller = *req.caller;
    call.meta = meta_of(req);
    self->request(service, timeout, crud_atom::value, std::move(call))
      .then(
        [reply = std::move(reply), status](crud_answer& a) {
          // The service's JSON text as it is (empty: no body, 204).
          reply(api_response{status, {}, {}, std::move(a.body)});
        },
        [fail](caf::error& err) { fail(std::move(err)); });
  };
  return d;
}

using nlohmann::json;

/// `name=value` with the attributes every cookie of a sign-in service has.
std::string cookie(const sign_in& si, const std::string& name, const std::string& value,
                   const std::string& path, int64_t max_age, bool http_only) {
  return name + "=" + value + "; Path=" + path + "; Max-Age=" + std::to_string(max_age)
         + (http_only ? "; HttpOnly" : "") + "; Secure; SameSite=" + si.same_site;
}

/// The three cookies of an auth.cookies session: the access token (sent
/// with every request), the refresh token (sent only to refresh and logout)
/// and the CSRF token (readable by the page, which echoes it in
/// X-CSRF-Token). `grant` null: the cookies cleared.
std::vector<std::pair<std::string, std::string>> session_cookies(const sign_in& si,
                                                                 const std::string& plural,
                                                                 const json* grant) {
  auto v = [&](const char* k) { return grant ? (*grant)[k].get<std::string>() : std::string{}; };
  int64_t access_age = grant ? (*grant)["expires_in"].get<int64_t>() : 0;
  int64_t refresh_age = grant ? (*grant)["refresh_expires_in"].get<int64_t>() : 0;
  return {
    {"Set-Cookie", cookie(si, si.cookie_name, v("access_token"), "/", access_age, true)},
    {"Set-Cookie", cookie(si, si.cookie_name + "_refresh", v("refresh_token"),
                          "/v1" + si.base_path(plural), refresh_age, true)},
    {"Set-Cookie", cookie(si, si.cookie_name + "_csrf", v("csrf_token"), "/", refresh_age, false)},
    {"Cache-Control", "no-store"},
  };
}

/// A sign-in route: asks the service with `op`; for auth.cookies, tokens
/// travel as cookies and the refresh token is read from its cookie, under
/// a double-submitted CSRF token (the page echoes its CSRF cookie).
route_decl sign_in_route(const collection& c, const sign_in& si, http_method m, const char* op,
                         int status, std::string summary) {
  route_decl d;
  d.method = m;
  d.path = si.base_path(c.plural) + "/" + op;
  d.who = std::string{op} == "me" ? access::authenticated : access::open;
  d.operation_id = "entities." + c.plural + ".auth." + si.name + "." + op;
  d.summary = std::move(summary);
  d.success_status = status;
  d.handler = [realm = si.realm, op = std::string{op}, status, si, plural = c.plural](
                caf::event_based_actor* self, const caf::actor& service,
                std::chrono::milliseconds timeout, api_request req, api_reply reply, api_fail fail) {
    sign_in_call call;
    call.realm = realm;
    call.op = op;
    if (!req.body.is_null())
      call.body = req.body.dump();
    const bool uses_refresh = op == "refresh" || op == "logout";
    if (uses_refresh && si.cookies()) {
      auto token = req.cookies.find(si.cookie_name + "_refresh");
      auto csrf = req.cookies.find(si.cookie_name + "_csrf");
      if (token == req.cookies.end())
        return fail(api_error(api_errc::unauthenticated, "no session cookie"));
      if (csrf == req.cookies.end() || !csrf_token_matches(req.csrf_token, csrf->second))
        return fail(api_error(api_errc::forbidden,
                              "X-CSRF-Token is missing or is not this session's CSRF token"));
      call.refresh_token = token->second;
    } else if (uses_refresh) {
      call.refresh_token = req.body.value("refresh_token", std::string{});
    }
    if (req.caller)
      call.caller = *req.caller;
    call.meta = meta_of(req);
    self->request(service, timeout, sign_in_atom::value, std::move(call))
      .then(
        [reply = std::move(reply), status, op, si, plural](crud_answer& a) {
          const bool grants = op == "login" || op == "refresh";
          if (si.cookies() && (grants || op == "logout")) {
            auto grant = a.body.empty() ? json{} : json::parse(a.body);
            api_response r{status, {}, session_cookies(si, plural, grants ? &grant : nullptr), {}};
            if (grants)
              r.body = json{{"expires_in", grant["expires_in"]}, {"csrf_token", grant["csrf_token"]}};
            return reply(std::move(r));
          }
          api_response r{status, {}, {}, std::move(a.body)};
          if (grants)
            r.headers.emplace_back("Cache-Control", "no-store"); // RFC 6749 §5.1
          reply(std::move(r));
        },
        [fail](caf::error& err) { fail(std::move(err)); });
  };
  return d;
}

json grant_schema(const sign_in& si) {
  if (si.cookies())
    return {{"type", "object"},
            {"description", "the tokens are in the Set-Cookie headers"},
            {"properties",
             {{"expires_in", {{"type", "integer"}, {"description", "seconds"}}},
              {"csrf_token", {{"type", "string"},
                              {"description", "echo in X-CSRF-Token on unsafe requests"}}}}},
            {"required", {"expires_in", "csrf_token"}}};
  return {{"type", "object"},
          {"properties",
           {{"access_token", {{"type", "string"}}},
            {"token_type", {{"type", "string"}, {"enum", {"Bearer"}}}},
            {"expires_in", {{"type", "integer"}, {"description", "seconds"}}},
            {"refresh_token", {{"type", "string"}}}}},
          {"required", {"access_token", "token_type", "expires_in", "refresh_token"}}};
}

/// register: the attributes a client may write but the roles, the login
/// required, and `password` (Argon2 input is bounded).
json register_schema(const collection& c, const sign_in& si, uint32_t password_min_length) {
  auto out = c.create_schema();
  auto& props = out["properties"];
  auto required = out.value("required", json::array());
  if (!si.roles_field.empty()) {
    props.erase(si.roles_field);
    json kept = json::array();
    for (const auto& r : required)
      if (r != si.roles_field)
        kept.push_back(r);
    required = kept;
  }
  props["password"] = {{"type", "string"}, {"minLength", password_min_length}, {"maxLength", 1024}};
  for (const auto& name : {si.login_field, std::string{"password"}})
    if (std::find(required.begin(), required.end(), name) == required.end())
      required.push_back(name);
  out["required"] = required;
  out["title"] = c.entity.name + " (registration)";
  return out;
}

json login_schema(const collection& c, const sign_in& si) {
  return {{"type", "object"},
          {"title", c.entity.name + " (login)"},
          {"properties", {{si.login_field, {{"type", "string"}}}, {"password", {{"type", "string"}}}}},
          {"required", {si.login_field, "password"}},
          {"additionalProperties", false}};
}

/// Bearer refresh and logout: the token in the body (cookies: in its cookie).
void takes_refresh_token(route_decl& r) {
  r.takes_body = true;
  r.request_schema = {{"type", "object"},
                      {"properties", {{"refresh_token", {{"type", "string"}}}}},
                      {"required", {"refresh_token"}}};
}

/// The five routes of a sign-in service.
void add_sign_in_routes(std::vector<route_decl>& out, const collection& c, const sign_in& si,
                        uint32_t password_min_length) {
  auto how = si.cookies() ? std::string{" (session cookies)"} : std::string{};
  auto r = sign_in_route(c, si, http_method::post, "register", 201,
                         "Create a " + c.entity.name + " account" + how);
  r.takes_body = true;
  r.request_schema = register_schema(c, si, password_min_length);
  r.response_schema = c.view_schema();
  out.push_back(std::move(r));
  r = sign_in_route(c, si, http_method::post, "login", 200,
                    "Sign a " + c.entity.name + " in with " + si.login_field + " and password" + how);
  r.takes_body = true;
  r.request_schema = login_schema(c, si);
  r.response_schema = grant_schema(si);
  out.push_back(std::move(r));
  r = sign_in_route(c, si, http_method::post, "refresh", 200,
                    si.cookies() ? "Rotate the session's refresh cookie (X-CSRF-Token required)"
                                 : "Rotate a refresh token; presenting a used one revokes its session");
  if (!si.cookies())
    takes_refresh_token(r);
  r.response_schema = grant_schema(si);
  out.push_back(std::move(r));
  r = sign_in_route(c, si, http_method::post, "logout", 204,
                    si.cookies() ? "End the session and clear its cookies (X-CSRF-Token required)"
                                 : "Revoke the session a refresh token belongs to");
  if (!si.cookies())
    takes_refresh_token(r);
  out.push_back(std::move(r));
  r = sign_in_route(c, si, http_method::get, "me", 200, "The signed-in " + c.entity.name);
  r.response_schema = c.view_schema();
  out.push_back(std::move(r));
}

} // namespace

std::vector<route_decl> entity_routes(std::shared_ptr<const catalog> cat,
                                      uint32_t password_min_length) {
  std::vector<route_decl> out;
  for (const auto& c : cat->collections) {
    for (const auto& si : c.sign_ins)
      add_sign_in_routes(out, c, si, password_min_length);
    if (!c.crud)
      continue;
    auto base = "/" + c.plural;
    auto item = base + "/{id}";
    const auto view = c.view_schema(); // built once: a big schema has many
    auto page = nlohmann::json{{"type", "object"},
                               {"properties",
                                {{"items", {{"type", "array"}, {"items", view}}},
                                 {"next", {{"type", {"string", "null"}}}}}},
                               {"required", {"items", "next"}}};
    auto r = route_of(c, http_method::get, base, "list", 200,
                      "List " + c.plural + ", oldest first (cursor paging, filters on unique and "
                      "indexed attributes)");
    r.query_schema = c.query_schema();
    r.response_schema = page;
    out.push_back(std::move(r));
    r = route_of(c, http_method::post, base, "create", 201, "Create a " + c.entity.name);
    r.takes_body = true;
    r.request_schema = c.create_schema();
    r.response_schema = view;
    out.push_back(std::move(r));
    r = route_of(c, http_method::get, item, "read", 200, "A " + c.entity.name + " by id");
    r.response_schema = view;
    out.push_back(std::move(r));
    r = route_of(c, http_method::patch, item, "update", 200,
                 "Change attributes of a " + c.entity.name);
    r.takes_body = true;
    r.request_schema = c.patch_schema();
    r.response_schema = view;
    out.push_back(std::move(r));
    out.push_back(route_of(c, http_method::del, item, "remove", 204, "Delete a " + c.entity.name));
  }
  return out;
}

} // namespace weft::entities
