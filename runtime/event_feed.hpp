#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

// The node's view of the event stream for readers outside the bus (Server-
// Sent Events): every event in stream order, with its position (the stream
// sequence), the last `history` of them kept for resuming readers. One
// source appends (the in-process bus, or a tail of the JetStream stream);
// readers pull what follows their position when woken.
//
// Wake-ups are coalesced: a pump thread wakes every watcher at most once per
// `coalesce` interval, however many events arrived, so a thousand readers
// cost a thousand pulls per interval, not per event.
namespace weft {

/// One event as readers get it.
struct feed_event {
  uint64_t position = 0; ///< stream sequence, increasing
  std::string type;
  std::string subject;   ///< the CloudEvents subject
  std::string json;      ///< the structured CloudEvent, on one line (given to append)
  /// The event as an SSE frame (`id:`, `event:`, `data:`), made once by
  /// append for every reader; `json` is moved into it.
  std::string frame;
};

using feed_event_ptr = std::shared_ptr<const feed_event>;

/// Told that events arrived; must not block (post to your own thread).
class feed_watcher {
public:
  virtual ~feed_watcher() = default;
  virtual void wake() = 0;
};

class event_feed {
public:
  /// `epoch` names this stream (a recreated stream gets another), so a
  /// resume position of another stream is recognised as such.
  event_feed(std::string epoch, std::size_t history,
             std::chrono::milliseconds coalesce = std::chrono::milliseconds{5});
  ~event_feed();
  event_feed(const event_feed&) = delete;
  event_feed& operator=(const event_feed&) = delete;

  const std::string& epoch() const { return epoch_; }

  /// Appends an event; positions must increase (an older one is dropped).
  void append(feed_event e);

  /// What a reader gets: retained events after `after`, at most `max`.
  struct slice {
    std::vector<feed_event_ptr> events;
    uint64_t oldest = 0; ///< oldest retained position (0: nothing yet)
    uint64_t last = 0;   ///< newest position appended (0: nothing yet)
  };
  slice read(uint64_t after, std::size_t max) const;

  /// The newest position appended (0: none yet).
  uint64_t last() const;

  /// Wakes `w` after appends while it lives (held weakly).
  void watch(std::weak_ptr<feed_watcher> w);

  /// Stops the pump; watchers are not woken again.
  void stop();

private:
  void pump();

  std::string epoch_;
  std::size_t history_;
  std::chrono::milliseconds coalesce_;
  mutable std::mutex mtx_;
  std::deque<feed_event_ptr> ring_;
  uint64_t last_ = 0;
  std::vector<std::weak_ptr<feed_watcher>> watchers_;
  bool dirty_ = false;
  bool stop_ = false;
  std::condition_variable cv_;
  std::thread thread_;
};

/// A resume position as SSE shows it: `<epoch>-<position>`.
std::string feed_position_id(std::string_view epoch, uint64_t position);

/// Parses `<epoch>-<position>`; nullopt if malformed.
struct feed_position {
  std::string epoch;
  uint64_t position = 0;
};
std::optional<feed_position> parse_feed_position(std::string_view id);

/// The stream position a reader names to start after: `earliest` (0), a
/// stream sequence, or an event id of GET /v1/events (its epoch is not
/// checked); nullopt for anything else.
std::optional<uint64_t> stream_position_of(std::string_view text);

} // namespace weft
