#include <utility> // before Asio: Boost 1.74 + g++12 (notes §3)

#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "adapters/http/parsing.hpp"
#include "adapters/http/session.hpp"
#include "events/wire_schema.hpp"
#include "runtime/api_error.hpp"

// What a session does with a complete request: built-ins on the spot,
// checks (credentials, content type, JSON), then the hop to a gateway.
namespace weft::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

// The fixed part of the hottest response, built once.
constexpr std::string_view live_head = "HTTP/1.1 200 OK\r\n"
                                       "Content-Type: application/json\r\n"
                                       "Content-Length: 17\r\n";
constexpr std::string_view live_body = R"({"status":"live"})";
constexpr std::string_view ready_head = "HTTP/1.1 200 OK\r\n"
                                        "Content-Type: application/json\r\n"
                                        "Content-Length: 18\r\n";
constexpr std::string_view ready_body = R"({"status":"ready"})";
constexpr std::string_view json_200_head = "HTTP/1.1 200 OK\r\n"
                                           "Content-Type: application/json\r\n";
std::vector<std::pair<std::string, std::string>>
pairs_of(const std::vector<weft::wire::violation>& v) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(v.size());
  for (const auto& x : v)
    out.emplace_back(x.pointer, x.message);
  return out;
}

} // namespace

void session::dispatch() {
  auto& req = parser_->get();
  auto target = req.target();
  std::string_view path, query;
  split_target({target.data(), target.size()}, path, query);
  // The hottest path of all: no table, no allocation beyond the request id.
  if (method_ == http_method::get && path == "/health/live") {
    static const std::string label = "/health/live";
    route_label_ = &label;
    respond_static(live_head, live_body);
    return;
  }
  auto m = core_.routes.match(method_, path);
  switch (m.status) {
    case route_match::no_path:
      fail(api_error(api_errc::not_found, "no such path"));
      return;
    case route_match::no_method:
      fail(api_error(api_errc::method_not_allowed,
                     std::string{req.method_string()} + " is not allowed here"),
           {"Allow", std::move(m.allow)});
      return;
    case route_match::found:
      break;
  }
  route_label_ = &m.route->path_template;
  if (m.route->kind != builtin::none)
    answer_builtin(*m.route);
  else
    dispatch_route(*m.route, std::move(m.params), path, query);
}

void session::answer_builtin(const route_entry& route) {
  switch (route.kind) {
    case builtin::live:
      respond_static(live_head, live_body);
      return;
    case builtin::ready: {
      // Each part answers for itself; the answer names those not ready.
      auto waiting = core_.deps.not_ready ? core_.deps.not_ready() : std::vector<std::string>{};
      if (waiting.empty()) {
        respond_static(ready_head, ready_body);
        return;
      }
      std::string parts;
      for (const auto& p : waiting)
        parts += (parts.empty() ? "" : ", ") + p;
      fail(api_error(api_errc::unavailable, "not ready: " + parts, {}, 1));
      return;
    }
    case builtin::version:
      respond_static(json_200_head, core_.version_body);
      return;
    case builtin::openapi:
      respond_static(json_200_head, core_.openapi_body);
      return;
    case builtin::services:
      respond_static(json_200_head, core_.services_body);
      return;
    case builtin::asyncapi:
      respond_static(json_200_head, core_.asyncapi_body);
      return;
    case builtin::events:
      start_stream();
      return;
    case builtin::none:
      break;
  }
  fail(api_error(api_errc::internal, "unknown built-in"));
}

