#include "adapters/postgres/outbox_table.hpp"

#include <algorithm>
#include <string>

#include "adapters/postgres/pipeline.hpp"
#include "events/codec.hpp"

namespace weft::pg {

namespace {

// Claims exclude each other (and republish); settlements only exclude claims.
constexpr statement lock_exclusive{"weft_outbox_lock",
                                   "SELECT pg_advisory_xact_lock($1::bigint)"};
constexpr statement lock_shared{"weft_outbox_lock_shared",
                                "SELECT pg_advisory_xact_lock_shared($1::bigint)"};

// unnest keeps one prepared statement for any number of rows; WITH
// ORDINALITY + ORDER BY keeps the ids in the order of the events.
#define WEFT_OUTBOX_INSERT                                                              \
  "WITH ins AS ("                                                                       \
  " INSERT INTO weft_outbox (event_id, type, subject, payload)"                         \
  " SELECT r.e, r.t, r.s, r.p"                                                          \
  " FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])"                        \
  "  WITH ORDINALITY AS r(e, t, s, p, n)"                                               \
  " ORDER BY r.n RETURNING 1) "

constexpr statement insert_notify{
  "weft_outbox_insert_notify",
  WEFT_OUTBOX_INSERT "SELECT (SELECT count(*) FROM ins), pg_notify('weft_outbox', '')"};
constexpr statement insert_quiet{"weft_outbox_insert",
                                 WEFT_OUTBOX_INSERT "SELECT count(*) FROM ins"};
#undef WEFT_OUTBOX_INSERT

// A row is claimable when due, not leased, and no earlier unpublished row of
// its subject is waiting for a retry or leased by another claimer ($3; ''
// names nobody): a claimer keeps its own rows of a subject in order. The
// claimer may skip subjects ($4): those it has enough rows of already, or
// holds back. `id > 0`,
// `subject <> ''` and the (id, subject) order tie each part to its index
// (migration 0004); ids are unique, so the order is id order.
constexpr statement claim{
  "weft_outbox_claim",
  "WITH c AS ("
  " SELECT o.id FROM weft_outbox o"
  " WHERE o.published_at IS NULL AND o.id > 0 AND o.next_attempt_at <= now()"
  "  AND (o.locked_until IS NULL OR o.locked_until <= now())"
  "  AND (o.subject = '' OR NOT EXISTS ("
  "   SELECT 1 FROM weft_outbox e"
  "   WHERE e.subject = o.subject AND e.subject <> '' AND e.id < o.id"
  "    AND e.published_at IS NULL"
  "    AND (e.next_attempt_at > now() OR (e.locked_until > now()"
  "     AND ($3 = '' OR e.locked_by IS NULL OR e.locked_by <> $3)))))"
  "  AND NOT (o.subject = ANY($4::text[]))"
  " ORDER BY o.id, o.subject LIMIT $1"
  " FOR UPDATE OF o SKIP LOCKED) "
  "UPDATE weft_outbox o SET locked_until = now() + $2::float8 * interval '1 millisecond',"
  " locked_by = NULLIF($3, '')"
  " FROM c WHERE o.id = c.id"
  " RETURNING o.id, o.event_id, o.type, o.subject, o.payload, o.attempts,"
  "  extract(epoch FROM o.created_at)::float8"};

constexpr statement published{
  "weft_outbox_published",
  "UPDATE weft_outbox SET published_at = now(), locked_until = NULL"
  " WHERE id = ANY($1::bigint[]) AND published_at IS NULL"};

constexpr statement failed{
  "weft_outbox_failed",
  "UPDATE weft_outbox o SET attempts = o.attempts + 1,"
  " next_attempt_at = now() + f.delay_ms * interval '1 millisecond',"
  " last_error = f.err, locked_until = NULL"
  " FROM unnest($1::bigint[], $2::float8[], $3::text[]) AS f(id, delay_ms, err)"
  " WHERE o.id = f.id AND o.published_at IS NULL"};

constexpr statement released{
  "weft_outbox_release",
  "UPDATE weft_outbox SET locked_until = NULL"
  " WHERE id = ANY($1::bigint[]) AND published_at IS NULL"};

constexpr statement released_owner{
  "weft_outbox_release_owner",
  "UPDATE weft_outbox SET locked_until = NULL"
  " WHERE locked_by = $1 AND published_at IS NULL AND locked_until > now()"};

constexpr statement cleanup{
  "weft_outbox_cleanup",
  "DELETE FROM weft_outbox WHERE id IN ("
  " SELECT id FROM weft_outbox"
  " WHERE published_at < now() - $1::float8 * interval '1 second'"
  " ORDER BY published_at LIMIT $2)"};

constexpr statement republish{
  "weft_outbox_republish",
  "UPDATE weft_outbox SET published_at = NULL, attempts = 0, next_attempt_at = now(),"
  " last_error = NULL, locked_until = NULL WHERE published_at >= $1"};

// Claims and the pending count must walk weft_outbox_pending_idx in order
// (a claim stops after `limit` rows), which only that index gives once
// sorts are off. Otherwise the planner, believing few rows pending (a young
// table, or statistics taken while the outbox was drained: the usual case),
// read and checked every pending row (a claim took 117 ms with 100k pending
// instead of 0.9 ms), or, believing many, walked the primary key through
// every retained published row. An index scan also marks the entries of
// published rows dead as it passes them (a bitmap scan never does): after a
// burst the count costs 40 ms once, then a few ms, instead of 20-90 ms each
// second until vacuum, holding up the claims queued behind it on the shared
// pool. No JIT: with busy aggregates the claim's estimated cost passes the
// JIT thresholds, and compiling took 30-90 ms of a claim whose scan took 1 ms.
// Local to the statement's transaction.
constexpr statement index_order{
  "weft_outbox_index_order",
  "SELECT set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true),"
  " set_config('enable_incremental_sort', 'off', true), set_config('enable_seqscan', 'off', true),"
  " set_config('max_parallel_workers_per_gather', '0', true), set_config('jit', 'off', true)"};

constexpr statement wake{"weft_outbox_wake", "SELECT pg_notify('weft_outbox', '')"};

// The order keeps it on weft_outbox_pending_idx (an index-only scan).
constexpr statement pending_count{"weft_outbox_pending",
                            "SELECT count(*) FROM (SELECT 1 FROM weft_outbox"
                            " WHERE published_at IS NULL AND id > 0 ORDER BY id, subject) p"};

// The oldest pending row is the first in index order (ids grow with time):
// one index entry and its heap row.
constexpr statement oldest_pending{
  "weft_outbox_oldest_pending",
  "SELECT COALESCE((SELECT extract(epoch FROM now() - created_at)::float8 FROM weft_outbox"
  " WHERE published_at IS NULL AND id > 0 ORDER BY id, subject LIMIT 1), 0)::float8"};

/// Appends `s` as a quoted element of an array literal.
void append_quoted(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    if (ch == '"' || ch == '\\')
      out += '\\';
    out += ch;
  }
  out += '"';
}

/// `{1,2,3}`.
std::string id_array(const std::vector<int64_t>& ids) {
  std::string out = "{";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0)
      out += ',';
    out += std::to_string(ids[i]);
  }
  out += '}';
  return out;
}

