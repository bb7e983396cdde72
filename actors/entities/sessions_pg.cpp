#include "actors/entities/sessions.hpp"
#include "adapters/postgres/pg_store.hpp"
#include "adapters/postgres/postgres.hpp"

// Sign-in sessions on PostgreSQL (migrations/0001_sign_in_sessions.sql),
// inside the unit of work's transaction.
namespace weft::entities {

namespace {

constexpr pg::statement session_insert_sql{
  "entities_session_insert",
  "INSERT INTO weft_sign_in_sessions (token_hash, realm, subject, family_id, expires_at, used)"
  " VALUES ($1, $2, $3, $4::uuid, to_timestamp($5), false)"};
constexpr pg::statement session_find_sql{
  "entities_session_find",
  "SELECT token_hash, realm, subject, family_id::text, extract(epoch FROM expires_at)::bigint, used"
  " FROM weft_sign_in_sessions WHERE token_hash = $1"};
constexpr pg::statement session_use_sql{
  "entities_session_use",
  "UPDATE weft_sign_in_sessions SET used = true WHERE token_hash = $1 AND NOT used"};
constexpr pg::statement session_revoke_sql{
  "entities_session_revoke", "DELETE FROM weft_sign_in_sessions WHERE family_id = $1::uuid"};
constexpr pg::statement session_prune_sql{
  "entities_session_prune",
  "DELETE FROM weft_sign_in_sessions WHERE token_hash = ANY(ARRAY(SELECT token_hash FROM"
  " weft_sign_in_sessions WHERE expires_at < to_timestamp($1) LIMIT $2))"};

class pg_session_repository final : public session_repository {
public:
  explicit pg_session_repository(pg::connection& c) : conn_(c) {}

  caf::error insert(const session_record& r) override {
    auto res = conn_.exec(session_insert_sql, r.token_hash, r.realm, r.subject, r.family_id,
                          r.expires_at);
    return res ? caf::error{} : res.error();
  }

  caf::expected<std::optional<session_record>> find(std::string_view token_hash) override {
    auto r = conn_.exec(session_find_sql, token_hash);
    if (!r)
      return std::move(r.error());
    if (r->rows() == 0)
      return std::optional<session_record>{};
    return std::optional<session_record>{
      session_record{r->get<std::string>(0, 0), r->get<std::string>(0, 1),
                     r->get<std::string>(0, 2), r->get<std::string>(0, 3),
                     r->get<int64_t>(0, 4), r->get<bool>(0, 5)}};
  }

  caf::expected<bool> rotate(std::string_view used_hash, const session_record& next) override {
    auto used = conn_.exec(session_use_sql, used_hash);
    if (!used)
      return std::move(used.error());
    if (used->affected() != 1)
      return false;
    if (auto err = insert(next))
      return err;
    return true;
  }

  caf::error revoke_family(std::string_view family_id) override {
    auto r = conn_.exec(session_revoke_sql, family_id);
    return r ? caf::error{} : r.error();
  }

  caf::expected<int64_t> prune_expired(int64_t now, int64_t limit) override {
    auto r = conn_.exec(session_prune_sql, now, limit);
    if (!r)
      return std::move(r.error());
    return r->affected();
  }

private:
  pg::connection& conn_;
};

} // namespace

std::unique_ptr<session_repository> open_pg_sessions(unit_of_work& w) {
  return std::make_unique<pg_session_repository>(*pg::connection_of(w));
}

} // namespace weft::entities
