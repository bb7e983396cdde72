#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "adapters/postgres/connection.hpp"
#include "events/envelope.hpp"

// The SQL of the outbox table (weft_outbox, config/migrations), all through
// parameters. Ordering rule: commit -> publish -> mark published. A row is
// written in the domain transaction (append_outbox), claimed by one relay
// under a lease (claim_outbox), published, then marked (settle_outbox). A
// crash between publish and mark publishes the row again: the bus dedupes by
// event id within its window, the inboxes dedupe after that.
//
// Several relays on one database: a claim takes rows FOR UPDATE SKIP LOCKED
// and leases them (locked_until = now() + lease); a leased row is nobody
// else's until the lease expires (a crashed relay's rows come back then).
// Per-subject order: a row is claimable only if no earlier unpublished row of
// its subject is waiting for a retry or leased by another claimer (rows
// behind a claimer's own leases join its queue for that subject). For that rule to see every
// lease, claims take an exclusive transaction-level advisory lock and
// settlements a shared one, so a claim never runs while a lease is being
// written or released (SKIP LOCKED then only skips rows of statements that
// take no lock, e.g. a cleanup). Rows without a subject carry no order.
// Order per subject is commit order as long as writers of one subject
// serialise on their aggregate (they do: they update the same row first).
namespace weft::pg {

/// The channel relays LISTEN on; append_outbox notifies it.
inline constexpr std::string_view outbox_channel = "weft_outbox";

/// The advisory lock key of outbox claims ("weft\0\0ob" in ASCII).
inline constexpr int64_t outbox_lock_key = 0x7765667400006f62;

/// A claimed row, leased to the claimer.
struct outbox_row {
  int64_t id = 0;
  std::string event_id;
  std::string type;
  std::string subject;      ///< the envelope subject (aggregate); may be empty
  std::string payload;      ///< the encoded CloudEvent
  int32_t attempts = 0;     ///< failed publishes so far
  double created_at_s = 0;  ///< created_at, seconds since the Unix epoch
};

/// A publish that failed: retry no sooner than `retry_in`.
struct outbox_failure {
  int64_t id = 0;
  std::chrono::milliseconds retry_in{0};
  std::string error;
};

/// What became of claimed rows, written back in one round trip.
struct outbox_settlement {
  std::vector<int64_t> published;      ///< stored on the bus: published_at = now()
  std::vector<outbox_failure> failed;  ///< attempts + 1, next attempt later, lease released
  std::vector<int64_t> released;       ///< not tried this round: lease released

  bool empty() const { return published.empty() && failed.empty() && released.empty(); }
  size_t size() const { return published.size() + failed.size() + released.size(); }
};

/// Inserts one row per event (payload = events::encode(ev)) in one
/// statement. Call it inside the domain transaction. With `notify`, also
/// `pg_notify('weft_outbox', '')` (folded into one per transaction) so that
/// relays in other processes wake at commit.
caf::error append_outbox(connection& c, const std::vector<events::envelope>& evs,
                         bool notify = true);

/// Leases up to `limit` claimable rows for `lease`, in id order, to `owner`.
/// Rows behind `owner`'s own leased rows of their subject are claimable (the
/// owner publishes them after those; a relay names itself); an empty owner
/// is held back by every lease. Rows of the subjects in `skip` are left
/// alone (a relay with enough of a subject at hand lets the others through).
caf::expected<std::vector<outbox_row>> claim_outbox(connection& c, size_t limit,
                                                    std::chrono::milliseconds lease,
                                                    std::string_view owner = {},
                                                    const std::vector<std::string>& skip = {});

/// Writes a settlement in one round trip (one UPDATE per kind present).
caf::error settle_outbox(connection& c, const outbox_settlement& s);

/// Marks rows published (one UPDATE ... WHERE id = ANY($1)).
caf::error mark_published(connection& c, const std::vector<int64_t>& ids);

/// Records failed publishes: attempts + 1, next_attempt_at, last_error, unleased.
caf::error mark_failed(connection& c, const std::vector<outbox_failure>& failures);

/// Releases leases of rows that stay unpublished.
caf::error release_outbox(connection& c, const std::vector<int64_t>& ids);

/// Releases every lease `owner` (a relay of a node known dead) still holds
/// and wakes the relays; how many rows. If that node was only cut off and
/// publishes them too, JetStream's duplicate window and the inboxes absorb it.
caf::expected<int64_t> release_leases_of(connection& c, const std::string& owner);

/// Deletes up to `limit` rows published longer than `retention` ago; how many.
caf::expected<int64_t> cleanup_outbox(connection& c, std::chrono::seconds retention,
                                      int64_t limit = 10000);

/// Makes rows published at or after `since` pending again (attempts 0, due
/// now) and wakes the relays; how many. For a broker that lost acknowledged
/// messages: the bus and the inboxes dedupe what it still had.
caf::expected<int64_t> republish_since(connection& c,
                                       std::chrono::system_clock::time_point since);

/// Rows not yet published.
caf::expected<int64_t> outbox_pending(connection& c);

/// Rows not yet published, and how long the oldest of them has waited.
struct outbox_backlog {
  int64_t pending = 0;
  double oldest_age_s = 0; ///< 0 when nothing is pending
};
caf::expected<outbox_backlog> outbox_backlog_of(connection& c);

} // namespace weft::pg
