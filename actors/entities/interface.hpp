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

// The entities service: the `crud.rest` bindings of the node's entity schema
// (`schema.file`), served with no C++ written for them. One service answers
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

/// The front actor.
using entities_actor = caf::typed_actor<caf::replies_to<crud_atom, crud_call>::with<crud_answer>>;

/// Per collection: `GET|POST /v1/<plural>`, `GET|PATCH|DELETE /v1/<plural>/{id}`,
/// signed-in callers only, then the collection's read or write roles.
std::vector<route_decl> entity_routes(std::shared_ptr<const catalog> cat);

} // namespace weft::entities
