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
  "COALESCE(" WEFT_TS("previous_until") ", ''), " WEFT_TS("created_at") ", " WEFT_TS(         \
    "updated_at") ", paused, COALESCE(" WEFT_TS("failing_since") ", ''), disabled_reason"

constexpr statement add_sql{
  "webhooks_add",
  "INSERT INTO weft_webhook_subscriptions (id, sink, types, filters, ordered, enabled, secret,"
  " previous_secret, previous_until, created_at, updated_at, paused, disabled_reason)"
  " VALUES ($1::uuid, $2, $3::jsonb, $4::jsonb, $5, $6, $7, $8, NULLIF($9, '')::timestamptz,"
  " $10::timestamptz, $11::timestamptz, $12, $13)"};

constexpr statement find_sql{
  "webhooks_find", "SELECT " WEFT_COLUMNS " FROM weft_webhook_subscriptions WHERE id = $1::uuid"};

constexpr statement replace_sql{
  "webhooks_replace",
  "UPDATE weft_webhook_subscriptions SET sink = $2, types = $3::jsonb, filters = $4::jsonb,"
  " ordered = $5, enabled = $6, secret = $7, previous_secret = $8,"
  " previous_until = NULLIF($9, '')::timestamptz, updated_at = $10::timestamptz,"
  " paused = $11, disabled_reason = $12 WHERE id = $1::uuid"};

constexpr statement failing_sql{
  "webhooks_failing",
  "UPDATE weft_webhook_subscriptions SET failing_since ="
  " CASE WHEN $2 = '' THEN NULL ELSE COALESCE(failing_since, $2::timestamptz) END"
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
  subscription_record s;
  s.id = r.get<std::string>(i, 0);
  s.sink = r.get<std::string>(i, 1);
  s.types_json = r.get<std::string>(i, 2);
  s.filters_json = r.get<std::string>(i, 3);
  s.ordered = r.get<bool>(i, 4);
  s.enabled = r.get<bool>(i, 5);
  s.secret = r.get<std::string>(i, 6);
  s.previous_secret = r.get<std::string>(i, 7);
  s.previous_until = r.get<std::string>(i, 8);
  s.created_at = r.get<std::string>(i, 9);
  s.updated_at = r.get<std::string>(i, 10);
  s.paused = r.get<bool>(i, 11);
  s.failing_since = r.get<std::string>(i, 12);
  s.disabled_reason = r.get<std::string>(i, 13);
  return s;
}

class pg_subscription_repository final : public subscription_repository {
public:
  explicit pg_subscription_repository(pg::connection& c) : conn_(c) {}

  caf::error add(const subscription_record& s) override {
    auto r = conn_.exec(add_sql, s.id, s.sink, s.types_json, s.filters_json, s.ordered, s.enabled,
                        s.secret, s.previous_secret, s.previous_until, s.created_at, s.updated_at,
                        s.paused, s.disabled_reason);
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
                        s.enabled, s.secret, s.previous_secret, s.previous_until, s.updated_at,
                        s.paused, s.disabled_reason);
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

  caf::expected<bool> set_failing_since(std::string_view id, std::string_view since) override {
    if (!events::is_uuid(id))
      return false;
    auto r = conn_.exec(failing_sql, id, since);
    if (!r)
      return std::move(r.error());
    return r->affected() > 0;
  }

private:
  pg::connection& conn_;
};

} // namespace

std::unique_ptr<subscription_repository> open_pg_repository(unit_of_work& w) {
  return std::make_unique<pg_subscription_repository>(*pg::connection_of(w));
}

} // namespace weft::webhooks

