#include "actors/auth/repo.hpp"
#include "adapters/postgres/pg_store.hpp"
#include "adapters/postgres/postgres.hpp"
#include "runtime/api_error.hpp"

// The auth repository on PostgreSQL, inside the unit of work's transaction
// (or, for reads, outside any). The unit appends the events as outbox rows
// before COMMIT; the store wakes the relay after it.
namespace weft::auth {

namespace {

using pg::statement;

#define WEFT_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

constexpr statement user_by_id{
  "auth_user_by_id",
  "SELECT id, email, password_hash, roles, " WEFT_TS("created_at")
  " FROM weft_users WHERE id = $1::uuid"};
constexpr statement user_by_email{
  "auth_user_by_email",
  "SELECT id, email, password_hash, roles, " WEFT_TS("created_at")
  " FROM weft_users WHERE email = $1"};
constexpr statement insert_user_sql{
  "auth_insert_user",
  "INSERT INTO weft_users (id, email, password_hash, roles, created_at)"
  " VALUES ($1::uuid, $2, $3, $4::text[], $5::timestamptz)"};
constexpr statement update_roles_sql{
  "auth_update_roles", "UPDATE weft_users SET roles = $2::text[] WHERE id = $1::uuid"};
constexpr statement list_users_sql{
  "auth_list_users",
  "SELECT id, email, password_hash, roles, " WEFT_TS("created_at")
  " FROM weft_users WHERE ($1 = '' OR id > $1::uuid) ORDER BY id LIMIT $2"};
constexpr statement insert_refresh_sql{
  "auth_insert_refresh",
  "INSERT INTO weft_refresh_tokens (token_hash, user_id, family_id, expires_at, used)"
  " VALUES ($1, $2::uuid, $3::uuid, to_timestamp($4), false)"};
constexpr statement find_refresh_sql{
  "auth_find_refresh",
  "SELECT token_hash, user_id, family_id, extract(epoch FROM expires_at)::bigint, used"
  " FROM weft_refresh_tokens WHERE token_hash = $1"};
constexpr statement use_refresh_sql{
  "auth_use_refresh",
  "UPDATE weft_refresh_tokens SET used = true WHERE token_hash = $1 AND NOT used"};
constexpr statement revoke_family_sql{
  "auth_revoke_family", "DELETE FROM weft_refresh_tokens WHERE family_id = $1::uuid"};
constexpr statement prune_refresh_sql{
  "auth_prune_refresh",
  "DELETE FROM weft_refresh_tokens WHERE token_hash = ANY(ARRAY(SELECT token_hash FROM"
  " weft_refresh_tokens WHERE expires_at < to_timestamp($1) LIMIT $2))"};
constexpr statement insert_key_sql{
  "auth_insert_key",
  "INSERT INTO weft_api_keys (id, name, role, key_hash, created_by, created_at)"
  " VALUES ($1::uuid, $2, $3, $4, $5, $6::timestamptz)"};
constexpr statement key_by_hash{
  "auth_key_by_hash",
  "SELECT id, name, role, key_hash, created_by, " WEFT_TS("created_at")
  " FROM weft_api_keys WHERE key_hash = $1"};
constexpr statement delete_key_sql{
  "auth_delete_key", "DELETE FROM weft_api_keys WHERE id = $1::uuid"};
constexpr statement list_keys_sql{
  "auth_list_keys",
  "SELECT id, name, role, key_hash, created_by, " WEFT_TS("created_at")
  " FROM weft_api_keys WHERE ($1 = '' OR id > $1::uuid) ORDER BY id LIMIT $2"};

#undef WEFT_TS

user_record user_at(const pg::result& r, int row) {
  return user_record{r.get<std::string>(row, 0), r.get<std::string>(row, 1),
                     r.get<std::string>(row, 2), r.get<std::vector<std::string>>(row, 3),
                     r.get<std::string>(row, 4)};
}

api_key_record key_at(const pg::result& r, int row) {
  return api_key_record{r.get<std::string>(row, 0), r.get<std::string>(row, 1),
                        r.get<std::string>(row, 2), r.get<std::string>(row, 3),
                        r.get<std::string>(row, 4), r.get<std::string>(row, 5)};
}

template <class Record, class At>
caf::expected<std::optional<Record>> one(caf::expected<pg::result> r, At at) {
  if (!r)
    return r.error();
  if (r->rows() == 0)
    return std::optional<Record>{};
  return std::optional<Record>{at(*r, 0)};
}

template <class Record, class At>
caf::expected<std::vector<Record>> all(caf::expected<pg::result> r, At at) {
  if (!r)
    return r.error();
  std::vector<Record> out;
  out.reserve(r->rows());
  for (int i = 0; i < r->rows(); ++i)
    out.push_back(at(*r, i));
  return out;
}

/// An id that is no UUID cannot name a row: answer "none" without asking.
bool plausible_uuid(std::string_view id) {
  return id.size() == 36 && id[8] == '-' && id[13] == '-' && id[18] == '-' && id[23] == '-';
}

class pg_auth_repository final : public auth_repository {
public:
  explicit pg_auth_repository(pg::connection& c) : conn_(c) {}

