#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "adapters/postgres/connection.hpp"
#include "runtime/service_ports.hpp"
#include "runtime/store.hpp"

// The durable store: units of work are PostgreSQL transactions. A session is
// one connection, used by one detached actor (libpq blocks its thread). A
// unit's events become weft_outbox rows in its transaction; after the commit
// the outbox relay is woken in-process. Ordering rule: commit -> wake ->
// publish -> mark published.
namespace weft::pg {

/// A unit of work on a connection that is inside a transaction someone else
/// runs (a session, or the durable inbox): it collects the events emitted;
/// whoever commits appends them to the outbox first (append_events).
class pg_unit final : public unit_of_work {
public:
  explicit pg_unit(connection& c) : conn_(c) {}

  store_kind kind() const override { return store_kind::postgres; }
  void emit(events::envelope ev) override { events_.push_back(std::move(ev)); }
  caf::expected<std::optional<idempotency_record>>
  find_answer(std::string_view key, std::string_view operation) override;
  caf::error record_answer(const idempotency_record& r) override;
  caf::expected<bool> record_delivery(std::string_view consumer,
                                      std::string_view event_key) override;
  caf::expected<int64_t> prune_deliveries(int64_t before, int64_t limit) override;
  caf::expected<int64_t> prune_answers(int64_t limit) override;

  connection& conn() { return conn_; }
  std::vector<events::envelope>& events() { return events_; }

  /// Inserts the events emitted so far as outbox rows (no NOTIFY: the relay
  /// of this node is woken in-process after the commit).
  caf::error append_events();

private:
  connection& conn_;
  std::vector<events::envelope> events_;
};

/// The connection of a PostgreSQL unit of work, or nullptr if `w` is not one
/// (what a repository's PostgreSQL implementation opens with).
connection* connection_of(unit_of_work& w);

/// The store. Thread-safe; each session has its own connection.
class pg_store final : public store {
public:
  /// `opts` for every session's connection (application_name gets the
  /// session's purpose appended); `parallelism` sessions per service.
  pg_store(connect_options opts, uint32_t parallelism);

  /// Woken after each commit that wrote outbox rows (none: nobody).
  void set_relay(outbox_table_relay_actor relay);

  store_kind kind() const override { return store_kind::postgres; }
  bool blocking() const override { return true; }
  uint32_t parallelism() const override { return parallelism_; }
  std::shared_ptr<store_session> open_session(std::string purpose) override;

  /// Who to wake, shared with the sessions (which may outlive the store).
  struct relay_ref {
    std::mutex mtx;
    outbox_table_relay_actor relay;
  };

private:
  connect_options opts_;
  uint32_t parallelism_;
  std::shared_ptr<relay_ref> relay_ = std::make_shared<relay_ref>();
};

} // namespace weft::pg
