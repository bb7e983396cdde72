#pragma once

#include <atomic>
#include <memory>
#include <stdexcept>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "adapters/http/http_server.hpp"
#include "runtime/api_error.hpp"
#include "runtime/metrics.hpp"
#include "runtime/service_ports.hpp"
#include "test_client.hpp"
#include "tests/support/process.hpp"

// A tiny node: an actor system, a fake "echo" service whose routes talk to
// real actors through the registry, a "slow" service that never answers, a
// "gone" service declared but never bound, and the HTTP server on a free
// port.
namespace weft::http::test {

inline caf::behavior echo_actor() {
  return {[](const std::string& id) { return "echo:" + id; }};
}

/// Takes requests and never answers them.
inline caf::behavior silent_actor(caf::event_based_actor* self) {
  return {[=](const std::string&) { auto rp = self->make_response_promise(); }};
}

inline identity_actor::behavior_type key_store() {
  return {[](resolve_atom, const std::string& key) -> caf::result<principal> {
    if (key == "key-admin")
      return principal{"key1", "", {role_admin}, "api_key", {}};
    return api_error(api_errc::unauthenticated, "unknown API key");
  }};
}

inline caf::expected<verified_token> verify(std::string_view token) {
  if (token == "user-token")
    return verified_token{principal{"u1", "u@example.org", {role_user}, "token", {}}, {}};
  if (token == "admin-token")
    return verified_token{principal{"a1", "a@example.org", {role_admin}, "token", {}}, {}};
  // A schema account whose roles say admin: still no management.
  if (token == "realm-admin-token")
    return verified_token{principal{"m1", "m@example.org", {role_admin, role_root}, "token", "members/web"}, {}};
  // A session cookie's token, with its CSRF token.
  if (token == "cookie-token")
    return verified_token{principal{"m2", "c@example.org", {role_admin}, "cookie", "members/web"}, "csrf-1"};
  return api_error(api_errc::unauthenticated, "bad signature");
}

struct server_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  weft::metrics metrics;
  std::atomic<bool> ready{true};
  caf::actor echo, silent;
  identity_actor keys;
  service_registry registry;
  std::unique_ptr<server> srv;
  uint16_t port = 0;

  static route_decl route(http_method m, std::string path, access who,
                          route_handler h, int version = 1, bool edge_only = true) {
    route_decl r;
    r.method = m;
    r.path = std::move(path);
    r.who = who;
    r.version = version;
    r.operation_id = "echo" + r.path + "." + to_string(m) + std::to_string(version);
    r.handler = std::move(h);
    r.edge_only = edge_only;
    return r;
  }