/// Queues the UPDATEs of a settlement after the shared lock.
void add_settlement(pipeline& p, const outbox_settlement& s) {
  p.add(lock_shared, outbox_lock_key);
  if (!s.published.empty())
    p.add(published, id_array(s.published));
  if (!s.failed.empty()) {
    std::string ids = "{", delays = "{", errors = "{";
    for (size_t i = 0; i < s.failed.size(); ++i) {
      if (i > 0) {
        ids += ',';
        delays += ',';
        errors += ',';
      }
      ids += std::to_string(s.failed[i].id);
      delays += std::to_string(s.failed[i].retry_in.count());
      append_quoted(errors, s.failed[i].error);
    }
    p.add(failed, ids + '}', delays + '}', errors + '}');
  }
  if (!s.released.empty())
    p.add(released, id_array(s.released));
}

} // namespace

caf::error append_outbox(connection& c, const std::vector<events::envelope>& evs, bool notify) {
  if (evs.empty())
    return {};
  std::string ids = "{", types = "{", subjects = "{", payloads = "{";
  for (size_t i = 0; i < evs.size(); ++i) {
    if (i > 0) {
      ids += ',';
      types += ',';
      subjects += ',';
      payloads += ',';
    }
    append_quoted(ids, evs[i].id);
    append_quoted(types, evs[i].type);
    append_quoted(subjects, evs[i].subject);
    append_quoted(payloads, events::encode(evs[i]));
  }
  ids += '}';
  types += '}';
  subjects += '}';
  payloads += '}';
  auto r = c.exec(notify ? insert_notify : insert_quiet, ids, types, subjects, payloads);
  return r ? caf::error{} : std::move(r.error());
}

