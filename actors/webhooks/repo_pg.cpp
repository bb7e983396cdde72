#include "actors/webhooks/repo.hpp"
#include "adapters/postgres/pg_store.hpp"
#include "adapters/postgres/postgres.hpp"
#include "events/ids.hpp"

// Subscriptions on PostgreSQL (migrations/0001_subscriptions.sql), inside
// the unit of work's transaction.
namespace weft::webhooks {

namespace {

using pg::statement;

#define WEFT_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
#define WEFT_COLUMNS                                                                             \
  "id, sink, types::text, filters::text, ordered, enabled, secret, previous_secret, "          \
  "COALESCE(" WEFT_TS("previous_until") ", ''), " WEFT_TS("created_at") ", " WEFT_TS("updated_at")

constexpr statement add_sql{
  "webhooks_add",
  "INSERT INTO weft_webhook_subscriptions (id, sink, types, filters, ordered, enabled, secret,"
  " previous_secret, previous_until, created_at, updated_at)"
  " VALUES ($1::uuid, $2, $3::jsonb, $4::jsonb, $5, $6, $7, $8, NULLIF($9, '')::timestamptz,"
  " $10::timestamptz, $11::timestamptz)"};

constexpr statement find_sql{
  "webhooks_find", "SELECT " WEFT_COLUMNS " FROM weft_webhook_subscriptions WHERE id = $1::uuid"};

constexpr statement replace_sql{
  "webhooks_replace",
  "UPDATE weft_webhook_subscriptions SET sink = $2, types = $3::jsonb, filters = $4::jsonb,"
  " ordered = $5, enabled = $6, secret = $7, previous_secret = $8,"
  " previous_until = NULLIF($9, '')::timestamptz, updated_at = $10::timestamptz"
  " WHERE id = $1::uuid"};

constexpr statement remove_sql{
  "webhooks_remove", "DELETE FROM weft_webhook_subscriptions WHERE id = $1::uuid"};

constexpr statement list_sql{
  "webhooks_list",
  "SELECT " WEFT_COLUMNS " FROM weft_webhook_subscriptions"
  " WHERE ($1 = '' OR id > $1::uuid) ORDER BY id LIMIT $2"};

constexpr statement count_sql{"webhooks_count", "SELECT count(*) FROM weft_webhook_subscriptions"};

#undef WEFT_COLUMNS
#undef WEFT_TS

subscription_record row(const pg::result& r, int i) {
  return {r.get<std::string>(i, 0), r.get<std::string>(i, 1), r.get<std::string>(i, 2),
          r.get<std::string>(i, 3), r.get<bool>(i, 4),        r.get<bool>(i, 5),
          r.get<std::string>(i, 6), r.get<std::string>(i, 7), r.get<std::string>(i, 8),
          r.get<std::string>(i, 9), r.get<std::string>(i, 10)};
}

class pg_subscription_repository final : public subscription_repository {
public:
  explicit pg_subscription_repository(pg::connection& c) : conn_(c) {}

  caf::error add(const subscription_record& s) override {
    auto r = conn_.exec(add_sql, s.id, s.sink, s.types_json, s.filters_json, s.ordered, s.enabled,
                        s.secret, s.previous_secret, s.previous_until, s.created_at, s.updated_at);
    return r ? caf::error{} : std::move(r.error());
  }

  caf::expected<std::optional<subscription_record>> find(std::string_view id) override {
    if (!events::is_uuid(id))
      return std::optional<subscription_record>{};
    auto r = conn_.exec(find_sql, id);
    if (!r)
      return std::move(r.error());
    if (r->rows() == 0)
      return std::optional<subscription_record>{};
    return std::optional<subscription_record>{row(*r, 0)};
  }

  caf::expected<bool> replace(const subscription_record& s) override {
    auto r = conn_.exec(replace_sql, s.id, s.sink, s.types_json, s.filters_json, s.ordered,
                        s.enabled, s.secret, s.previous_secret, s.previous_until, s.updated_at);
    if (!r)
      return std::move(r.error());
    return r->affected() > 0;
  }

  caf::expected<bool> remove(std::string_view id) override {
    if (!events::is_uuid(id))
      return false;
    auto r = conn_.exec(remove_sql, id);
    if (!r)
      return std::move(r.error());
    return r->affected() > 0;
  }

  caf::expected<std::vector<subscription_record>> list(std::string_view after,
                                                       size_t limit) override {
    auto r = conn_.exec(list_sql, after, static_cast<int64_t>(limit));
    if (!r)
      return std::move(r.error());
    std::vector<subscription_record> out;
    for (int i = 0; i < r->rows(); ++i)
      out.push_back(row(*r, i));
    return out;
  }

  caf::expected<int64_t> count() override {
    auto r = conn_.exec(count_sql);
    if (!r)
      return std::move(r.error());
    return r->get<int64_t>(0, 0);
  }

private:
  pg::connection& conn_;
};

} // namespace

std::unique_ptr<subscription_repository> open_pg_repository(unit_of_work& w) {
  return std::make_unique<pg_subscription_repository>(*pg::connection_of(w));
}

} // namespace weft::webhooks
