#include "adapters/http/openapi.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace weft::http {

namespace {

using nlohmann::json;

const char* method_key(http_method m) {
  switch (m) {
    case http_method::get: return "get";
    case http_method::post: return "post";
    case http_method::put: return "put";
    case http_method::patch: return "patch";
    case http_method::del: return "delete";
  }
  return "get";
}

const char* access_name(access a) {
  switch (a) {
    case access::open: return "open";
    case access::authenticated: return "authenticated";
    case access::management: return "management";
    case access::root: return "root";
  }
  return "open";
}

json problem_ref(const char* description) {
  return {{"description", description},
          {"content",
           {{"application/problem+json",
             {{"schema", {{"$ref", "#/components/schemas/Problem"}}}}}}}};
}

json problem_schema() {
  json field_error{{"type", "object"},
                   {"properties",
                    {{"pointer", {{"type", "string"}}}, {"detail", {{"type", "string"}}}}}};
  return {{"type", "object"},
          {"description", "RFC 9457 problem details"},
          {"required", json::array({"type", "title", "status"})},
          {"properties",
           {{"type", {{"type", "string"}, {"format", "uri"}}},
            {"title", {{"type", "string"}}},
            {"status", {{"type", "integer"}}},
            {"detail", {{"type", "string"}}},
            {"errors", {{"type", "array"}, {"items", field_error}}}}}};
}

// Path parameters in template order: `{id}` of `/users/{id}`.
std::vector<std::string> path_params(const std::string& path) {
  std::vector<std::string> out;
  for (size_t i = path.find('{'); i != std::string::npos; i = path.find('{', i + 1)) {
    auto end = path.find('}', i);
    if (end == std::string::npos)
      break;
    out.push_back(path.substr(i + 1, end - i - 1));
  }
  return out;
}

/// The security scheme of a sign-in session's cookie.
std::string cookie_scheme(const std::string& cookie) {
  return "session_" + cookie;
}

json operation(const route_decl& r, const std::string& service, std::string op_id,
               const std::vector<std::string>& cookies) {
  json op{{"operationId", std::move(op_id)}, {"tags", json::array({service})}};
  if (!r.summary.empty())
    op["summary"] = r.summary;
  json params = json::array();
  for (auto& p : path_params(r.path))
    params.push_back({{"name", p}, {"in", "path"}, {"required", true},
                      {"schema", {{"type", "string"}}}});
  if (r.query_schema.is_object() && r.query_schema.contains("properties"))
    for (auto& [name, schema] : r.query_schema["properties"].items()) {
      json p{{"name", name}, {"in", "query"}, {"required", false}, {"schema", schema}};
      if (schema.contains("description"))
        p["description"] = schema["description"];
      params.push_back(std::move(p));
    }
  if (!params.empty())
    op["parameters"] = std::move(params);
  if (r.takes_body) {
    json schema = r.request_schema.is_null() ? json{{"type", "object"}} : r.request_schema;
    op["requestBody"] = {{"required", true},
                         {"content", {{"application/json", {{"schema", schema}}}}}};
  }
  json responses = json::object();
  json success{{"description", "success"}};
  if (r.success_status != 204) {
    json schema = r.response_schema.is_null() ? json{{"type", "object"}} : r.response_schema;
    success["content"] = {{"application/json", {{"schema", schema}}}};
  }
  responses[std::to_string(r.success_status)] = std::move(success);
  responses["400"] = problem_ref("malformed or invalid request");
  if (r.who != access::open) {
    responses["401"] = problem_ref("missing or invalid credentials");
    responses["403"] = problem_ref("authenticated, but the role may not call this");
  }
  if (!path_params(r.path).empty())
    responses["404"] = problem_ref("no such resource");
  if (r.takes_body) {
    responses["413"] = problem_ref("body too large");
    responses["415"] = problem_ref("body is not application/json");
  }
  responses["500"] = problem_ref("internal error");
  responses["503"] = problem_ref("a dependency is down; see Retry-After");
  responses["504"] = problem_ref("the service did not answer in time");
  op["responses"] = std::move(responses);
  op["x-weft-access"] = access_name(r.who);
  if (r.who != access::open) {
    op["security"] = json::array({{{"bearerAuth", json::array()}},
                                  {{"apiKey", json::array()}}});
    for (const auto& c : cookies)
      op["security"].push_back({{cookie_scheme(c), json::array()}});
  }
  return op;
}

json builtin_get(const char* op_id, const char* summary, json schema) {
  return {{"get",
           {{"operationId", op_id},
            {"summary", summary},
            {"tags", json::array({"node"})},
            {"x-weft-access", "open"},
            {"responses",
             {{"200",
               {{"description", "success"},
                {"content", {{"application/json", {{"schema", std::move(schema)}}}}}}}}}}}};
}

} // namespace

