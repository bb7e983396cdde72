#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "events/envelope.hpp"
#include "runtime/principal.hpp"
#include "runtime/retention.hpp"
#include "runtime/route.hpp"

// What a service declares about itself, and what it is given to start. The
// node builds its route table, OpenAPI document, subscriptions, registry and
// lifecycle from these alone (runtime/service_module.hpp lists the modules).
namespace weft {

class unit_of_work;
class store;
class metrics;
struct bus_message;

/// An event type a service publishes: from its typed event (events/typed_event.hpp).
struct event_decl {
  std::string type;        ///< `auth.user.created`
  int version = 1;         ///< `dataversion`
  nlohmann::json schema;   ///< JSON Schema of `data`
};

/// A subscriber's handler, run by its inbox once per event id inside a unit
/// of work: its repository writes, the events it emits and the inbox record
/// commit together (record -> handle -> commit -> ack). No effects outside
/// the unit: it may run again after a rollback. An error naks the event
/// (retried with backoff); an error of category `events` dead-letters it.
using event_handler_fn = std::function<caf::error(unit_of_work&, const events::envelope&)>;

/// The same for several events at once (one statement for many); an error
/// rolls them all back and the inbox retries them one by one.
using event_batch_handler_fn
  = std::function<caf::error(unit_of_work&, std::span<const events::envelope>)>;

/// A verified access token: who it names and, for a session cookie's token,
/// the CSRF token issued with it (empty for a bearer token): an unsafe
/// request with the cookie must present it in X-CSRF-Token. (It is signed
/// into the token in clear: whoever holds the token is past needing it.)
struct verified_token {
  principal who;
  std::string csrf;
};

/// Verifies an access token on the HTTP edge's I/O thread (pure CPU,
/// thread-safe): what it carries, or `api_errc::unauthenticated`.
using token_verifier = std::function<caf::expected<verified_token>(std::string_view token)>;

/// What a started service hands the node.
struct service_instance {
  caf::actor front;                 ///< its typed interface (routes and peers send here)
  std::vector<caf::actor> actors;   ///< every actor it spawned, stopped with it
};

/// What a service is given to start: only what it needs, never the config
/// (its settings were read from its own section when it was declared).
struct service_context {
  caf::actor_system& system;
  store& data;                      ///< its unit-of-work factory: memory or PostgreSQL
  metrics& node_metrics;
  std::string node_name;
  /// The node's event bus (an `event_bus_actor`), for what a service puts
  /// on the stream itself rather than through its outbox (dead letters).
  caf::actor bus;
  /// The node's memory store: `data` itself on an embedded node; beside
  /// PostgreSQL on a durable one, for schema bindings with the provider memory.
  store* memory = nullptr;
};

/// A schema binding a service serves (schema-driven services): which entity,
/// which kind and provider, and the operation ids of its routes.
struct binding_decl {
  std::string entity;                 ///< `User`
  std::string kind;                   ///< `crud.rest`
  std::string provider;               ///< `weft`
  std::vector<std::string> operations; ///< its routes' operation ids
};

/// A service's declaration: everything the node needs to host it, serve its
/// routes and feed its inbox. Built from its settings by its module.
struct service_decl {
  std::string name;                          ///< `auth`: source `/weft/auth`, consumer `auth`
  std::vector<route_decl> routes;            ///< each names this service (or none)
  std::vector<event_decl> publishes;         ///< from its typed events
  std::vector<std::string> subscribes;       ///< subject filters its inbox consumes
  event_handler_fn on_event;                 ///< its inbox's handler (when it subscribes)
  event_batch_handler_fn on_events;          ///< optional: many events at once
  token_verifier verify_token;               ///< bearer tokens it issues, checked by the edge
  /// Cookies carrying the access tokens of its sign-in sessions: the edge
  /// reads them when a request brings no other credentials.
  std::vector<std::string> session_cookies;
  bool resolves_api_keys = false;            ///< its front answers `identity_actor`
  /// Dead letters of its consumer that it takes back itself when they are
  /// redriven, instead of their events being published again (its inbox
  /// has them recorded): true for such a `letter`, which its front is then
  /// sent as `(redrive_atom, bus_message)` and answers `ack_atom`. May be empty.
  std::function<bool(const bus_message& letter)> takes_back_letter;
  /// What it keeps only for a while, pruned by the node's sweeper.
  std::vector<retention_rule> retention;
  /// The schema bindings it serves; empty for hand-written services.
  std::vector<binding_decl> bindings;
  /// Spawns the service; called once, on the node that hosts it.
  std::function<caf::expected<service_instance>(service_context&)> start;
};

} // namespace weft
