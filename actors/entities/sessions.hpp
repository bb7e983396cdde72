#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <caf/expected.hpp>

#include "runtime/unit_of_work.hpp"

// The sessions of the schema's sign-in services: refresh tokens, stored only
// as their hash, in families (as the auth service keeps its own, in a table
// of their own: migrations/0001_sign_in_sessions.sql). Opened on a unit of
// work of the store the binding's provider names.
namespace weft::entities {

struct session_record {
  std::string token_hash;
  std::string realm;      ///< `<plural>/<name>`: a token is good for its realm only
  std::string subject;    ///< the account: the entity row's id
  std::string family_id;
  int64_t expires_at = 0; ///< unix seconds
  bool used = false;
};

class session_repository {
public:
  virtual ~session_repository() = default;

  virtual caf::error insert(const session_record& r) = 0;
  virtual caf::expected<std::optional<session_record>> find(std::string_view token_hash) = 0;
  /// Marks `used_hash` used and stores `next`; false if it was used already
  /// (a concurrent rotation won: marking is the lock).
  virtual caf::expected<bool> rotate(std::string_view used_hash, const session_record& next) = 0;
  /// Deletes every token of the family.
  virtual caf::error revoke_family(std::string_view family_id) = 0;
  /// Retention: deletes at most `limit` tokens expired before `now`; how many.
  virtual caf::expected<int64_t> prune_expired(int64_t now, int64_t limit) = 0;
};

std::unique_ptr<session_repository> open_sessions(unit_of_work& w);
std::unique_ptr<session_repository> open_memory_sessions(unit_of_work& w);
std::unique_ptr<session_repository> open_pg_sessions(unit_of_work& w);

} // namespace weft::entities
