#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/unit_of_work.hpp"

// The subscriptions repository port, opened on a unit of work.
namespace weft::webhooks {

struct subscription_record {
  std::string id;                 ///< UUIDv7: oldest has the least
  std::string sink;
  std::string types_json;         ///< JSON array of patterns
  std::string filters_json;       ///< JSON object
  bool ordered = false;
  bool enabled = true;
  bool paused = false;            ///< rows are recorded, none is claimed
  std::string secret;             ///< whsec_...
  std::string previous_secret;    ///< signs too until previous_until (empty: none)
  std::string previous_until;     ///< RFC 3339
  std::string created_at;
  std::string updated_at;
  std::string failing_since;      ///< RFC 3339: first failure since the last success ("": none)
  std::string disabled_reason;    ///< why it was disabled by the node ("": by a user or not)
};

class subscription_repository {
public:
  virtual ~subscription_repository() = default;

  virtual caf::error add(const subscription_record& s) = 0;

  /// The subscription, or nullopt.
  virtual caf::expected<std::optional<subscription_record>> find(std::string_view id) = 0;

  /// Replaces the stored record of `s.id`; false if there is none.
  virtual caf::expected<bool> replace(const subscription_record& s) = 0;

  /// False if there was none.
  virtual caf::expected<bool> remove(std::string_view id) = 0;

  /// Oldest first, with id > `after` ("" : from the first), at most `limit`.
  virtual caf::expected<std::vector<subscription_record>> list(std::string_view after,
                                                               size_t limit) = 0;

  virtual caf::expected<int64_t> count() = 0;

  /// Sets when `id` started failing unless it is set (with "": clears it);
  /// false if there is no such subscription. Apart from `replace`: the dispatcher writes it
  /// while users may change the rest.
  virtual caf::expected<bool> set_failing_since(std::string_view id, std::string_view since) = 0;
};

/// One event to deliver to one subscription, and how it went so far.
struct delivery_record {
  int64_t id = 0;               ///< increasing in creation order
  std::string subscription_id;
  std::string event_id;
  std::string type;
  std::string subject;
  std::string body;             ///< the structured CloudEvent, as POSTed
  std::string status;           ///< pending, delivered, gone, exhausted
  int32_t attempts = 0;
  std::string next_at;          ///< RFC 3339: due then (pending)
  int32_t last_code = 0;        ///< HTTP status of the last attempt (0: none)
  std::string last_error;
  int32_t last_latency_ms = 0;
  std::string created_at;
  std::string updated_at;
};

/// How an attempt ended, to record.
struct delivery_outcome {
  std::string status;           ///< pending (retry at next_at), delivered, gone, exhausted
  std::string next_at;          ///< pending: when to try again
  int32_t code = 0;
  std::string error;
  int32_t latency_ms = 0;
};

/// What waits to be delivered to one subscription.
struct pending_summary {
  std::string subscription_id;
  int64_t pending = 0;
  std::string oldest_created_at; ///< RFC 3339 of the oldest pending row
};

class delivery_repository {
public:
  virtual ~delivery_repository() = default;

  /// Adds the row unless one exists for (subscription, event).
  virtual caf::error add(const delivery_record& d) = 0;

  /// Leases up to `limit` due rows of the `enabled` subscriptions to
  /// `owner` for `lease_ms`: pending, due, not leased (or the lease ran
  /// out); of an ordered subscription only each subject's oldest pending row.
  virtual caf::expected<std::vector<delivery_record>>
  claim(std::string_view owner, size_t limit, uint32_t lease_ms,
        const std::vector<std::string>& enabled, const std::vector<std::string>& ordered) = 0;

  /// Bookkeeping only: lets this unit commit without waiting for the disk
  /// (PostgreSQL: synchronous_commit off for this transaction). A crash may
  /// forget its last such commits; what they recorded (a lease, an attempt's
  /// end) is then done again: an attempt made twice, with the same
  /// webhook-id, as at-least-once delivery allows. Never for the rows that
  /// say what must be delivered.
  virtual caf::error commit_lazily() = 0;

  /// Records attempts' ends (row id, how it went) and releases their leases
  /// (one statement on PostgreSQL).
  virtual caf::error settle_all(const std::vector<std::pair<int64_t, delivery_outcome>>& ends) = 0;

  /// Deletes every row of a subscription (it was deleted).
  virtual caf::error remove_for(std::string_view subscription_id) = 0;

  /// Deletes at most `limit` settled rows (delivered, gone, exhausted)
  /// created before `before` (Unix seconds): how many. Retention: a row is
  /// its sink's record of the event, so it must outlive the stream's copy
  /// (the sweeper keeps them `retention.inbox_s`, as inbox records).
  virtual caf::expected<int64_t> prune_settled(int64_t before, int64_t limit) = 0;

  /// Makes the row of (subscription, event) pending again and due now, with
  /// the whole retry schedule ahead (attempts 0); nullopt if there is none.
  virtual caf::expected<std::optional<delivery_record>>
  redeliver(std::string_view subscription_id, std::string_view event_id) = 0;

  /// Adds the row, or makes the existing one of (subscription, event)
  /// pending again, due now, attempts 0.
  virtual caf::error requeue(const delivery_record& d) = 0;

  /// Makes every row of the subscription created at or after `since` (RFC
  /// 3339) and not pending pending again, due now, attempts 0; how many.
  virtual caf::expected<int64_t> replay(std::string_view subscription_id,
                                        std::string_view since) = 0;

  /// Pending rows per subscription that has any.
  virtual caf::expected<std::vector<pending_summary>> pending() = 0;

  /// A subscription's rows with id > `after`, oldest first, at most `limit`.
  virtual caf::expected<std::vector<delivery_record>>
  list(std::string_view subscription_id, int64_t after, size_t limit) = 0;
};

/// The repository on the unit of work's store.
std::unique_ptr<subscription_repository> open_repository(unit_of_work& w);
std::unique_ptr<delivery_repository> open_delivery_repository(unit_of_work& w);
std::unique_ptr<delivery_repository> open_memory_delivery_repository(unit_of_work& w);
std::unique_ptr<delivery_repository> open_pg_delivery_repository(unit_of_work& w);

std::unique_ptr<subscription_repository> open_memory_repository(unit_of_work& w);
std::unique_ptr<subscription_repository> open_pg_repository(unit_of_work& w);

} // namespace weft::webhooks
