#pragma once

#include <nats/nats.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor.hpp>
#include <caf/error.hpp>

#include "adapters/nats/connection.hpp"
#include "adapters/nats/nats_types.hpp"
#include "runtime/event_bus.hpp"

// Internal: one durable pull consumer read by a dedicated thread. The thread
// creates (or updates) the durable, subscribes to its own inbox, then loops:
// wait for credit, fetch, decode, hand the batch to the bus actor. Fetch
// blocks, so it never runs on a CAF thread.
//
// Flow control: at most `limit` fetched messages are unsettled; the actor
// gives credit back (release) as it acks, terms or naks them.
namespace weft::nats {

/// A message's headers, in order (every value of a repeated key).
header_list read_headers(natsMsg* m);

/// The headers a handler sees: the wire's, without transport headers.
header_list visible_headers(const header_list& wire);

/// A fetched message as the consumer sees it (takes `m`; `conn` left
/// unset): its metadata, its subject without the partition, its headers,
/// and its CloudEvent or why the payload is not one. The inbox's front door
/// for every byte that arrives from the stream.
fetched decode_fetched(natsMsg* m);

/// A consumer's fetch thread and its flow control.
class fetcher {
public:
  /// `sink` gets (ready_atom, name, error text) once, then (batch_atom, name, batch)s.
  fetcher(std::shared_ptr<connection> conn, consumer_config cfg, caf::actor sink,
          uint32_t limit);
  ~fetcher();
  fetcher(const fetcher&) = delete;
  fetcher& operator=(const fetcher&) = delete;

  /// Starts the thread.
  void start();
  /// `n` messages were settled: room for n more.
  void release(uint32_t n);
  /// Stops or resumes fetching (drain).
  void pause(bool on);
  /// While paused: takes in what the pull request still open may bring
  /// (until it ends or expires) and hands it off, then sends the sink
  /// `(quiet_atom, name)`: nothing more can arrive for this consumer here.
  void drain_open();
  /// Asks the thread to end after its current fetch (at most fetch_wait_ms).
  void request_stop();
  /// Waits for the thread (never from a CAF or NATS thread).
  void join();
  /// Destroys the subscription; after the actor holding its messages is gone.
  void close_subscription();

  /// The consumer's last known NumPending (stored, not yet delivered to anyone).
  uint64_t num_pending() const { return num_pending_.load(); }
  const consumer_config& config() const { return cfg_; }

private:
  void run();
  caf::error ensure_consumer();
  caf::error bind();
  /// Waits for credit; 0 when stopping, else how many to fetch. Sets `idle`
  /// when it waited a while without credit (time to refresh the lag).
  uint32_t wait_credit(bool& idle);
  /// What one pull request ended with, and why when it failed.
  struct pull_result {
    natsStatus status = NATS_OK;
    std::string why;
  };
  /// Up to `n` messages into `out`, returning as soon as some arrived and no
  /// more are queued: from the open pull request, else from a new one
  /// waiting up to `wait_ns`. The request stays open across calls until the
  /// server ends it (batch complete, 404/408/409) or it expires.
  pull_result pull(uint32_t n, int64_t wait_ns, std::vector<natsMsg*>& out,
                   bool open_only = false);
  /// drain_open's work, on the fetch thread.
  void flush_open();
  void hand_off(std::vector<natsMsg*>& msgs);
  void refresh_pending();
  void set_pending(uint64_t n);
  bool sleep_unless_stopped(std::chrono::milliseconds d);

  std::shared_ptr<connection> conn_;
  consumer_config cfg_;
  caf::actor sink_;
  uint32_t limit_;
  natsSubscription* sub_ = nullptr; ///< a plain subscription on inbox_.*
  std::string inbox_;
  std::string next_subject_;        ///< $JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>
  uint64_t request_seq_ = 0;
  /// The one pull request that may still deliver: its reply subject, how
  /// many messages it may still bring, and when the server expires it.
  std::string open_reply_;
  uint32_t open_left_ = 0;
  std::chrono::steady_clock::time_point open_until_{};
  std::thread thread_;
  std::mutex mtx_;
  std::condition_variable cv_;
  uint32_t outstanding_ = 0;
  bool paused_ = false;
  bool flush_ = false;   ///< drain_open was asked
  bool stop_ = false;
  bool refused_ = false; ///< the last setup error came from the server (final)
  std::atomic<uint64_t> num_pending_{0};
};

} // namespace weft::nats
