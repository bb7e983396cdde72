#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <nlohmann/json.hpp>

#include "schema/model.hpp"

// What the entities service serves, compiled once from a checked schema:
// one collection per `crud.rest` binding, with the attributes it accepts and
// returns, who may read and write, and the JSON Schemas the edge enforces
// (create, patch, view) and the events carry.
namespace weft::entities {

/// An `analytics.tracking` binding of a served entity: on its triggers (and
/// only when `condition_field` equals `condition_value`, if set) each write
/// also emits `analytics.tracked`, in the same unit of work.
struct tracking {
  std::string name;
  std::string event_name;
  std::set<std::string> triggers;          ///< create, update, delete
  std::string condition_field;             ///< empty: always
  nlohmann::json condition_value;
  std::vector<std::string> properties;     ///< attributes copied into `properties`
};

/// A `notifications.inapp` binding of a served entity: on its triggers each
/// write also asks the notifications service (event
/// notifications.inapp.requested, in the write's unit of work) to notify
/// the people `recipient_field` names, with `subject_template` filled in.
struct notifying {
  std::string name;
  std::string recipient_field;             ///< a String (one) or Array[String] attribute
  std::string subject_template;            ///< `{{attribute}}` replaced by the row's value
  std::set<std::string> triggers;          ///< create, update, delete

  /// The template with each `{{attribute}}` replaced by `row`'s value
  /// (strings as they are, other values as JSON, absent ones empty).
  std::string title_for(const nlohmann::json& row) const;
};

/// An `auth.password` or `auth.cookies` binding: sign-in for the accounts
/// that the entity's rows are, under /v1/<plural>/auth/<name>. Credentials
/// live in the row (the password as its Argon2id hash); sessions (refresh
/// token families) in the store of the binding's provider.
struct sign_in {
  std::string name;
  std::string realm;                       ///< `<plural>/<name>`: what its tokens carry
  std::string kind;                        ///< auth.password or auth.cookies
  std::string provider;                    ///< where its sessions live: weft, postgres, memory
  std::string login_field;                 ///< unique
  std::string password_field;              ///< never served, never in an event
  std::string roles_field;                 ///< empty: every account has default_roles
  std::vector<std::string> default_roles;  ///< a registration's roles (never the body's)
  bool email_login = false;                ///< login values are emails: trimmed, lower-cased
  // auth.cookies
  std::string cookie_name;                 ///< the access token's cookie; empty: bearer tokens
  std::string same_site;                   ///< Strict, Lax or None

  bool cookies() const { return !cookie_name.empty(); }
  std::string base_path(const std::string& plural) const { return "/" + plural + "/auth/" + name; }
};

struct collection {
  schema::entity entity;            ///< its attributes, implicit ones included
  std::string plural;               ///< /v1/<plural>
  std::string table;                ///< weft_e_<entity in snake case>
  std::string event_prefix;         ///< `user`: events user.created|updated|deleted
  std::string provider;             ///< weft, postgres or memory
  std::set<std::string> hidden;     ///< never returned nor in events
  std::set<std::string> excluded;   ///< not served at all: auth services' password fields
  std::vector<std::string> read_roles;  ///< empty: any signed-in caller
  std::vector<std::string> write_roles;
  std::vector<tracking> trackings;      ///< analytics.tracking bindings of the entity
  std::vector<notifying> notifyings;    ///< notifications.inapp bindings of the entity
  std::vector<sign_in> sign_ins;        ///< auth.password and auth.cookies bindings
  bool crud = true;                     ///< false: only its sign-in services are served

  /// Attributes a client may write (not implicit, not excluded).
  std::vector<const schema::attribute*> writable() const;
  /// Attributes an answer shows (not hidden, not excluded).
  std::vector<const schema::attribute*> visible() const;
  /// Attributes a listing may filter on (unique or indexed, visible).
  std::vector<const schema::attribute*> filters() const;

  nlohmann::json create_schema() const;
  nlohmann::json patch_schema() const;
  nlohmann::json view_schema() const;
  nlohmann::json query_schema() const;

  /// The row as an answer shows it and events carry it.
  nlohmann::json view(const nlohmann::json& row) const;
  /// Checks what JSON Schema does not (formats: uuid, date, date-time,
  /// base64); a 400 naming the attribute.
  caf::error check_values(const nlohmann::json& body) const;
};

struct catalog {
  std::vector<collection> collections;
  std::vector<std::string> not_served; ///< bindings of kinds this node does not run yet
  std::string version; ///< the schema's hash: events' dataversion

  /// The CRUD collection /v1/<plural> (not an entity served for sign-in only).
  const collection* find(std::string_view plural) const;
  /// The collection and sign-in service of `realm` (`<plural>/<name>`), if any.
  std::pair<const collection*, const sign_in*> find_realm(std::string_view realm) const;
};

/// The catalog of a schema that passed schema::check_services.
std::shared_ptr<const catalog> build_catalog(const schema::entity_schema& s);

} // namespace weft::entities
