#pragma once

#include <nats/nats.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_response_promise.hpp>

#include "adapters/nats/connection.hpp"
#include "adapters/nats/dead_letters.hpp"
#include "adapters/nats/fetcher.hpp"
#include "adapters/nats/nats_types.hpp"
#include "runtime/drain.hpp"

// Internals of the JetStream bus actor, shared by jetstream_actor.cpp (the
// port's interface and publishing) and jetstream_consumer.cpp (lanes).
namespace weft::nats {

/// The actor's own interface: the port plus what NATS threads and timers send.
using jetstream_impl = event_bus_actor::extend<
  caf::reacts_to<puback_atom, msg_ptr, uint64_t, bool, std::string>, ///< msg, seq, duplicate, error
  caf::reacts_to<batch_atom, std::string, batch_ptr>,                ///< consumer, fetched
  caf::reacts_to<ready_atom, std::string, std::string>,              ///< consumer bound, or error
  caf::reacts_to<quiet_atom, std::string>,                           ///< consumer: nothing more will arrive
  caf::reacts_to<retry_atom, std::string, std::string, uint64_t>,    ///< consumer, lane, token
  caf::reacts_to<keepalive_atom, std::string>,                       ///< consumer
  caf::reacts_to<sweep_atom>,                                        ///< publish deadlines
  caf::reacts_to<drain_deadline>>;

/// Every fetch thread the actor started, so the owner can stop and join them
/// from its own thread.
struct fetcher_registry {
  std::mutex mtx;
  std::vector<std::shared_ptr<fetcher>> all;
  bool closed = false;
};

using clock = std::chrono::steady_clock;

/// A fetched message held until it is settled (ack, term or nak).
struct held {
  fetched f;
  uint32_t local_retries = 0;  ///< failed attempts retried here, without the server
  std::string dlq_reason;      ///< set: to be dead-lettered with this reason
  uint32_t dlq_deliveries = 0; ///< attempts made, for Weft-Dlq-Deliveries
  uint32_t attempt() const { return f.delivered + local_retries; }
};

/// What the front of a lane is doing.
enum class lane_phase { idle, handling, backoff, dead_lettering };

/// The messages of one aggregate (NATS subject + CloudEvents subject), in
/// stream order; only the front is worked on.
struct lane {
  std::deque<held> queue;
  lane_phase phase = lane_phase::idle;
  uint64_t token = 0;          ///< tells the current step's answers from stale ones
  clock::time_point retry_at;  ///< end of the backoff
};

/// An assign waiting for the partitions it took away to be settled.
struct release_wait {
  caf::typed_response_promise<ack_atom> rp;
  size_t left = 0;
};

/// One durable consumer as this bus instance sees it: a consumer, or one
/// partition of a partitioned one.
struct consumer_rt {
  consumer_config cfg;
  std::string group;         ///< partitioned: the consumer's name (cfg.name is `<group>_p<k>`)
  uint32_t partition = 0;
  bool releasing = false;    ///< taken away: no fetching, settle what is held, then go
  bool fetch_quiet = false;  ///< releasing: its open pull request has ended
  std::vector<std::shared_ptr<release_wait>> released;
  clock::time_point next_keepalive{}; ///< drops a stale keepalive chain
  std::vector<event_handler_actor> handlers; ///< live handlers, served round-robin
  size_t next_handler = 0;
  std::unordered_map<std::string, lane> lanes;
  std::unordered_map<uint64_t, std::string> held_seqs; ///< stream seq -> lane
  std::shared_ptr<fetcher> fetch;
  bool ready = false;                         ///< durable created and bound
  std::vector<std::pair<caf::typed_response_promise<ack_atom>, event_handler_actor>> waiting;
  uint64_t held_count = 0;                    ///< fetched, not settled
  uint64_t in_flight = 0;                     ///< at a handler
  consumer_stats stats;
};

/// A partitioned consumer (`partitions` > 1): what its subscribers asked
/// for, and its handlers; each partition this instance reads is a
/// consumer_rt of its own, with a filter for that partition only.
struct consumer_group {
  consumer_config cfg;
  std::vector<event_handler_actor> handlers;
  std::vector<caf::typed_response_promise<ack_atom>> waiting; ///< until every partition is bound
  uint32_t unready = 0;
};

/// A publish awaiting its PubAck: a caller's, or a dead letter of a lane.
struct pub_entry {
  std::optional<caf::typed_response_promise<uint64_t>> rp;
  std::string type;                          ///< event type, for metrics
  std::string consumer, lane;                ///< dead letter: whose
  uint64_t token = 0;
  clock::time_point deadline;
};

/// A publish waiting for room in the window.
struct queued_pub {
  unique_msg msg;
  pub_entry entry;
};

/// The bus actor's state.
struct jetstream_state {
  static inline const char* name = "weft.jetstream_bus";