// Deliveries on PostgreSQL (migrations/0002_deliveries.sql).
namespace weft::webhooks {

namespace {

#define WEFT_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
#define WEFT_DCOLS(p)                                                                            \
  p "id, " p "subscription_id::text, " p "event_id, " p "type, " p "subject, " p "body, " p      \
    "status, " p "attempts, " WEFT_TS(p "next_at") ", " p "last_code, " p "last_error, " p     \
    "last_latency_ms, " WEFT_TS(p "created_at") ", " WEFT_TS(p "updated_at")

constexpr pg::statement delivery_add_sql{
  "webhooks_delivery_add",
  "INSERT INTO weft_webhook_deliveries (subscription_id, event_id, type, subject, body, status,"
  " next_at) VALUES ($1::uuid, $2, $3, $4, $5, 'pending', now())"
  " ON CONFLICT (subscription_id, event_id) DO NOTHING"};

// Due, unleased rows; of an ordered subscription only each subject's oldest
// pending row (so one attempt per subject is in flight).
constexpr pg::statement delivery_claim_sql{
  "webhooks_delivery_claim",
  "WITH due AS ("
  "  SELECT d.id FROM weft_webhook_deliveries d"
  "  WHERE d.status = 'pending' AND d.next_at <= now() AND d.subscription_id = ANY($5::uuid[])"
  "    AND (d.locked_until IS NULL OR d.locked_until < now())"
  "    AND (NOT (d.subscription_id = ANY($4::uuid[])) OR NOT EXISTS ("
  "      SELECT 1 FROM weft_webhook_deliveries e WHERE e.subscription_id = d.subscription_id"
  "        AND e.subject = d.subject AND e.status = 'pending' AND e.id < d.id))"
  "  ORDER BY d.next_at, d.id LIMIT $2 FOR UPDATE SKIP LOCKED)"
  " UPDATE weft_webhook_deliveries w SET locked_by = $1,"
  "   locked_until = now() + make_interval(secs => $3::double precision / 1000)"
  " FROM due WHERE w.id = due.id RETURNING " WEFT_DCOLS("w.")};

// Many attempts' ends in one statement: parallel arrays, one element per row.
constexpr pg::statement delivery_settle_all_sql{
  "webhooks_delivery_settle_all",
  "UPDATE weft_webhook_deliveries d SET status = v.status, attempts = d.attempts + 1,"
  " next_at = COALESCE(NULLIF(v.next_at, '')::timestamptz, d.next_at), last_code = v.code,"
  " last_error = v.error, last_latency_ms = v.latency, locked_by = NULL, locked_until = NULL,"
  " updated_at = now()"
  " FROM unnest($1::text[]::bigint[], $2::text[], $3::text[], $4::text[]::int[], $5::text[],"
  "   $6::text[]::int[]) AS v(id, status, next_at, code, error, latency)"
  " WHERE d.id = v.id"};

constexpr pg::statement delivery_remove_for_sql{
  "webhooks_delivery_remove_for",
  "DELETE FROM weft_webhook_deliveries WHERE subscription_id = $1::uuid"};

// The BRIN on created_at (0004) finds the old block ranges; a batch each.
constexpr pg::statement delivery_prune_sql{
  "webhooks_delivery_prune",
  "DELETE FROM weft_webhook_deliveries WHERE id = ANY(ARRAY(SELECT id FROM"
  " weft_webhook_deliveries WHERE created_at < to_timestamp($1) AND status <> 'pending'"
  " LIMIT $2))"};

constexpr pg::statement delivery_list_sql{
  "webhooks_delivery_list",
  "SELECT " WEFT_DCOLS("") " FROM weft_webhook_deliveries"
  " WHERE subscription_id = $1::uuid AND id > $2 ORDER BY id LIMIT $3"};

constexpr pg::statement delivery_redeliver_sql{
  "webhooks_delivery_redeliver",
  "UPDATE weft_webhook_deliveries SET status = 'pending', attempts = 0, next_at = now(),"
  " locked_by = NULL, locked_until = NULL, updated_at = now()"
  " WHERE subscription_id = $1::uuid AND event_id = $2 RETURNING " WEFT_DCOLS("")};

constexpr pg::statement delivery_requeue_sql{
  "webhooks_delivery_requeue",
  "INSERT INTO weft_webhook_deliveries (subscription_id, event_id, type, subject, body, status,"
  " next_at) VALUES ($1::uuid, $2, $3, $4, $5, 'pending', now())"
  " ON CONFLICT (subscription_id, event_id) DO UPDATE SET status = 'pending', attempts = 0,"
  " next_at = now(), locked_by = NULL, locked_until = NULL, updated_at = now()"};

constexpr pg::statement delivery_replay_sql{
  "webhooks_delivery_replay",
  "UPDATE weft_webhook_deliveries SET status = 'pending', attempts = 0, next_at = now(),"
  " locked_by = NULL, locked_until = NULL, updated_at = now()"
  " WHERE subscription_id = $1::uuid AND created_at >= $2::timestamptz AND status <> 'pending'"};

constexpr pg::statement delivery_pending_sql{
  "webhooks_delivery_pending",
  "SELECT subscription_id::text, count(*), " WEFT_TS("min(created_at)")
  " FROM weft_webhook_deliveries WHERE status = 'pending' GROUP BY subscription_id"};

#undef WEFT_DCOLS
#undef WEFT_TS

delivery_record delivery_row(const pg::result& r, int i) {
  delivery_record d;
  d.id = r.get<int64_t>(i, 0);
  d.subscription_id = r.get<std::string>(i, 1);
  d.event_id = r.get<std::string>(i, 2);
  d.type = r.get<std::string>(i, 3);
  d.subject = r.get<std::string>(i, 4);
  d.body = r.get<std::string>(i, 5);
  d.status = r.get<std::string>(i, 6);
  d.attempts = static_cast<int32_t>(r.get<int64_t>(i, 7));
  d.next_at = r.get<std::string>(i, 8);
  d.last_code = static_cast<int32_t>(r.get<int64_t>(i, 9));
  d.last_error = r.get<std::string>(i, 10);
  d.last_latency_ms = static_cast<int32_t>(r.get<int64_t>(i, 11));
  d.created_at = r.get<std::string>(i, 12);
  d.updated_at = r.get<std::string>(i, 13);
  return d;
}

class pg_delivery_repository final : public delivery_repository {
public:
  explicit pg_delivery_repository(pg::connection& c) : conn_(c) {}

