#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "events/wire.hpp"
#include "runtime/atoms.hpp"
#include "runtime/principal.hpp"
#include "runtime/request_meta.hpp"
#include "runtime/route.hpp"

// The entities service: the `crud.rest`, `auth.password` and `auth.cookies`
// bindings of the node's entity schema (`schema.file`), served with no C++
// written for them. One service answers
// every collection; each request names its collection, operation and
// record. Its messages carry JSON as text: the shapes come from the schema,
// known at run time only (the edge has checked them against the schema's
// JSON Schemas before they get here).
namespace weft::entities {

struct catalog;

/// One request to a collection.
struct crud_call {
  std::string collection; ///< the plural: `users`
  std::string op;         ///< create, read, update, remove, list
  std::string id;         ///< read, update, remove
  std::string body;       ///< create, update: the JSON object
  std::string query;      ///< list: the typed query parameters, a JSON object
  principal caller;
  request_meta meta;

  static auto describe() {
    return wire::object<crud_call>(
      "weft.entities.call", "A request to a schema-driven collection",
      wire::field("collection", &crud_call::collection),
      wire::field("op", &crud_call::op).one_of({"create", "read", "update", "remove", "list"}),
      wire::field("id", &crud_call::id).optional(),
      wire::field("body", &crud_call::body).optional(),
      wire::field("query", &crud_call::query).optional(),
      wire::field("caller", &crud_call::caller),
      wire::field("meta", &crud_call::meta));
  }
};
WEFT_WIRE(crud_call)

/// Its answer: the JSON body as text (empty: none).
struct crud_answer {
  std::string body;

  static auto describe() {
    return wire::object<crud_answer>("weft.entities.answer", "A collection's answer",
                                     wire::field("body", &crud_answer::body).optional());
  }
};
WEFT_WIRE(crud_answer)

using sign_in_atom = caf::atom_constant<caf::atom("signin")>;

/// One request to a sign-in service (auth.password, auth.cookies).
struct sign_in_call {
  std::string realm;         ///< `<plural>/<name>`
  std::string op;            ///< register, login, refresh, logout, me
  std::string body;          ///< register, login: the JSON object
  std::string refresh_token; ///< refresh, logout
  principal caller;          ///< me
  request_meta meta;

  static auto describe() {
    return wire::object<sign_in_call>(
      "weft.entities.sign_in_call", "A request to a schema sign-in service",
      wire::field("realm", &sign_in_call::realm),
      wire::field("op", &sign_in_call::op).one_of({"register", "login", "refresh", "logout", "me"}),
      wire::field("body", &sign_in_call::body).optional(),
      wire::field("refresh_token", &sign_in_call::refresh_token).optional(),
      wire::field("caller", &sign_in_call::caller),
      wire::field("meta", &sign_in_call::meta));
  }
};
WEFT_WIRE(sign_in_call)

/// The front actor. Sign-in answers are JSON text as well: an account's
/// view, or a token grant (`access_token`, `token_type`, `expires_in`,
/// `refresh_token`; for auth.cookies also `csrf_token` and
/// `refresh_expires_in`, which the route turns into cookies).
using entities_actor
  = caf::typed_actor<caf::replies_to<crud_atom, crud_call>::with<crud_answer>,
                     caf::replies_to<sign_in_atom, sign_in_call>::with<crud_answer>>;

/// Per collection: `GET|POST /v1/<plural>`, `GET|PATCH|DELETE /v1/<plural>/{id}`,
/// signed-in callers only, then the collection's read or write roles; per
/// sign-in service `/v1/<plural>/auth/<name>/register|login|refresh|logout|me`.
/// `password_min_length`: register's, as the auth section sets it.
std::vector<route_decl> entity_routes(std::shared_ptr<const catalog> cat,
                                      uint32_t password_min_length = 8);

} // namespace weft::entities
