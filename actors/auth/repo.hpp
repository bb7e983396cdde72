#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "events/envelope.hpp"
#include "runtime/service_ports.hpp"

// The auth service's repository port. Each call is one transaction; the
// unit of work passed with a change (its events, its idempotency record) is
// stored with it, so events are published if and only if the change
// committed (DESIGN §3), and a retried request finds its answer. Failures of
// the store itself are `api_errc::unavailable`; an Idempotency-Key recorded
// concurrently by another request is `api_errc::conflict`.
namespace weft::auth {

struct user_record {
  std::string id;                 ///< UUIDv7: sorts by creation, the paging key
  std::string email;              ///< lower-cased
  std::string password_hash;      ///< Argon2id PHC string
  std::vector<std::string> roles;
  std::string created_at;
};

/// A refresh token, stored only as its hash. A login starts a family; each
/// refresh rotates to a new token of the same family and marks the old one
/// used; presenting a used token again revokes the whole family.
struct refresh_record {
  std::string token_hash;
  std::string user_id;
  std::string family_id;
  int64_t expires_at = 0;         ///< unix seconds
  bool used = false;
};

struct api_key_record {
  std::string id;
  std::string name;
  std::string role;
  std::string key_hash;
  std::string created_by;
  std::string created_at;
};

using outbox_events = std::vector<events::envelope>;

/// A write's recorded answer under its Idempotency-Key: a retry with the same
/// key gets `response` again instead of doing the work twice.
struct idempotency_record {
  std::string key;
  std::string operation;     ///< route operation and caller: keys are scoped by both
  std::string request_hash;  ///< SHA-256 of the request: same key, other body = 422
  std::string response;      ///< the reply, as JSON
  int64_t expires_at = 0;    ///< unix seconds
};

/// What commits with a change: its events (outbox rows) and, for a request
/// with an Idempotency-Key, its recorded answer. All or nothing.
struct unit_of_work {
  outbox_events events;
  std::optional<idempotency_record> idempotency;
};

class auth_repository {
public:
  virtual ~auth_repository() = default;

  /// Users.
  virtual caf::expected<std::optional<user_record>> find_user(std::string_view id) = 0;
  virtual caf::expected<std::optional<user_record>> find_user_by_email(std::string_view email) = 0;
  /// `api_errc::conflict` if the email is taken.
  virtual caf::error insert_user(const user_record& u, const unit_of_work& work) = 0;
  virtual caf::error update_roles(std::string_view user_id, const std::vector<std::string>& roles,
                                  const unit_of_work& work) = 0;
  /// Users with id > `after`, by id, at most `limit`.
  virtual caf::expected<std::vector<user_record>> list_users(std::string_view after,
                                                             std::size_t limit) = 0;

  /// Refresh tokens.
  virtual caf::error insert_refresh(const refresh_record& r, const unit_of_work& work) = 0;
  virtual caf::expected<std::optional<refresh_record>> find_refresh(std::string_view hash) = 0;
  /// Marks `used_hash` used and stores `next` in one transaction; `false` if
  /// `used_hash` was already used (a concurrent rotation won).
  virtual caf::expected<bool> rotate_refresh(std::string_view used_hash,
                                             const refresh_record& next) = 0;
  /// Deletes every token of the family.
  virtual caf::error revoke_family(std::string_view family_id, const unit_of_work& work) = 0;

  /// The live (unexpired) record of an Idempotency-Key, if any.
  virtual caf::expected<std::optional<idempotency_record>>
  find_idempotent(std::string_view key, std::string_view operation) = 0;

  /// API keys.
  virtual caf::error insert_api_key(const api_key_record& k, const unit_of_work& work) = 0;
  virtual caf::expected<std::optional<api_key_record>> find_api_key_by_hash(std::string_view hash) = 0;
  /// `false` if there is no such key.
  virtual caf::expected<bool> delete_api_key(std::string_view id, const unit_of_work& work) = 0;
  virtual caf::expected<std::vector<api_key_record>> list_api_keys(std::string_view after,
                                                                   std::size_t limit) = 0;
};

/// The embedded store: everything in memory, committed events handed to the
/// outbox relay right after each change.
std::unique_ptr<auth_repository> make_memory_auth_repository(outbox_actor outbox);

} // namespace weft::auth
