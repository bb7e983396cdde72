#pragma once

#include <any>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// The node's configuration model: one struct per JSON section, each key with
// its default and a one-line comment. config/loader reads file, then
// environment (`WEFT_<SECTION>_<KEY>`), then validates every section and
// reports every problem at once. config/examples/weft.json documents it.
// Service modules add their own sections (config/section.hpp), so this file
// names no service.
namespace weft::config {

struct node_section {
  std::string name = "weft-1";                      ///< this node's name, in logs and /v1/utils/version
  std::vector<std::string> services;                ///< service groups hosted here; default: every module of the build; [] = none (an adapter-only node)
  uint32_t scheduler_threads = 0;                   ///< CAF workers; 0 = number of cores
  uint32_t shutdown_timeout_ms = 10000;             ///< drain deadline on SIGTERM
};

struct http_section {
  std::string host = "0.0.0.0";            ///< listen address
  uint32_t port = 8080;                    ///< 0 = any free port (printed at start)
  uint32_t threads = 1;                    ///< Asio I/O threads
  uint32_t body_limit = 1048576;           ///< bytes; larger bodies answer 413
  uint32_t header_limit = 16384;           ///< bytes of request line + headers
  uint32_t json_max_depth = 32;            ///< nesting of request bodies
  uint32_t request_timeout_ms = 5000;      ///< service answer deadline, then 504
  uint32_t keep_alive_timeout_ms = 60000;  ///< idle keep-alive connections close after
};

/// Server-Sent Events (`GET /v1/events`): how much the node keeps for
/// resuming readers and how it treats their connections.
struct sse_section {
  uint32_t history = 10000;                ///< newest events kept for resuming readers
  uint32_t heartbeat_ms = 15000;           ///< a comment line this often keeps proxies open
  uint32_t retry_ms = 2000;                ///< the `retry:` sent first: a client's reconnect delay
  uint32_t max_queue_bytes = 1048576;      ///< unsent bytes per stream; a reader further behind is cut off
  uint32_t max_streams = 10000;            ///< open streams per node; more answer 503
};

struct metrics_section {
  bool enabled = true;                     ///< serve Prometheus metrics
  std::string host = "0.0.0.0";
  uint32_t port = 9000;                    ///< 0 = any free port
};

struct log_section {
  std::string level = "info";              ///< trace, debug, info, warn, error, off
  std::string format = "text";             ///< text or json (one object a line)
};

struct bus_section {
  uint32_t ack_wait_ms = 30000;            ///< redeliver when a handler does not ack in time
  uint32_t max_deliver = 5;                ///< then dead-letter
  std::vector<uint32_t> backoff_ms{100, 500, 2000, 5000}; ///< redelivery delays, last repeats
  uint32_t max_ack_pending = 256;          ///< in-flight deliveries per consumer
  uint32_t dedupe_window_s = 120;          ///< duplicate event ids dropped on publish
  uint32_t memory_max_events = 100000;     ///< in-process bus: events kept (the oldest every consumer settled leave first)
};

/// Makes a named handler fail or not ack, to prove redelivery and dedupe.
struct fault_rule {
  std::string handler;                     ///< consumer name, e.g. "audit"
  std::string mode = "fail";               ///< fail (nak, nothing written), fail_after (the handler writes, then fail: rolled back) or no_ack
  uint32_t first = 0;                      ///< the first N deliveries
  double fraction = 0.0;                   ///< and this fraction of the rest, [0, 1]
  std::string type;                        ///< only events of this type; empty = all
};

struct faults_section {
  std::vector<fault_rule> rules;           ///< empty: no faults (the default)
};

struct database_section {
  std::string url;                         ///< PostgreSQL URL (DATABASE_URL); empty = in-memory
  uint32_t pool_size = 4;                  ///< connections of the shared pool (outbox, admin jobs)
  uint32_t connect_timeout_ms = 5000;      ///< one connection attempt at most
  uint32_t statement_timeout_ms = 30000;   ///< server-side statement_timeout; 0 = none
  uint32_t idle_in_transaction_timeout_ms = 5000; ///< a session idle this long inside a transaction is ended by the server (its client hung); 0 = never
  uint32_t health_interval_ms = 1000;      ///< readiness check (SELECT 1) period
  bool migrate_on_start = true;            ///< apply missing migrations before services start
};

struct outbox_section {
  uint32_t batch_size = 500;               ///< outbox rows one relay claims at once
  uint32_t max_in_flight = 128;            ///< publishes awaiting the bus at most, per relay
  uint32_t lease_ms = 30000;               ///< a claimed row is no other relay's for this long
  uint32_t poll_interval_ms = 200;         ///< claim at least this often (besides wake-ups)
  uint32_t publish_timeout_ms = 5000;      ///< an unanswered publish counts as failed
  uint32_t retention_s = 900;              ///< published rows kept this long (the republish window)
  uint32_t cleanup_interval_s = 60;        ///< between retention cleanups
  std::vector<uint32_t> backoff_ms{100, 500, 2000, 5000}; ///< retry delays; the last repeats; +-20% jitter
};

/// The retention sweeper (nothing grows without bound): how often it runs,
/// how much one delete removes, and how long inbox records are kept. The
/// rules come from the services (expired refresh tokens, audit.retention_s)
/// and the node (inbox records, expired idempotency answers).
struct retention_section {
  uint32_t interval_s = 300;               ///< between sweeps
  uint32_t batch = 1000;                   ///< rows one delete removes at most (each its own short transaction)
  uint32_t inbox_s = 0;                    ///< inbox records kept this long; 0 = nats.max_age_s (never less: a redelivery must find its record)
  uint32_t dead_letters_s = 0;             ///< dead letters kept this long; 0 = as long as the stream keeps events
};

struct nats_section {
  std::string stream = "WEFT";             ///< JetStream stream holding every event
  std::vector<std::string> subjects{"weft.>"}; ///< the stream's subjects
  uint32_t replicas = 1;                   ///< stream replicas (3 in a NATS cluster)
  uint32_t duplicate_window_s = 120;       ///< Nats-Msg-Id dedupe window (>= 120)
  uint32_t max_age_s = 604800;             ///< events older than this leave the stream (7 days)
  uint32_t fetch_batch = 256;              ///< messages per pull request at most
  uint32_t fetch_wait_ms = 500;            ///< how long an idle pull request waits
  uint32_t max_in_flight = 1024;           ///< fetched, unsettled messages per consumer
  uint32_t partitions = 1;                 ///< > 1: subjects carry the aggregate's partition; replicas own partitions
  uint32_t publish_window = 4000;          ///< async publishes awaiting their ack
  uint32_t publish_timeout_ms = 5000;      ///< no ack in time: the publish fails (outbox retries)
  uint32_t reconnect_wait_ms = 250;        ///< between reconnect attempts (forever)
  uint32_t connect_timeout_ms = 2000;      ///< one connection attempt at most
  uint32_t start_timeout_ms = 30000;       ///< connect and create the stream at start, or exit
  std::string url;                         ///< NATS URL (NATS_URL); empty = in-process bus
};

/// Nodes of one cluster (DESIGN §8): which address this node listens on for
/// its peers, whom it dials, how fast a silent peer is declared gone, and
/// the certificates of mutual TLS between nodes. Off while `listen` is empty.
struct cluster_section {
  std::string name = "weft";               ///< the cluster's name; nodes of another name refuse each other
  std::string listen;                      ///< host:port for peers (port 0 = any); empty = not clustered
  std::string advertise;                   ///< host:port others dial; empty = listen's
  std::vector<std::string> seeds;          ///< host:port of nodes to join (static membership)
  uint32_t heartbeat_ms = 250;             ///< between heartbeats to each peer (the same on every node)
  uint32_t timeout_ms = 1500;              ///< a peer silent this long is gone (the same on every node)
  uint32_t max_in_flight = 256;            ///< requests awaiting one remote replica at most
  std::string tls_cert;                    ///< `tls.cert`: this node's certificate (PEM)
  std::string tls_key;                     ///< `tls.key`: its private key (PEM)
  std::string tls_ca;                      ///< `tls.ca`: the CA that signed every node's certificate
  bool tls_insecure = false;               ///< `tls.insecure`: allow a listener without TLS (logs a warning)