// Leases and marks commit without waiting for the WAL flush (issue 7): with
// fsync on, each synchronous commit is a disk flush that the request's own
// commit and the inboxes' then queue behind. What a crash of PostgreSQL can
// lose here is at most the last few hundred milliseconds of them, and
// neither loses an event:
// - a lost lease leaves its row pending: it is claimed and published again;
// - a lost mark (published, failed, released) leaves the row pending or
//   leased: it is published again.
// Either way the event goes out twice, which JetStream's duplicate window
// (same Nats-Msg-Id) and every inbox's dedupe absorb, as for a relay that
// crashes between publish and mark. The rows themselves (written by the
// request's transaction) and the inboxes' records stay synchronous: losing
// those would lose an answered write or apply an acked event twice.
namespace {

void add_lazy_commit(pipeline& p) {
  p.add("SET LOCAL synchronous_commit TO off");
}

} // namespace

caf::expected<std::vector<outbox_row>> claim_outbox(connection& c, size_t limit,
                                                    std::chrono::milliseconds lease,
                                                    std::string_view owner,
                                                    const std::vector<std::string>& skip) {
  std::string subjects = "{";
  for (size_t i = 0; i < skip.size(); ++i) {
    if (i > 0)
      subjects += ',';
    append_quoted(subjects, skip[i]);
  }
  subjects += '}';
  // One round trip, one implicit transaction: the lock is held until the
  // lease is committed.
  pipeline p{c};
  add_lazy_commit(p);
  p.add(lock_exclusive, outbox_lock_key);
  p.add(index_order);
  p.add(claim, static_cast<int64_t>(limit), static_cast<int64_t>(lease.count()), owner,
        subjects);
  auto rs = p.run();
  if (!rs)
    return std::move(rs.error());
  const auto& r = rs->back();
  std::vector<outbox_row> rows;
  rows.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i)
    rows.push_back(outbox_row{r.get<int64_t>(i, 0), r.get<std::string>(i, 1),
                              r.get<std::string>(i, 2), r.get<std::string>(i, 3),
                              r.get<std::string>(i, 4), r.get<int32_t>(i, 5),
                              r.get<double>(i, 6)});
  // RETURNING has no order of its own.
  std::sort(rows.begin(), rows.end(),
            [](const outbox_row& a, const outbox_row& b) { return a.id < b.id; });
  return rows;
}

caf::error settle_outbox(connection& c, const outbox_settlement& s) {
  if (s.empty())
    return {};
  pipeline p{c};
  add_lazy_commit(p);
  add_settlement(p, s);
  auto rs = p.run();
  return rs ? caf::error{} : std::move(rs.error());
}

caf::error mark_published(connection& c, const std::vector<int64_t>& ids) {
  return settle_outbox(c, outbox_settlement{ids, {}, {}});
}

caf::error mark_failed(connection& c, const std::vector<outbox_failure>& failures) {
  return settle_outbox(c, outbox_settlement{{}, failures, {}});
}

caf::error release_outbox(connection& c, const std::vector<int64_t>& ids) {
  return settle_outbox(c, outbox_settlement{{}, {}, ids});
}

caf::expected<int64_t> release_leases_of(connection& c, const std::string& owner) {
  pipeline p{c};
  p.add(released_owner, owner);
  p.add(wake);
  auto rs = p.run();
  if (!rs)
    return std::move(rs.error());
  return rs->front().affected();
}

caf::expected<int64_t> cleanup_outbox(connection& c, std::chrono::seconds retention,
                                      int64_t limit) {
  auto r = c.exec(cleanup, static_cast<int64_t>(retention.count()), limit);
  if (!r)
    return std::move(r.error());
  return r->affected();
}

caf::expected<int64_t> republish_since(connection& c,
                                       std::chrono::system_clock::time_point since) {
  pipeline p{c};
  p.add(lock_exclusive, outbox_lock_key);
  p.add(republish, since);
  p.add(wake);
  auto rs = p.run();
  if (!rs)
    return std::move(rs.error());
  return (*rs)[1].affected();
}

caf::expected<int64_t> outbox_pending(connection& c) {
  pipeline p{c};
  p.add(index_order);
  p.add(pending_count);
  auto rs = p.run();
  if (!rs)
    return std::move(rs.error());
  return rs->back().get<int64_t>(0, 0);
}

caf::expected<outbox_backlog> outbox_backlog_of(connection& c) {
  pipeline p{c};
  p.add(index_order);
  p.add(pending_count);
  p.add(oldest_pending);
  auto rs = p.run();
  if (!rs)
    return std::move(rs.error());
  return outbox_backlog{(*rs)[1].get<int64_t>(0, 0), (*rs)[2].get<double>(0, 0)};
}

} // namespace weft::pg