  explicit server_fixture(uint32_t threads = 2,
                          std::function<void(config::http_section&)> tweak = {}) {
    sys = std::make_unique<caf::actor_system>(cfg);
    echo = sys->spawn(echo_actor);
    silent = sys->spawn(silent_actor);
    keys = sys->spawn(key_store);
    service_decl svc;
    svc.name = "echo";
    svc.routes.push_back(route(
      http_method::get, "/echo/{id}", access::open,
      [](caf::event_based_actor* self, const caf::actor& service,
         std::chrono::milliseconds timeout, api_request req, api_reply reply, api_fail fail) {
        self->request(service, timeout, req.params["id"])
          .then(
            [reply, req](const std::string& s) {
              reply({200,
                     {{"echo", s}, {"query", req.query}, {"request_id", req.request_id},
                      {"path", req.path}},
                     {{"X-Echo", "yes"}}});
            },
            [fail](caf::error& err) { fail(err); });
      },
      1, false));
    auto post = route(http_method::post, "/echo", access::open,
                      [](caf::event_based_actor*, const caf::actor&, std::chrono::milliseconds,
                         api_request req, api_reply reply, api_fail) {
                        reply({201, req.body, {}});
                      });
    post.takes_body = true;
    post.success_status = 201;
    svc.routes.push_back(post);
    // A body schema and a query schema, enforced by the edge.
    auto typed = route(http_method::post, "/typed", access::open,
                       [](caf::event_based_actor*, const caf::actor&, std::chrono::milliseconds,
                          api_request req, api_reply reply, api_fail) {
                         reply({200, {{"body", req.body}, {"query", req.query_values}}, {}});
                       });
    typed.takes_body = true;
    typed.request_schema = {{"type", "object"},
                            {"required", {"name", "count"}},
                            {"properties",
                             {{"name", {{"type", "string"}, {"minLength", 2}}},
                              {"count", {{"type", "integer"}, {"maximum", 9}}}}}};
    typed.query_schema = {{"type", "object"},
                          {"properties",
                           {{"limit", {{"type", "integer"}, {"minimum", 1}}},
                            {"tag", {{"type", "string"}}}}}};
    svc.routes.push_back(typed);
    auto whoami = [](caf::event_based_actor*, const caf::actor&, std::chrono::milliseconds,
                     api_request req, api_reply reply, api_fail) {
      reply({200, {{"caller", req.caller ? req.caller->id : ""}}, {}});
    };
    svc.routes.push_back(route(http_method::get, "/secure", access::authenticated, whoami));
    svc.routes.push_back(route(http_method::post, "/secure", access::authenticated, whoami));
    svc.routes.push_back(route(http_method::get, "/admin", access::management, whoami));
    svc.routes.push_back(route(http_method::get, "/root", access::root, whoami));
    service_decl slow;
    slow.name = "slow";
    slow.routes.push_back(route(
      http_method::get, "/slow", access::open,
      [](caf::event_based_actor* self, const caf::actor& service,
         std::chrono::milliseconds timeout, api_request, api_reply reply, api_fail fail) {
        self->request(service, timeout, std::string{"x"})
          .then([reply](const std::string&) { reply({200, {}, {}}); },
                [fail](caf::error& err) { fail(err); });
      },
      1, false));
    service_decl gone;
    gone.name = "gone";
    gone.routes.push_back(route(
      http_method::get, "/gone", access::open,
      [](caf::event_based_actor*, const caf::actor&, std::chrono::milliseconds, api_request,
         api_reply reply, api_fail) { reply({200, {}, {}}); },
      1, false));
    svc.routes.push_back(route(http_method::get, "/void", access::open,
                               [](caf::event_based_actor*, const caf::actor&,
                                  std::chrono::milliseconds, api_request, api_reply, api_fail) {
                                 // drops reply and fail: the adapter's guard answers
                               }));
    svc.routes.push_back(route(http_method::get, "/throws", access::open,
                               [](caf::event_based_actor*, const caf::actor&,
                                  std::chrono::milliseconds, api_request, api_reply, api_fail) {
                                 throw std::runtime_error("boom");
                               }));
    svc.routes.push_back(route(
      http_method::get, "/crash", access::open,
      [](caf::event_based_actor* self, const caf::actor& service,
         std::chrono::milliseconds timeout, api_request, api_reply, api_fail) {
        // Throws inside a continuation, where no try/catch of ours reaches.
        self->request(service, timeout, std::string{"c"})
          .then([](const std::string&) { throw std::runtime_error("crash"); });
      },
      1, false));
    for (int v : {1, 2})
      svc.routes.push_back(route(
        http_method::get, "/versioned", access::open,
        [v](caf::event_based_actor*, const caf::actor&, std::chrono::milliseconds, api_request,
            api_reply reply, api_fail) { reply({200, {{"v", v}}, {}}); },
        v));
    service_decl key_service;
    key_service.name = "keys";
    registry.declare(svc);
    registry.declare(slow);
    registry.declare(gone);
    registry.declare(key_service);
    registry.bind("echo", echo);
    registry.bind("slow", silent);
    registry.bind("keys", caf::actor_cast<caf::actor>(keys));
    config::http_section settings;
    settings.host = "127.0.0.1";
    settings.port = 0;
    settings.threads = threads;
    settings.request_timeout_ms = 300 * static_cast<uint32_t>(weft::test::test_time_scale()); // sanitizer builds are slower
    settings.json_max_depth = 8;
    settings.header_limit = 8192;
    if (tweak)
      tweak(settings);
    server_deps deps;
    deps.system = sys.get();
    deps.registry = &registry;
    deps.verify_token = verify;
    deps.session_cookies = {"weft_session"};
    deps.api_key_service = "keys";
    deps.metrics = &metrics;
    deps.not_ready = [this] {
      return ready.load() ? std::vector<std::string>{} : std::vector<std::string>{"test"};
    };
    deps.node_name = "test-node";
    deps.version = "9.9.9";
    srv = std::make_unique<server>(settings, std::move(deps));
    port = srv->start();
  }

  ~server_fixture() {
    srv.reset();
    registry.unbind_all();
    caf::anon_send_exit(echo, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(silent, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(keys, caf::exit_reason::user_shutdown);
    sys.reset();
  }

  reply get(const std::string& target, std::map<std::string, std::string> headers = {}) {
    return roundtrip(port, make_request("GET", target, std::move(headers)));
  }

  reply post(const std::string& target, const std::string& body,
             std::map<std::string, std::string> headers
             = {{"Content-Type", "application/json"}}) {
    return roundtrip(port, make_request("POST", target, std::move(headers), body));
  }
};

} // namespace weft::http::test