  caf::expected<std::optional<user_record>> find_user(std::string_view id) override {
    if (!plausible_uuid(id))
      return std::optional<user_record>{};
    return one<user_record>(conn_.exec(user_by_id, id), user_at);
  }

  caf::expected<std::optional<user_record>>
  find_user_by_email(std::string_view email) override {
    return one<user_record>(conn_.exec(user_by_email, email), user_at);
  }

  caf::error insert_user(const user_record& u) override {
    auto r = conn_.exec(insert_user_sql, u.id, u.email, u.password_hash, pg::text_array(u.roles),
                        u.created_at);
    if (!r && pg::is_unique_violation(r.error()))
      return api_error(api_errc::conflict, "email already registered", "/email");
    return r ? caf::error{} : r.error();
  }

  caf::error update_roles(std::string_view user_id,
                          const std::vector<std::string>& roles) override {
    if (!plausible_uuid(user_id))
      return api_error(api_errc::not_found, "no such user");
    auto r = conn_.exec(update_roles_sql, user_id, pg::text_array(roles));
    if (!r)
      return r.error();
    if (r->affected() == 0)
      return api_error(api_errc::not_found, "no such user");
    return {};
  }

  caf::expected<std::vector<user_record>> list_users(std::string_view after,
                                                     std::size_t limit) override {
    return all<user_record>(conn_.exec(list_users_sql, after, static_cast<int64_t>(limit)),
                            user_at);
  }

  caf::error insert_refresh(const refresh_record& r) override {
    auto res = conn_.exec(insert_refresh_sql, r.token_hash, r.user_id, r.family_id, r.expires_at);
    return res ? caf::error{} : res.error();
  }

  caf::expected<std::optional<refresh_record>> find_refresh(std::string_view hash) override {
    return one<refresh_record>(conn_.exec(find_refresh_sql, hash),
                               [](const pg::result& r, int i) {
                                 return refresh_record{r.get<std::string>(i, 0),
                                                       r.get<std::string>(i, 1),
                                                       r.get<std::string>(i, 2),
                                                       r.get<int64_t>(i, 3),
                                                       r.get<bool>(i, 4)};
                               });
  }

  caf::expected<bool> rotate_refresh(std::string_view used_hash,
                                     const refresh_record& next) override {
    // Marking it used is the lock: a concurrent rotation finds it used.
    auto used = conn_.exec(use_refresh_sql, used_hash);
    if (!used)
      return used.error();
    if (used->affected() != 1)
      return false;
    if (auto err = insert_refresh(next))
      return err;
    return true;
  }

  caf::error revoke_family(std::string_view family_id) override {
    auto r = conn_.exec(revoke_family_sql, family_id);
    return r ? caf::error{} : r.error();
  }

  caf::expected<int64_t> prune_expired_refresh(int64_t now, int64_t limit) override {
    auto r = conn_.exec(prune_refresh_sql, now, limit);
    if (!r)
      return std::move(r.error());
    return r->affected();
  }


  caf::error insert_api_key(const api_key_record& k) override {
    auto r = conn_.exec(insert_key_sql, k.id, k.name, k.role, k.key_hash, k.created_by,
                        k.created_at);
    return r ? caf::error{} : r.error();
  }

  caf::expected<std::optional<api_key_record>>
  find_api_key_by_hash(std::string_view hash) override {
    return one<api_key_record>(conn_.exec(key_by_hash, hash), key_at);
  }

  caf::expected<bool> delete_api_key(std::string_view id) override {
    if (!plausible_uuid(id))
      return false;
    auto r = conn_.exec(delete_key_sql, id);
    if (!r)
      return r.error();
    return r->affected() == 1;
  }

  caf::expected<std::vector<api_key_record>> list_api_keys(std::string_view after,
                                                           std::size_t limit) override {
    return all<api_key_record>(conn_.exec(list_keys_sql, after, static_cast<int64_t>(limit)),
                               key_at);
  }

private:
  pg::connection& conn_;
};

} // namespace

std::unique_ptr<auth_repository> open_pg_repository(unit_of_work& w) {
  return std::make_unique<pg_auth_repository>(*pg::connection_of(w));
}

} // namespace weft::auth
