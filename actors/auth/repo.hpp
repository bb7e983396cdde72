#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/unit_of_work.hpp"

// The auth service's repository port, opened on a unit of work: its writes
// commit with the unit (with the events the handler emits and its
// Idempotency-Key answer), so events are published if and only if the
// change committed (DESIGN §3). Failures of the store itself are
// `api_errc::unavailable`.
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

class auth_repository {
public:
  virtual ~auth_repository() = default;

  /// Users.
  virtual caf::expected<std::optional<user_record>> find_user(std::string_view id) = 0;
  virtual caf::expected<std::optional<user_record>> find_user_by_email(std::string_view email) = 0;
  /// `api_errc::conflict` if the email is taken.
  virtual caf::error insert_user(const user_record& u) = 0;
  /// `api_errc::not_found` if there is no such user.
  virtual caf::error update_roles(std::string_view user_id, const std::vector<std::string>& roles) = 0;
  /// Users with id > `after`, by id, at most `limit`.
  virtual caf::expected<std::vector<user_record>> list_users(std::string_view after,
                                                             std::size_t limit) = 0;

  /// Refresh tokens.
  virtual caf::error insert_refresh(const refresh_record& r) = 0;
  virtual caf::expected<std::optional<refresh_record>> find_refresh(std::string_view hash) = 0;
  /// Marks `used_hash` used and stores `next`; `false` if `used_hash` was
  /// already used (a concurrent rotation won; marking is the lock).
  virtual caf::expected<bool> rotate_refresh(std::string_view used_hash,
                                             const refresh_record& next) = 0;
  /// Deletes every token of the family.
  virtual caf::error revoke_family(std::string_view family_id) = 0;
  /// Retention: deletes at most `limit` tokens expired before `now` (unix
  /// seconds), used or not (a revoked family is deleted at once); how many.
  virtual caf::expected<int64_t> prune_expired_refresh(int64_t now, int64_t limit) = 0;

  /// API keys.
  virtual caf::error insert_api_key(const api_key_record& k) = 0;
  virtual caf::expected<std::optional<api_key_record>> find_api_key_by_hash(std::string_view hash) = 0;
  /// `false` if there is no such key.
  virtual caf::expected<bool> delete_api_key(std::string_view id) = 0;
  virtual caf::expected<std::vector<api_key_record>> list_api_keys(std::string_view after,
                                                                   std::size_t limit) = 0;
};

/// The repository on the unit of work's store (memory or PostgreSQL).
std::unique_ptr<auth_repository> open_repository(unit_of_work& w);

/// The two implementations (repo_memory.cpp, repo_pg.cpp).
std::unique_ptr<auth_repository> open_memory_repository(unit_of_work& w);
std::unique_ptr<auth_repository> open_pg_repository(unit_of_work& w);

} // namespace weft::auth
