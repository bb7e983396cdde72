#include "actors/outbox/routes.hpp"

#include <chrono>
#include <utility>

#include <caf/event_based_actor.hpp>

#include "adapters/postgres/outbox_table.hpp"
#include "events/ids.hpp"
#include "runtime/api_error.hpp"
#include "runtime/json_fields.hpp"

namespace weft::outbox {

namespace {

using nlohmann::json;

const json since_schema = {
  {"type", "object"},
  {"required", {"since"}},
  {"properties",
   {{"since",
     {{"type", "string"},
      {"format", "date-time"},
      {"description", "rows published at or after this time go out again"}}}}}};

const json count_schema = {{"type", "object"},
                           {"required", {"republished"}},
                           {"properties", {{"republished", {{"type", "integer"}}}}}};

} // namespace

std::vector<route_decl> outbox_routes(pg::pool pool) {
  route_decl r;
  r.method = http_method::post;
  r.path = "/outbox/republish";
  r.who = access::root;
  r.operation_id = "outbox.republish";
  r.summary = "Publish the retained outbox rows published since a time again";
  r.takes_body = true;
  r.request_schema = since_schema;
  r.response_schema = count_schema;
  r.success_status = 200;
  r.handler = [pool](caf::event_based_actor* self, std::chrono::milliseconds timeout,
                     api_request req, api_reply reply, api_fail fail) {
    auto text = json_fields::required_string(req.body, "since");
    if (!text)
      return fail(std::move(text.error()));
    std::chrono::system_clock::time_point since;
    if (!events::parse_rfc3339(*text, since))
      return fail(api_error(api_errc::bad_request, "since must be an RFC 3339 time", "/since"));
    pg::run<int64_t>(self, pool, timeout,
                     [since](pg::connection& c) { return pg::republish_since(c, since); })
      .then([reply](int64_t n) { reply(api_response{200, {{"republished", n}}, {}}); },
            [fail](caf::error& err) { fail(std::move(err)); });
  };
  return {std::move(r)};
}

} // namespace weft::outbox