  caf::error add(const delivery_record& d) override {
    auto r = conn_.exec(delivery_add_sql, d.subscription_id, d.event_id, d.type, d.subject, d.body);
    return r ? caf::error{} : std::move(r.error());
  }

  caf::expected<std::vector<delivery_record>>
  claim(std::string_view owner, size_t limit, uint32_t lease_ms,
        const std::vector<std::string>& enabled, const std::vector<std::string>& ordered) override {
    if (enabled.empty())
      return std::vector<delivery_record>{};
    auto r = conn_.exec(delivery_claim_sql, owner, static_cast<int64_t>(limit),
                        static_cast<int64_t>(lease_ms), pg::text_array(ordered),
                        pg::text_array(enabled));
    if (!r)
      return std::move(r.error());
    std::vector<delivery_record> out;
    for (int i = 0; i < r->rows(); ++i)
      out.push_back(delivery_row(*r, i));
    return out;
  }

  caf::error commit_lazily() override {
    auto r = conn_.exec("SET LOCAL synchronous_commit TO off");
    return r ? caf::error{} : std::move(r.error());
  }

  caf::error settle_all(const std::vector<std::pair<int64_t, delivery_outcome>>& ends) override {
    if (ends.empty())
      return {};
    std::vector<std::string> ids, status, next_at, code, error, latency;
    for (const auto& [id, o] : ends) {
      ids.push_back(std::to_string(id));
      status.push_back(o.status);
      next_at.push_back(o.next_at);
      code.push_back(std::to_string(o.code));
      error.push_back(o.error);
      latency.push_back(std::to_string(o.latency_ms));
    }
    auto r = conn_.exec(delivery_settle_all_sql, pg::text_array(ids), pg::text_array(status),
                        pg::text_array(next_at), pg::text_array(code), pg::text_array(error),
                        pg::text_array(latency));
    return r ? caf::error{} : std::move(r.error());
  }

  caf::error remove_for(std::string_view subscription_id) override {
    if (!events::is_uuid(subscription_id))
      return {};
    auto r = conn_.exec(delivery_remove_for_sql, subscription_id);
    return r ? caf::error{} : std::move(r.error());
  }

  caf::expected<int64_t> prune_settled(int64_t before, int64_t limit) override {
    auto r = conn_.exec(delivery_prune_sql, before, limit);
    if (!r)
      return std::move(r.error());
    return r->affected();
  }

  caf::expected<std::optional<delivery_record>>
  redeliver(std::string_view subscription_id, std::string_view event_id) override {
    if (!events::is_uuid(subscription_id))
      return std::optional<delivery_record>{};
    auto r = conn_.exec(delivery_redeliver_sql, subscription_id, event_id);
    if (!r)
      return std::move(r.error());
    if (r->rows() == 0)
      return std::optional<delivery_record>{};
    return std::optional<delivery_record>{delivery_row(*r, 0)};
  }

  caf::error requeue(const delivery_record& d) override {
    auto r = conn_.exec(delivery_requeue_sql, d.subscription_id, d.event_id, d.type, d.subject,
                        d.body);
    return r ? caf::error{} : std::move(r.error());
  }

  caf::expected<int64_t> replay(std::string_view subscription_id, std::string_view since) override {
    if (!events::is_uuid(subscription_id))
      return int64_t{0};
    auto r = conn_.exec(delivery_replay_sql, subscription_id, since);
    if (!r)
      return std::move(r.error());
    return static_cast<int64_t>(r->affected());
  }

  caf::expected<std::vector<pending_summary>> pending() override {
    auto r = conn_.exec(delivery_pending_sql);
    if (!r)
      return std::move(r.error());
    std::vector<pending_summary> out;
    for (int i = 0; i < r->rows(); ++i)
      out.push_back({r->get<std::string>(i, 0), r->get<int64_t>(i, 1), r->get<std::string>(i, 2)});
    return out;
  }

  caf::expected<std::vector<delivery_record>> list(std::string_view subscription_id, int64_t after,
                                                   size_t limit) override {
    if (!events::is_uuid(subscription_id))
      return std::vector<delivery_record>{};
    auto r = conn_.exec(delivery_list_sql, subscription_id, after, static_cast<int64_t>(limit));
    if (!r)
      return std::move(r.error());
    std::vector<delivery_record> out;
    for (int i = 0; i < r->rows(); ++i)
      out.push_back(delivery_row(*r, i));
    return out;
  }

private:
  pg::connection& conn_;
};

} // namespace

std::unique_ptr<delivery_repository> open_pg_delivery_repository(unit_of_work& w) {
  return std::make_unique<pg_delivery_repository>(*pg::connection_of(w));
}

} // namespace weft::webhooks
