#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>

#include <caf/event_based_actor.hpp>
#include <caf/make_message.hpp>
#include <nlohmann/json.hpp>

#include "events/wire.hpp"
#include "runtime/api_error.hpp"
#include "runtime/atoms.hpp"
#include "runtime/route.hpp"

// Routes as data: a route names its method, path, access, the wire types of
// its body, query and answer, and the message it sends to its service. The
// schemas come from the wire descriptions, so OpenAPI shows exactly what the
// edge enforces; the handler captures no handle (the edge resolves the
// service through the registry for each request). Include this only where
// routes are declared: it pulls in CAF's actor headers.
//
//   post("/auth/register", "auth.register", "Create an account")
//     .body<credentials>()
//     .answers<user_view>(201, [](const api_request& r, credentials c) {
//       return caf::make_message(register_atom::value, std::move(c), meta_of(r));
//     })
namespace weft::route_kit {

/// The request body as T: the edge checked it against the route's schema;
/// what still does not fit (a schema made looser by hand) is a 400 naming it.
template <class T>
caf::expected<T> body_as(const api_request& r) {
  try {
    T x{};
    wire::read(r.body, x);
    return x;
  } catch (const wire::read_error& e) {
    return api_error(api_errc::bad_request, e.what(), e.pointer());
  }
}

/// The query parameters as T (typed and checked by the edge).
template <class T>
caf::expected<T> query_as(const api_request& r) {
  try {
    T x{};
    wire::read(r.query_values, x);
    return x;
  } catch (const wire::read_error& e) {
    return api_error(api_errc::bad_request, std::string{"query parameter "} + e.what());
  }
}

namespace detail {

template <class Reply>
nlohmann::json render(const Reply& x) {
  if constexpr (std::is_same_v<Reply, ack_atom>)
    return nullptr;
  else
    return wire::to_json_value(x);
}

template <class Reply>
nlohmann::json response_schema() {
  if constexpr (wire::described<Reply>)
    return wire::schema_of<Reply>();
  else
    return nullptr;
}

} // namespace detail

/// A route being declared. `Body` and `Query` are the wire types of the
/// request body and query string (void: none).
template <class Body = void, class Query = void>
class route_builder {
public:
  explicit route_builder(route_decl d) : d_(std::move(d)) {}

  /// Who may call it (default: anybody).
  route_builder& who(access a) {
    d_.who = a;
    return *this;
  }

  /// Served at `/v<n><path>` (default 1).
  route_builder& version(int n) {
    d_.version = n;
    return *this;
  }

  /// The body is a B; `schema` replaces B's own (e.g. with a configured
  /// limit added by wire::with_property_facet).
  template <class B>
  route_builder<B, Query> body(nlohmann::json schema = nullptr) {
    route_decl d = d_;
    d.takes_body = true;
    d.request_schema = schema.is_null() ? wire::schema_of<B>() : std::move(schema);
    return route_builder<B, Query>{std::move(d)};
  }

  /// The query string is a Q (every field optional).
  template <class Q>
  route_builder<Body, Q> query() {
    route_decl d = d_;
    d.query_schema = wire::schema_of<Q>();
    return route_builder<Body, Q>{std::move(d)};
  }

  /// Sends the service `to_message(request[, body][, query])` and answers
  /// `status` with its `Reply` as JSON (`ack_atom`: no body).
  template <class Reply, class F>
  route_decl answers(int status, F to_message) {
    route_decl d = d_;
    d.success_status = status;
    d.response_schema = detail::response_schema<Reply>();
    d.handler = [status, to_message = std::move(to_message)](
                  caf::event_based_actor* self, const caf::actor& service,
                  std::chrono::milliseconds timeout, api_request req, api_reply reply,
                  api_fail fail) {
      auto msg = make(req, to_message);
      if (!msg)
        return fail(std::move(msg.error()));
      self->request(service, timeout, std::move(*msg))
        .then(
          [reply = std::move(reply), status](Reply& x) {
            reply(api_response{status, detail::render(x), {}});
          },
          [fail](caf::error& err) { fail(std::move(err)); });
    };
    return d;
  }

  /// Answered by the edge itself from the request (no service is asked).
  route_decl here(int status, nlohmann::json response_schema,
                  std::function<caf::expected<nlohmann::json>(const api_request&)> answer) {
    route_decl d = d_;
    d.edge_only = true;
    d.success_status = status;
    d.response_schema = std::move(response_schema);
    d.handler = [status, answer = std::move(answer)](caf::event_based_actor*, const caf::actor&,
                                                     std::chrono::milliseconds, api_request req,
                                                     api_reply reply, api_fail fail) {
      auto body = answer(req);
      if (!body)
        return fail(std::move(body.error()));
      reply(api_response{status, std::move(*body), {}});
    };
    return d;
  }

private:
  template <class F>
  static caf::expected<caf::message> make(const api_request& req, const F& to_message) {
    if constexpr (!std::is_void_v<Body> && !std::is_void_v<Query>) {
      auto b = body_as<Body>(req);
      if (!b)
        return b.error();
      auto q = query_as<Query>(req);
      if (!q)
        return q.error();
      return to_message(req, std::move(*b), std::move(*q));
    } else if constexpr (!std::is_void_v<Body>) {
      auto b = body_as<Body>(req);
      if (!b)
        return b.error();
      return to_message(req, std::move(*b));
    } else if constexpr (!std::is_void_v<Query>) {
      auto q = query_as<Query>(req);
      if (!q)
        return q.error();
      return to_message(req, std::move(*q));
    } else {
      return to_message(req);
    }
  }

  route_decl d_;
};

inline route_builder<> route(http_method m, std::string path, std::string operation_id,
                             std::string summary) {
  route_decl d;
  d.method = m;
  d.path = std::move(path);
  d.operation_id = std::move(operation_id);
  d.summary = std::move(summary);
  return route_builder<>{std::move(d)};
}

inline route_builder<> get(std::string path, std::string op, std::string summary) {
  return route(http_method::get, std::move(path), std::move(op), std::move(summary));
}

inline route_builder<> post(std::string path, std::string op, std::string summary) {
  return route(http_method::post, std::move(path), std::move(op), std::move(summary));
}

inline route_builder<> put(std::string path, std::string op, std::string summary) {
  return route(http_method::put, std::move(path), std::move(op), std::move(summary));
}

inline route_builder<> patch(std::string path, std::string op, std::string summary) {
  return route(http_method::patch, std::move(path), std::move(op), std::move(summary));
}

inline route_builder<> del(std::string path, std::string op, std::string summary) {
  return route(http_method::del, std::move(path), std::move(op), std::move(summary));
}

/// The `{items, next}` schema of a page of T (next: null on the last page).
template <class T>
nlohmann::json page_schema() {
  return {{"type", "object"},
          {"required", {"items", "next"}},
          {"properties",
           {{"items", {{"type", "array"}, {"items", wire::schema_of<T>()}}},
            {"next", {{"type", {"string", "null"}}}}}}};
}

} // namespace weft::route_kit
