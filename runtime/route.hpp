#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/fwd.hpp>
#include <nlohmann/json.hpp>

#include "runtime/principal.hpp"

namespace weft {

enum class http_method { get, post, put, patch, del };
const char* to_string(http_method m);

/// Who may call a route (DESIGN §5): nobody in particular, any authenticated
/// caller, admins and root, or root alone.
enum class access { open, authenticated, management, root };

/// What the HTTP adapter hands a route: everything already parsed, checked
/// and authenticated.
struct api_request {
  http_method method = http_method::get;
  std::string path;                              ///< as requested
  std::map<std::string, std::string> params;     ///< `{id}` path parameters
  std::map<std::string, std::string> query;      ///< decoded query string
  nlohmann::json body;                           ///< null when the route takes none
  std::optional<principal> caller;               ///< set unless the route is open
  std::string request_id;                        ///< X-Request-Id, becomes correlationid
  std::string client_ip;
  std::string idempotency_key;                   ///< Idempotency-Key header, if any
  std::map<std::string, std::string> cookies;    ///< the Cookie header's pairs
  std::string csrf_token;                        ///< X-CSRF-Token header, if any
  /// The query parameters typed by the route's query schema (numbers as
  /// numbers), checked against it; an empty object without one.
  nlohmann::json query_values = nlohmann::json::object();
};

/// A successful answer. Errors travel as `caf::error` (see api_error.hpp).
struct api_response {
  int status = 200;
  nlohmann::json body;                           ///< null means no body (204)
  std::vector<std::pair<std::string, std::string>> headers;
  /// The body already serialized as JSON, used instead of `body` when set:
  /// for a service that answers text (the schema's collections), parsing it
  /// only to print it again is work a read does not need.
  std::string json_text;
};

/// Whether `given` (an X-CSRF-Token header) is a session's `expected` CSRF
/// token, in time that does not depend on where they differ (OpenSSL's
/// CRYPTO_memcmp); never for an empty `expected`. The edge checks session
/// cookies with it, sign-in routes their double-submitted cookie.
bool csrf_token_matches(std::string_view given, std::string_view expected);

/// Called exactly once with the answer or the error.
using api_reply = std::function<void(api_response)>;
using api_fail = std::function<void(caf::error)>;

/// A route's handler runs inside a gateway actor of the HTTP adapter. The
/// edge resolved the route's service to `service` (its front actor, local or,
/// in a cluster, remote) before calling; the handler turns the request into
/// the service's message, `self->request`s it with `timeout`, and answers
/// through `reply` or `fail`. It never blocks and captures no handle: routes
/// are data, the registry says where a service answers (runtime/route_kit.hpp
/// builds handlers from the message types).
using route_handler = std::function<void(caf::event_based_actor* self, const caf::actor& service,
                                         std::chrono::milliseconds timeout, api_request req,
                                         api_reply reply, api_fail fail)>;

/// One REST endpoint, declared by the service that owns it. The adapter
/// builds its route table and the OpenAPI document from these alone, and
/// checks bodies and query strings against the schemas shown there.
struct route_decl {
  http_method method = http_method::get;
  std::string path;            ///< without version: `/auth/users/{id}/roles`
  int version = 1;             ///< served at `/v<version><path>` and, when latest, at `<path>`
  access who = access::open;
  std::string service;         ///< whose front answers; the registry sets the declaring service
  bool edge_only = false;      ///< answered by the edge from the request alone: no service asked
  std::string operation_id;    ///< `auth.login`
  std::string summary;
  bool takes_body = false;     ///< expects `application/json`
  nlohmann::json request_schema;   ///< JSON Schema of the body, enforced by the edge; or null
  nlohmann::json response_schema;  ///< JSON Schema of the success body, or null
  int success_status = 200;
  nlohmann::json query_schema; ///< object schema of the query parameters (all optional), or null
  route_handler handler;
};

} // namespace weft