json make_openapi(const std::vector<service_decl>& services, const std::string& version) {
  json paths = json::object();
  json events = json::object();
  std::set<std::string> used_ids;
  std::vector<std::string> cookies; ///< sign-in sessions' cookies, every service's
  for (auto& svc : services)
    for (auto& c : svc.session_cookies)
      if (std::find(cookies.begin(), cookies.end(), c) == cookies.end())
        cookies.push_back(c);
  for (auto& svc : services) {
    for (auto& e : svc.publishes)
      events[e.type] = {{"service", svc.name}, {"dataversion", std::to_string(e.version)},
                        {"subject", "weft." + e.type}, {"data", e.schema}};
    for (auto& r : svc.routes) {
      auto path = "/v" + std::to_string(r.version) + r.path;
      // operationId must be unique; later versions of one operation get `_v<n>`.
      auto id = r.operation_id.empty() ? svc.name + "." + method_key(r.method) + r.path
                                       : r.operation_id;
      if (used_ids.count(id) > 0)
        id += "_v" + std::to_string(r.version);
      used_ids.insert(id);
      paths[path][method_key(r.method)] = operation(r, svc.name, id, cookies);
    }
  }
  auto status_schema = json{{"type", "object"},
                            {"properties", {{"status", {{"type", "string"}}}}}};
  paths["/health/live"] = builtin_get("health.live", "Liveness", status_schema);
  paths["/health/ready"] = builtin_get("health.ready", "Readiness", status_schema);
  paths["/health/ready"]["get"]["responses"]["503"] = problem_ref("not ready");
  paths["/v1/utils/version"]
    = builtin_get("utils.version", "Version, node and services",
                  {{"type", "object"},
                   {"properties",
                    {{"version", {{"type", "string"}}},
                     {"node", {{"type", "string"}}},
                     {"services", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}});
  paths["/v1/openapi.json"]
    = builtin_get("utils.openapi", "This document", {{"type", "object"}});
  paths["/v1/asyncapi.json"]
    = builtin_get("utils.asyncapi", "AsyncAPI 3.0: every event type, its data schema and subject",
                  {{"type", "object"}});
  paths["/v1/services"] = builtin_get("utils.services",
                                      "Every service of the node: routes, events, schema bindings",
                                      service_list_schema());
  {
    auto query = [](const char* name, const char* what) {
      return json{{"name", name}, {"in", "query"}, {"required", false},
                  {"description", what}, {"schema", {{"type", "string"}}}};
    };
    auto stream_security = json::array({{{"bearerAuth", json::array()}}});
    for (const auto& c : cookies) // EventSource sends cookies
      stream_security.push_back({{cookie_scheme(c), json::array()}});
    json op{
      {"operationId", "events.stream"},
      {"summary", "Server-Sent Events: the event stream, resumable"},
      {"description",
       "Each event: `id:` a resume position, `event:` the CloudEvent type, `data:` the "
       "structured CloudEvent on one line. Admin and root see every event, anyone else "
       "the events whose `subject` is their own id. A resume position older than the node "
       "keeps gets a `weft.gap` event first."},
      {"tags", json::array({"events"})},
      {"x-weft-access", "authenticated"},
      {"security", stream_security},
      {"parameters",
       json::array({query("types", "comma separated: exact types or `prefix.*`"),
                    query("subject", "only events with this CloudEvents subject"),
                    query("lastEventID", "`earliest` or an id sent before (Last-Event-ID wins)"),
                    query("access_token", "the access token, for clients that cannot set headers"),
                    {{"name", "Last-Event-ID"}, {"in", "header"}, {"required", false},
                     {"schema", {{"type", "string"}}}}})},
      {"responses",
       {{"200", {{"description", "the stream"},
                 {"content", {{"text/event-stream", {{"schema", {{"type", "string"}}}}}}}}},
        {"400", problem_ref("bad filter or resume position")},
        {"401", problem_ref("no or bad token")},
        {"403", problem_ref("another's events")},
        {"503", problem_ref("no event stream on this node, or too many streams")}}}};
    paths["/v1/events"] = json{{"get", std::move(op)}};
  }
  json schemes{
    {"bearerAuth", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}},
    {"apiKey", {{"type", "apiKey"}, {"in", "header"}, {"name", "X-API-Key"}}}};
  for (const auto& c : cookies)
    schemes[cookie_scheme(c)] = {
      {"type", "apiKey"}, {"in", "cookie"}, {"name", c},
      {"description", "a sign-in session's access token (auth.cookies); POST, PUT, PATCH and "
                      "DELETE also need the session's CSRF token in X-CSRF-Token"}};
  return {
    {"openapi", "3.1.0"},
    {"info",
     {{"title", "Weft API"},
      {"version", version},
      {"description",
       "Every path `/v<n>/...` is also served without the version prefix, "
       "answering with the latest version. Errors are RFC 9457 problems."}}},
    {"paths", std::move(paths)},
    // The CloudEvents each service publishes on stream WEFT (`data` schema,
    // `dataversion`), from their typed events; AsyncAPI can be built from it.
    {"x-weft-events", std::move(events)},
    {"components",
     {{"schemas", {{"Problem", problem_schema()}}},
      {"securitySchemes", std::move(schemes)}}}};
}

} // namespace weft::http

