#include <chrono>
#include <string>
#include <vector>

#include "actors/audit/repo.hpp"
#include "adapters/postgres/pg_store.hpp"
#include "adapters/postgres/postgres.hpp"
#include "events/codec.hpp"
#include "events/ids.hpp"
#include "runtime/api_error.hpp"
#include "runtime/cursor.hpp"

// The trail on PostgreSQL (table weft_audit_trail), inside the unit of
// work's transaction: the durable inbox's when appending, none when querying.
namespace weft::audit {

namespace {

using pg::statement;

constexpr statement append_sql{
  "audit_append",
  "INSERT INTO weft_audit_trail (event_id, type, subject, time, envelope)"
  " VALUES ($1::uuid, $2, $3, COALESCE(NULLIF($4, '')::timestamptz, now()), $5::jsonb)"
  " ON CONFLICT (event_id) DO NOTHING"};

// A whole inbox batch in one statement (arrays of equal length, in order).
constexpr statement append_batch_sql{
  "audit_append_batch",
  "INSERT INTO weft_audit_trail (event_id, type, subject, time, envelope)"
  " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[])"
  " ON CONFLICT (event_id) DO NOTHING"};

// Keyset paging on position; empty filters match everything.
// Oldest first, by the time index, in batches.
constexpr statement prune_sql{
  "audit_prune",
  "DELETE FROM weft_audit_trail WHERE position = ANY(ARRAY(SELECT position FROM"
  " weft_audit_trail WHERE time < to_timestamp($1) ORDER BY time LIMIT $2))"};

constexpr statement query_sql{
  "audit_query",
  "SELECT position, envelope::text FROM weft_audit_trail"
  " WHERE position > $1 AND ($2 = '' OR type = $2) AND ($3 = '' OR subject = $3)"
  "   AND ($4 = '' OR time >= $4::timestamptz)"
  " ORDER BY position LIMIT $5"};

class pg_audit_repository final : public audit_repository {
public:
  explicit pg_audit_repository(pg::connection& c) : conn_(c) {}

  caf::expected<bool> append(const events::envelope& ev) override {
    auto r = conn_.exec(append_sql, ev.id, ev.type, ev.subject, ev.time, events::encode(ev));
    if (!r)
      return std::move(r.error());
    return r->affected() == 1;
  }

  caf::error append_batch(std::span<const events::envelope> evs) override {
    std::vector<std::string> ids, types, subjects, times, bodies;
    for (const auto& ev : evs) {
      ids.push_back(ev.id);
      types.push_back(ev.type);
      subjects.push_back(ev.subject);
      times.push_back(ev.time.empty() ? events::now_rfc3339_ms() : ev.time);
      bodies.push_back(events::encode(ev));
    }
    auto r = conn_.exec(append_batch_sql, pg::text_array(ids), pg::text_array(types),
                        pg::text_array(subjects), pg::text_array(times),
                        pg::text_array(bodies));
    return r ? caf::error{} : std::move(r.error());
  }

  caf::expected<audit_page> query(const audit_query& q) override {
    auto after = cursor::decode_number(q.cursor);
    if (!after)
      return after.error();
    std::chrono::system_clock::time_point since;
    if (!q.since.empty() && !events::parse_rfc3339(q.since, since))
      return api_error(api_errc::bad_request, "since must be an RFC 3339 time");
    auto r = conn_.exec(query_sql, *after, q.type, q.subject, q.since,
                        static_cast<int64_t>(q.limit) + 1);
    if (!r)
      return std::move(r.error());
    audit_page page;
    for (int i = 0; i < r->rows() && page.items.size() < q.limit; ++i) {
      auto ev = events::decode(r->text(i, 1));
      if (!ev)
        return api_error(api_errc::internal, "an audit row does not decode");
      page.items.push_back(std::move(*ev));
      if (i + 1 < r->rows() && page.items.size() == q.limit)
        page.next = cursor::encode(r->get<std::string>(i, 0));
    }
    return page;
  }

  caf::expected<int64_t> prune_before(int64_t before, int64_t limit) override {
    auto r = conn_.exec(prune_sql, before, limit);
    if (!r)
      return std::move(r.error());
    return r->affected();
  }

private:
  pg::connection& conn_;
};

} // namespace

std::unique_ptr<audit_repository> open_pg_repository(unit_of_work& w) {
  return std::make_unique<pg_audit_repository>(*pg::connection_of(w));
}

} // namespace weft::audit
