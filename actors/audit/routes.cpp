#include "actors/audit/routes.hpp"

#include "events/codec.hpp"
#include "runtime/json_fields.hpp"
#include "runtime/route_binding.hpp"

namespace weft::audit {

namespace {

using nlohmann::json;

std::string query_value(const api_request& req, const char* key) {
  auto i = req.query.find(key);
  return i == req.query.end() ? std::string{} : i->second;
}

json page_json(const audit_page& p) {
  json items = json::array();
  for (const auto& ev : p.items)
    items.push_back(events::encode_json(ev));
  return {{"items", std::move(items)}, {"next", p.next.empty() ? json(nullptr) : json(p.next)}};
}

} // namespace

std::vector<route_decl> audit_routes(audit_actor front) {
  route_decl r;
  r.method = http_method::get;
  r.path = "/audit";
  r.who = access::management;
  r.operation_id = "audit.list";
  r.summary = "The audit trail: every event as received, oldest first";
  r.query_params = {"type", "subject", "since", "limit", "cursor"};
  r.response_schema = {
    {"type", "object"},
    {"required", {"items", "next"}},
    {"properties",
     {{"items",
       {{"type", "array"},
        {"items", {{"type", "object"}, {"description", "a CloudEvents 1.0 event"}}}}},
      {"next", {{"type", {"string", "null"}}}}}}};
  r.handler = [front](auto self, auto timeout, api_request req, api_reply reply,
                      api_fail fail) {
    auto i = req.query.find("limit");
    auto limit = json_fields::query_uint(i == req.query.end() ? nullptr : &i->second, "limit",
                                         50, 1, 500);
    if (!limit)
      return fail(limit.error());
    audit_query q{query_value(req, "type"), query_value(req, "subject"),
                  query_value(req, "since"), *limit, query_value(req, "cursor")};
    ask<audit_page>(self, front, timeout, std::move(reply), std::move(fail), 200,
                    [](const audit_page& p) { return page_json(p); }, query_atom::value,
                    std::move(q));
  };
  return {std::move(r)};
}

} // namespace weft::audit
