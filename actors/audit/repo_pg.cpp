#include "actors/audit/repo_pg.hpp"

#include <charconv>
#include <chrono>

#include "adapters/postgres/postgres.hpp"
#include "events/codec.hpp"
#include "events/ids.hpp"
#include "runtime/api_error.hpp"

namespace weft::audit {

namespace {

using pg::statement;

constexpr statement append_sql{
  "audit_append",
  "INSERT INTO weft_audit_trail (event_id, type, subject, time, envelope)"
  " VALUES ($1::uuid, $2, $3, COALESCE(NULLIF($4, '')::timestamptz, now()), $5::jsonb)"
  " ON CONFLICT (event_id) DO NOTHING"};

// Keyset paging on position; empty filters match everything.
constexpr statement query_sql{
  "audit_query",
  "SELECT position, envelope::text FROM weft_audit_trail"
  " WHERE position > $1 AND ($2 = '' OR type = $2) AND ($3 = '' OR subject = $3)"
  "   AND ($4 = '' OR time >= $4::timestamptz)"
  " ORDER BY position LIMIT $5"};

// A whole inbox batch in one statement (arrays of equal length, in order).
constexpr statement append_batch_sql{
  "audit_append_batch",
  "INSERT INTO weft_audit_trail (event_id, type, subject, time, envelope)"
  " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[])"
  " ON CONFLICT (event_id) DO NOTHING"};

class pg_audit_repository final : public audit_repository {
public:
  explicit pg_audit_repository(pg::connect_options opts) : conn_(std::move(opts)) {
  }

  caf::expected<bool> append(const events::envelope& ev) override {
    auto r = insert(conn_, ev);
    if (!r)
      return r.error();
    return *r;
  }

  caf::expected<audit_page> query(const audit_query& q) override {
    int64_t after = 0;
    if (!q.cursor.empty()) {
      auto [end, ec] = std::from_chars(q.cursor.data(), q.cursor.data() + q.cursor.size(), after);
      if (ec != std::errc{} || end != q.cursor.data() + q.cursor.size())
        return api_error(api_errc::bad_request, "cursor is not one this API gave out");
    }
    std::chrono::system_clock::time_point since;
    if (!q.since.empty() && !events::parse_rfc3339(q.since, since))
      return api_error(api_errc::bad_request, "since must be an RFC 3339 time");
    auto r = conn_.exec(query_sql, after, q.type, q.subject, q.since,
                        static_cast<int64_t>(q.limit) + 1);
    if (!r)
      return r.error();
    audit_page page;
    for (int i = 0; i < r->rows() && page.items.size() < q.limit; ++i) {
      auto ev = events::decode(r->text(i, 1));
      if (!ev)
        return api_error(api_errc::internal, "an audit row does not decode");
      page.items.push_back(std::move(*ev));
      if (i + 1 < r->rows() && page.items.size() == q.limit)
        page.next = r->get<std::string>(i, 0);
    }
    return page;
  }

  static caf::expected<bool> insert(pg::connection& c, const events::envelope& ev) {
    auto r = c.exec(append_sql, ev.id, ev.type, ev.subject, ev.time, events::encode(ev));
    if (!r)
      return r.error();
    return r->affected() == 1;
  }

private:
  pg::connection conn_;
};

} // namespace

std::unique_ptr<audit_repository> make_pg_audit_repository(pg::connect_options opts) {
  return std::make_unique<pg_audit_repository>(std::move(opts));
}

caf::error append_batch_to_trail(pg::connection& c, std::span<const events::envelope> evs) {
  std::vector<std::string> ids, types, subjects, times, bodies;
  for (const auto& ev : evs) {
    ids.push_back(ev.id);
    types.push_back(ev.type);
    subjects.push_back(ev.subject);
    times.push_back(ev.time.empty() ? events::now_rfc3339_ms() : ev.time);
    bodies.push_back(events::encode(ev));
  }
  auto r = c.exec(append_batch_sql, pg::text_array(ids), pg::text_array(types),
                  pg::text_array(subjects), pg::text_array(times), pg::text_array(bodies));
  return r ? caf::error{} : r.error();
}

caf::error append_to_trail(pg::connection& c, const events::envelope& ev) {
  auto r = pg_audit_repository::insert(c, ev);
  return r ? caf::error{} : r.error();
}

} // namespace weft::audit
