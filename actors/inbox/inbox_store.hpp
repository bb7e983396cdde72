#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

// The inbox store port: which event ids a consumer has already handled.
// Embedded mode keeps them in memory (lost on restart, like the in-process
// bus itself). The PostgreSQL inbox will record (consumer, event_id) inside
// the handler's own transaction, so record and effects commit together.
namespace weft::inbox {

/// Handled event ids per consumer. Implementations are thread-safe.
class inbox_store {
public:
  virtual ~inbox_store() = default;

  /// True if `consumer` has handled `event_id` before.
  virtual bool contains(std::string_view consumer, std::string_view event_id) = 0;

  /// Remembers that `consumer` handled `event_id`; recording twice is harmless.
  virtual void record(std::string_view consumer, std::string_view event_id) = 0;
};

/// The in-memory inbox store: a set of (consumer, event id) keys.
class memory_inbox_store final : public inbox_store {
public:
  /// True if `consumer` has handled `event_id` before.
  bool contains(std::string_view consumer, std::string_view event_id) override;

  /// Remembers that `consumer` handled `event_id`.
  void record(std::string_view consumer, std::string_view event_id) override;

  /// How many (consumer, event id) pairs are recorded.
  size_t size() const;

private:
  static std::string key(std::string_view consumer, std::string_view event_id);

  mutable std::mutex mtx_;
  std::unordered_set<std::string> ids_;
};

} // namespace weft::inbox
