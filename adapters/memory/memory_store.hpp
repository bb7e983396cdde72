#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <set>
#include <utility>

#include "runtime/service_ports.hpp"
#include "runtime/store.hpp"

// The embedded store: every service's data in process, with the unit-of-work
// semantics of the durable store. A unit holds the store's lock while its
// handler runs, so its changes are seen by others only once it committed; a
// handler that fails has its changes undone (each repository registers the
// undo of what it changes) and its events dropped. At commit the unit's
// events go to the in-memory outbox relay, still under the lock, so per
// subject they are published in commit order. Nothing survives the process.
namespace weft::memory {

/// What a memory repository works on inside a unit of work.
class memory_tables {
public:
  virtual ~memory_tables() = default;

  /// The service's data object named `name` (a default T on first use; one
  /// type per name). Touch it only inside the unit.
  template <class T>
  T& get(std::string_view name) {
    auto& slot = table(name);
    if (!slot)
      slot = std::make_shared<T>();
    return *std::static_pointer_cast<T>(slot);
  }

  /// Runs `undo` if the unit rolls back (undos run newest first).
  virtual void on_rollback(std::function<void()> undo) = 0;

protected:
  virtual std::shared_ptr<void>& table(std::string_view name) = 0;
};

/// The memory tables of a unit of work, or nullptr if it is not the memory
/// store's (what a repository's memory implementation opens with).
memory_tables* tables_of(unit_of_work& w);

/// The store. Thread-safe; sessions share it.
class memory_store final : public store, public std::enable_shared_from_this<memory_store> {
public:
  /// `relay` gets each commit's events; may be set later (set_relay).
  explicit memory_store(event_relay_actor relay = {});

  /// Where committed events go from now on.
  void set_relay(event_relay_actor relay);

  store_kind kind() const override { return store_kind::memory; }
  bool blocking() const override { return false; }
  uint32_t parallelism() const override { return 1; }
  std::shared_ptr<store_session> open_session(std::string purpose) override;

private:
  friend class memory_session;
  friend class memory_unit;

  std::mutex mtx_; ///< held by a unit for its whole handler
  event_relay_actor relay_;
  std::map<std::string, std::shared_ptr<void>, std::less<>> tables_;
  std::map<std::pair<std::string, std::string>, idempotency_record, std::less<>>
    answers_;                                           ///< by (key, operation)
  /// (consumer, event key) -> when it was recorded (unix seconds), and the
  /// same in time order for retention.
  std::map<std::pair<std::string, std::string>, int64_t> deliveries_;
  std::multimap<int64_t, std::pair<std::string, std::string>> deliveries_by_time_;
};

} // namespace weft::memory