  std::shared_ptr<connection> conn;
  std::shared_ptr<fetcher_registry> registry;
  std::map<std::string, consumer_rt> consumers;
  std::map<std::string, consumer_group> groups;
  std::unordered_map<natsMsg*, pub_entry> pubs; ///< sent, by message address
  std::deque<queued_pub> queue;
  bool sweep_scheduled = false;
  uint64_t next_token = 0;
  bool draining = false;
  drain_waiters drains;
  std::minstd_rand rng{0x5eed}; ///< backoff jitter only
  std::set<std::string> paused; ///< consumers (or groups) not fetching on purpose
  dead_letters_actor letters;   ///< reads and redrives dead letters (blocking)

  const jetstream_options& opts() const { return conn->opts(); }
};

using bus_pointer = jetstream_impl::stateful_pointer<jetstream_state>;

/// The name `pause` and `resume` know `c` by: its group's, or its own.
inline const std::string& pause_key(const consumer_rt& c) {
  return c.group.empty() ? c.cfg.name : c.group;
}

/// True when `c` takes nothing new: the bus drains, or its partition goes.
inline bool stopping(const jetstream_state& st, const consumer_rt& c) {
  return st.draining || c.releasing;
}

// -- the actor and publishing (jetstream_actor.cpp) ----------------------------

/// The bus actor's behaviour.
jetstream_impl::behavior_type jetstream_actor(bus_pointer self, std::shared_ptr<connection> conn,
                                              std::shared_ptr<fetcher_registry> registry);

/// The message on the wire for `m`: structured-mode CloudEvents,
/// Nats-Msg-Id = its dedupe id, on its partition's subject when
/// `partitions` > 1.
caf::expected<unique_msg> make_nats_message(const bus_message& m, uint32_t partitions);

/// Sends `msg` now if the window has room, else queues it.
void submit(bus_pointer self, unique_msg msg, pub_entry entry);

// -- consumers (jetstream_consumer.cpp) ---------------------------------------

/// A fetched batch: into lanes, then start what can start.
void on_batch(bus_pointer self, const std::string& consumer, batch_ptr batch);
/// Works the front of lane `key` of `c` as far as it goes without waiting.
void advance(bus_pointer self, consumer_rt& c, const std::string& key);
/// Every lane of `c` (a handler arrived).
void advance_all(bus_pointer self, consumer_rt& c);
/// A lane's backoff elapsed.
void on_retry(bus_pointer self, const std::string& consumer, const std::string& key,
              uint64_t token);
/// A dead letter was stored (`err` empty) or not.
void on_dead_letter_stored(bus_pointer self, const pub_entry& e, const std::string& err);
/// In-progress acks for every held message of `consumer`, then reschedules.
void keepalive(bus_pointer self, const std::string& consumer);
/// Drain began: nak everything not at a handler, stop fetching.
void begin_drain(bus_pointer self);
/// Lets released partitions go once nothing of theirs is held (answering
/// their assigns), then answers the pending drains once nothing is held.
void check_drained(bus_pointer self);
/// Stops fetching partition `c` and gives back what no handler has.
void begin_release(bus_pointer self, consumer_rt& c);
/// A handler died: forget it.
void detach(bus_pointer self, const caf::actor_addr& handler);

/// Counts a bus event, if the node has metrics.
inline void count(jetstream_state& st, bus_counter which, std::string_view type,
                  std::string_view consumer) {
  if (auto* m = st.opts().metrics)
    m->bus_event(which, type, consumer);
}

} // namespace weft::nats