  bool enabled() const { return !listen.empty(); }
  bool tls() const { return !tls_cert.empty(); }
};

struct schema_extension;

/// The whole configuration: the node's own sections, then the sections of
/// the service modules (each module's settings struct, by section name).
struct settings {
  node_section node;
  http_section http;
  sse_section sse;
  metrics_section metrics;
  log_section log;
  bus_section bus;
  faults_section faults;
  database_section database;
  outbox_section outbox;
  retention_section retention;
  nats_section nats;
  cluster_section cluster;

  /// Service modules' sections (`auth`, `root`, ...), read and validated by
  /// the loader like the node's own (see config/section.hpp).
  std::map<std::string, std::any, std::less<>> service_sections;
  /// The modules' section tables these settings were made with.
  std::shared_ptr<const schema_extension> extension;

  /// A module's section as its own struct; throws std::out_of_range when the
  /// settings were made without it (a module not in the node's list).
  template <class T>
  const T& section(std::string_view name) const {
    auto i = service_sections.find(name);
    if (i == service_sections.end())
      throw std::out_of_range("config: no section " + std::string{name});
    return std::any_cast<const T&>(i->second);
  }

  template <class T>
  T& section(std::string_view name) {
    auto i = service_sections.find(name);
    if (i == service_sections.end())
      throw std::out_of_range("config: no section " + std::string{name});
    return std::any_cast<T&>(i->second);
  }
};

/// How long a consumer's records of handled events are kept (inbox records,
/// settled webhook deliveries): `retention.inbox_s`, else as long as the
/// stream keeps the events they record.
inline uint32_t records_retention_s(const settings& s) {
  return s.retention.inbox_s != 0 ? s.retention.inbox_s : s.nats.max_age_s;
}

} // namespace weft::config