void session::dispatch_route(const route_entry& route,
                             std::map<std::string, std::string> params,
                             std::string_view path, std::string_view query) {
  auto& decl = *route.decl;
  auto& req = parser_->get();
  // Credentials first: an anonymous caller learns nothing about the body rules.
  std::optional<principal> caller;
  std::string api_key;
  // Cookies matter only to sign-in sessions: without any, none are read.
  std::map<std::string, std::string> cookies;
  if (!core_.deps.session_cookies.empty())
    if (auto header = req[bhttp::field::cookie]; !header.empty())
      cookies = parse_cookies({header.data(), header.size()});
  auto csrf_header = req["X-CSRF-Token"];
  if (decl.who != access::open) {
    auto authz = req[bhttp::field::authorization];
    auto key = req["X-API-Key"];
    // A sign-in session's cookie, when no other credentials are given.
    auto session_token = authz.empty() && key.empty()
                           ? session_cookie_token(cookies, core_.deps.session_cookies)
                           : std::string_view{};
    if (!authz.empty() || !session_token.empty()) {
      const bool from_cookie = authz.empty();
      auto token = from_cookie ? session_token : bearer_token({authz.data(), authz.size()});
      if (token.empty()) {
        fail(api_error(api_errc::unauthenticated, "only Bearer tokens are accepted"));
        return;
      }
      caf::expected<verified_token> v = core_.deps.verify_token
                                          ? core_.deps.verify_token(token)
                                          : caf::expected<verified_token>{
                                            api_error(api_errc::unauthenticated,
                                                      "tokens are not accepted")};
      // A session cookie's token is good in its cookie only, and a bearer
      // token never in a cookie: each kind keeps its own protections.
      if (v && from_cookie != !v->csrf.empty())
        v = api_error(api_errc::unauthenticated,
                      from_cookie ? "this cookie does not hold a session token"
                                  : "a session cookie's token is accepted only in its cookie");
      if (!v) {
        auto err = v.error();
        if (err.category() != caf::atom("api")
            || err.code() != static_cast<uint8_t>(api_errc::unauthenticated))
          err = api_error(api_errc::unauthenticated, "invalid token");
        if (from_cookie)
          fail(std::move(err));
        else
          fail(std::move(err),
               {"WWW-Authenticate", "Bearer realm=\"weft\", error=\"invalid_token\""});
        return;
      }
      // CSRF: a cross-site page can make the browser send the cookie, not
      // set a header; unsafe methods must show the session's token in one.
      if (from_cookie && decl.method != http_method::get
          && !csrf_token_matches({csrf_header.data(), csrf_header.size()}, v->csrf)) {
        fail(api_error(api_errc::forbidden,
                       "X-CSRF-Token is missing or is not this session's CSRF token"));
        return;
      }
      if (auto err = authorize(decl.who, v->who)) {
        fail(std::move(err));
        return;
      }
      caller = std::move(v->who);
    } else if (!key.empty()) {
      api_key.assign(key.data(), key.size()); // resolved by the gateway
    } else {
      fail(api_error(api_errc::unauthenticated, "credentials required"));
      return;
    }
  }
  nlohmann::json body;
  if (decl.takes_body) {
    auto ct = req[bhttp::field::content_type];
    if (!is_json_content_type({ct.data(), ct.size()})) {
      fail(api_error(api_errc::unsupported_media_type,
                     "Content-Type must be application/json"));
      return;
    }
    auto& text = req.body();
    if (!json_depth_ok(text, core_.settings.json_max_depth)) {
      fail(api_error(api_errc::bad_request,
                     "JSON nests deeper than "
                       + std::to_string(core_.settings.json_max_depth)));
      return;
    }
    // The adapter is an edge: nlohmann's exception carries the best message.
    try {
      body = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      // parse_error, and out_of_range for a number like 1e999 (found by
      // fuzzing: it reached the I/O thread's catch-all, unanswered).
      fail(api_error(api_errc::bad_request, std::string{"malformed JSON: "} + e.what()));
      return;
    }
    if (!body.is_object()) {
      fail(api_error(api_errc::bad_request, "the body must be a JSON object"));
      return;
    }
    // The schema OpenAPI shows is the one enforced.
    if (!decl.request_schema.is_null()) {
      if (auto v = weft::wire::validate(decl.request_schema, body); !v.empty()) {
        fail(invalid_request(pairs_of(v)));
        return;
      }
    }
  }
  auto query_map = parse_query(query);
  nlohmann::json query_values = nlohmann::json::object();
  if (!decl.query_schema.is_null()) {
    std::vector<weft::wire::violation> v;
    query_values = typed_query(decl.query_schema, query_map, v);
    if (v.empty())
      v = weft::wire::validate(decl.query_schema, query_values);
    if (!v.empty()) {
      fail(invalid_request(pairs_of(v)));
      return;
    }
  }
  // Resolved per request: a service that stopped, or lives elsewhere, is
  // found or refused here without any route changing.
  replica target;
  if (!decl.edge_only) {
    if (route.slot != nullptr)
      target = route.slot->pick();
    if (!target) {
      fail(api_error(api_errc::unavailable, "service " + route.service + " is not available", {},
                     1));
      return;
    }
  }
  gateway_job job;
  job.route = &route;
  job.target = std::move(target);
  job.timeout = core_.request_timeout;
  job.api_key = std::move(api_key);
  auto& ar = job.req;
  ar.method = route.method;
  ar.path.assign(path);
  ar.params = std::move(params);
  ar.query = std::move(query_map);
  ar.query_values = std::move(query_values);
  ar.body = std::move(body);
  ar.caller = std::move(caller);
  ar.request_id = request_id_;
  ar.client_ip = client_ip_;
  auto idem = req["Idempotency-Key"];
  ar.idempotency_key.assign(idem.data(), idem.size());
  ar.cookies = std::move(cookies);
  ar.csrf_token.assign(csrf_header.data(), csrf_header.size());
  pending_ = std::make_shared<session_exchange>(socket_.get_executor(), this, request_id_);
  job.ex = pending_;
  phase_ = phase::awaiting;
  // The guard: whatever the handler does, the client gets an answer.
  guard_.expires_after(core_.request_timeout + std::chrono::seconds{1});
  guard_.async_wait([self = shared_from_this(), ex = pending_](beast::error_code ec) {
    if (ec || !ex->claim())
      return;
    self->finish(*ex, render(problem_for(api_error(
                        api_errc::timeout, "the service did not answer in time"))));
  });
  caf::anon_send(worker_.gateway, std::move(job));
}

} // namespace weft::http