namespace weft::http {

nlohmann::json make_service_list(const std::vector<service_decl>& services) {
  json out = json::array();
  for (const auto& svc : services) {
    json routes = json::array();
    for (const auto& r : svc.routes)
      routes.push_back({{"method", to_string(r.method)},
                        {"path", "/v" + std::to_string(r.version) + r.path},
                        {"operation", r.operation_id}});
    json publishes = json::array();
    for (const auto& e : svc.publishes)
      publishes.push_back(e.type);
    json bindings = json::array();
    for (const auto& b : svc.bindings)
      bindings.push_back({{"entity", b.entity},
                          {"kind", b.kind},
                          {"provider", b.provider},
                          {"operations", b.operations}});
    out.push_back({{"name", svc.name},
                   {"routes", std::move(routes)},
                   {"publishes", std::move(publishes)},
                   {"subscribes", svc.subscribes},
                   {"bindings", std::move(bindings)}});
  }
  return {{"services", std::move(out)}};
}

nlohmann::json service_list_schema() {
  json strings{{"type", "array"}, {"items", {{"type", "string"}}}};
  json route{{"type", "object"},
             {"properties",
              {{"method", {{"type", "string"}}},
               {"path", {{"type", "string"}}},
               {"operation", {{"type", "string"}}}}}};
  json binding{{"type", "object"},
               {"properties",
                {{"entity", {{"type", "string"}}},
                 {"kind", {{"type", "string"}}},
                 {"provider", {{"type", "string"}}},
                 {"operations", strings}}}};
  json service{{"type", "object"},
               {"properties",
                {{"name", {{"type", "string"}}},
                 {"routes", {{"type", "array"}, {"items", route}}},
                 {"publishes", strings},
                 {"subscribes", strings},
                 {"bindings", {{"type", "array"}, {"items", binding}}}}}};
  return {{"type", "object"},
          {"properties", {{"services", {{"type", "array"}, {"items", service}}}}}};
}

} // namespace weft::http
