#include "config/section.hpp"

// Every key of the configuration, declared once: name, member, validation.
// Keep config/examples/weft.json and config/examples/README.md in step (a
// unit test checks that both list exactly these keys).

namespace weft::config::detail {

namespace {

// A JetStream stream name: no dots, wildcards, slashes or whitespace.
check_fn<std::string> stream_name() {
  return [](const std::string& v, const std::string& path, sink& s) {
    if (v.empty() || v.find_first_of(".*> /\\\t") != std::string::npos)
      s.add(path, "must be a non-empty name without '.', '*', '>', '/', '\\' or spaces");
  };
}

// NATS subjects for the stream: at least one, no empty tokens or spaces.
check_fn<std::vector<std::string>> subject_list() {
  return [](const std::vector<std::string>& v, const std::string& path, sink& s) {
    if (v.empty())
      s.add(path, "must not be empty");
    for (size_t i = 0; i < v.size(); ++i) {
      const auto& x = v[i];
      bool bad = x.empty() || x.front() == '.' || x.back() == '.'
                 || x.find("..") != std::string::npos
                 || x.find_first_of(" \t") != std::string::npos;
      if (bad)
        s.add(path + "[" + std::to_string(i) + "]", "must be a NATS subject, got \"" + x + "\"");
    }
  };
}

// A cluster name goes into the handshake identifier `weft/<name>/<wire>`.
check_fn<std::string> cluster_name() {
  return [](const std::string& v, const std::string& path, sink& s) {
    if (v.empty() || v.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789-_")
                       != std::string::npos)
      s.add(path, "must be a non-empty name of letters, digits, '-' and '_', got \"" + v + "\"");
  };
}

// A row must outlive a publish's timeout under its lease: the relay starts
// no publish that its lease could not cover.
void check_outbox(const settings& x, sink& s) {
  const auto& o = x.outbox;
  if (static_cast<uint64_t>(o.lease_ms) < 2 * static_cast<uint64_t>(o.publish_timeout_ms))
    s.add("outbox.lease_ms", "must be at least 2 x outbox.publish_timeout_ms ("
                               + std::to_string(2 * static_cast<uint64_t>(o.publish_timeout_ms))
                               + "), got " + std::to_string(o.lease_ms));
}

// An inbox record must outlive every delivery of its event: JetStream keeps
// (and may redeliver or replay) an event for nats.max_age_s.
void check_retention(const settings& x, sink& s) {
  const auto& r = x.retention;
  if (r.inbox_s != 0 && r.inbox_s < x.nats.max_age_s)
    s.add("retention.inbox_s", "must be 0 or at least nats.max_age_s ("
                                 + std::to_string(x.nats.max_age_s) + "): an event redelivered "
                                 "after its inbox record is gone would be handled twice, got "
                                 + std::to_string(r.inbox_s));
}

void check_metrics(const settings& x, sink& s) {
  if (x.metrics.enabled && x.metrics.port != 0 && x.metrics.port == x.http.port)
    s.add("metrics.port", "must differ from http.port (" + std::to_string(x.http.port) + ")");
}

// `host:port`, the port a number in [lo, 65535].
bool host_port(const std::string& v, uint32_t lo) {
  auto colon = v.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == v.size())
    return false;
  auto port = v.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    return false;
  auto n = std::stoul(port);
  return n >= lo && n <= 65535;
}

check_fn<std::string> listen_address() {
  return [](const std::string& v, const std::string& path, sink& s) {
    if (!v.empty() && !host_port(v, 0))
      s.add(path, "must be host:port (port 0 = any), got \"" + v + "\"");
  };
}

check_fn<std::string> dial_address() {
  return [](const std::string& v, const std::string& path, sink& s) {
    if (!v.empty() && !host_port(v, 1))
      s.add(path, "must be host:port with a port in [1, 65535], got \"" + v + "\"");
  };
}

check_fn<std::vector<std::string>> dial_addresses() {
  return [](const std::vector<std::string>& v, const std::string& path, sink& s) {
    for (size_t i = 0; i < v.size(); ++i)
      if (!host_port(v[i], 1))
        s.add(path + "[" + std::to_string(i) + "]",
              "must be host:port with a port in [1, 65535], got \"" + v[i] + "\"");
  };
}

// A cluster listener is either mutual TLS (all three files) or explicitly
// insecure; a peer is gone only after several heartbeats were missed.
void check_cluster(const settings& x, sink& s) {
  const auto& c = x.cluster;
  bool any_tls = !c.tls_cert.empty() || !c.tls_key.empty() || !c.tls_ca.empty();
  if (any_tls) {
    if (c.tls_cert.empty())
      s.add("cluster.tls.cert", "must be set with cluster.tls.key and cluster.tls.ca");
    if (c.tls_key.empty())
      s.add("cluster.tls.key", "must be set with cluster.tls.cert and cluster.tls.ca");
    if (c.tls_ca.empty())
      s.add("cluster.tls.ca", "must be set with cluster.tls.cert and cluster.tls.key");
  } else if (c.enabled() && !c.tls_insecure) {
    s.add("cluster.tls.cert", "a cluster listener needs mutual TLS (cluster.tls.cert, .key, .ca) "
                              "or cluster.tls.insecure: true");
  }
  if (c.heartbeat_ms != 0 && c.timeout_ms < 2 * c.heartbeat_ms)
    s.add("cluster.timeout_ms", "must be at least 2 x cluster.heartbeat_ms ("
                                  + std::to_string(2 * c.heartbeat_ms) + "), got "
                                  + std::to_string(c.timeout_ms));
  if (!c.enabled() && !c.seeds.empty())
    s.add("cluster.listen", "must be set when cluster.seeds is");
}

std::vector<section> make_schema() {
  using S = settings;
  std::vector<section> out;
  out.push_back({"node",
                 {
                   key("name", &S::node, &node_section::name, not_empty()),
                   // Checked against the module list by the loader.
                   key("services", &S::node, &node_section::services),
                   key("scheduler_threads", &S::node, &node_section::scheduler_threads,
                       range(0, 256)),
                   key("shutdown_timeout_ms", &S::node, &node_section::shutdown_timeout_ms,
                       at_least(1)),
                 },
                 {}, {}});
  out.push_back({"http",
                 {
                   key("host", &S::http, &http_section::host, not_empty()),
                   key("port", &S::http, &http_section::port, range(0, 65535)),
                   key("threads", &S::http, &http_section::threads, range(1, 64)),
                   key("body_limit", &S::http, &http_section::body_limit, at_least(1024)),
                   key("header_limit", &S::http, &http_section::header_limit, at_least(1024)),
                   key("json_max_depth", &S::http, &http_section::json_max_depth,
                       range(1, 1000)),
                   key("request_timeout_ms", &S::http, &http_section::request_timeout_ms,
                       at_least(1)),
                   key("keep_alive_timeout_ms", &S::http, &http_section::keep_alive_timeout_ms),
                 },
                 {}, {}});
  out.push_back({"sse",
                 {
                   key("history", &S::sse, &sse_section::history, range(1, 10000000)),
                   key("heartbeat_ms", &S::sse, &sse_section::heartbeat_ms, range(10, 3600000)),
                   key("retry_ms", &S::sse, &sse_section::retry_ms, range(0, 3600000)),
                   key("max_queue_bytes", &S::sse, &sse_section::max_queue_bytes,
                       range(4096, 1073741824)),
                   key("max_streams", &S::sse, &sse_section::max_streams, range(0, 1000000)),
                 },
                 {}, {}});
  out.push_back({"metrics",
                 {
                   key("enabled", &S::metrics, &metrics_section::enabled),
                   key("host", &S::metrics, &metrics_section::host, not_empty()),
                   key("port", &S::metrics, &metrics_section::port, range(0, 65535)),
                 },
                 check_metrics, {}});
  out.push_back({"log",
                 {
                   key("level", &S::log, &log_section::level,
                       one_of({"trace", "debug", "info", "warn", "error", "off"})),
                   key("format", &S::log, &log_section::format, one_of({"text", "json"})),
                 },
                 {}, {}});
  out.push_back({"bus",
                 {
                   key("ack_wait_ms", &S::bus, &bus_section::ack_wait_ms, at_least(1)),
                   key("max_deliver", &S::bus, &bus_section::max_deliver, at_least(1)),
                   key("backoff_ms", &S::bus, &bus_section::backoff_ms, non_empty_list()),
                   key("max_ack_pending", &S::bus, &bus_section::max_ack_pending, at_least(1)),
                   key("dedupe_window_s", &S::bus, &bus_section::dedupe_window_s, at_least(1)),
                   key("memory_max_events", &S::bus, &bus_section::memory_max_events,
                       range(1000, 100000000)),
                 },
                 {}, {}});
  out.push_back({"faults", {key("rules", &S::faults, &faults_section::rules, each_rule())}, {}, {}});
  // Secret: a URL may carry a password.
  out.push_back({"database",
                 {
                   key("url", &S::database, &database_section::url, {}, true),
                   key("pool_size", &S::database, &database_section::pool_size, range(1, 256)),
                   key("connect_timeout_ms", &S::database, &database_section::connect_timeout_ms,
                       range(100, 600000)),
                   key("statement_timeout_ms", &S::database,
                       &database_section::statement_timeout_ms),
                   key("idle_in_transaction_timeout_ms", &S::database,
                       &database_section::idle_in_transaction_timeout_ms),
                   key("health_interval_ms", &S::database, &database_section::health_interval_ms,
                       range(50, 600000)),
                   key("migrate_on_start", &S::database, &database_section::migrate_on_start),
                 },
                 {}, {}});
  out.push_back({"outbox",
                 {
                   key("batch_size", &S::outbox, &outbox_section::batch_size, range(1, 1000)),
                   key("max_in_flight", &S::outbox, &outbox_section::max_in_flight,
                       range(1, 1024)),
                   key("lease_ms", &S::outbox, &outbox_section::lease_ms, at_least(1000)),
                   key("poll_interval_ms", &S::outbox, &outbox_section::poll_interval_ms,
                       range(10, 60000)),
                   key("publish_timeout_ms", &S::outbox, &outbox_section::publish_timeout_ms,
                       range(1, 600000)),
                   key("retention_s", &S::outbox, &outbox_section::retention_s,
                       range(0, 604800)),
                   key("cleanup_interval_s", &S::outbox, &outbox_section::cleanup_interval_s,
                       range(1, 86400)),
                   key("backoff_ms", &S::outbox, &outbox_section::backoff_ms, non_empty_list()),
                 },
                 check_outbox, {}});
  out.push_back({"retention",
                 {
                   key("interval_s", &S::retention, &retention_section::interval_s,
                       range(1, 86400)),
                   key("batch", &S::retention, &retention_section::batch, range(1, 100000)),
                   key("inbox_s", &S::retention, &retention_section::inbox_s),
                   key("dead_letters_s", &S::retention, &retention_section::dead_letters_s),
                 },
                 check_retention, {}});
  out.push_back({"nats",
                 {
                   key("stream", &S::nats, &nats_section::stream, stream_name()),
                   key("subjects", &S::nats, &nats_section::subjects, subject_list()),
                   key("replicas", &S::nats, &nats_section::replicas, range(1, 5)),
                   key("duplicate_window_s", &S::nats, &nats_section::duplicate_window_s,
                       at_least(120)),
                   key("max_age_s", &S::nats, &nats_section::max_age_s, at_least(60)),
                   key("fetch_batch", &S::nats, &nats_section::fetch_batch, range(1, 4096)),
                   key("fetch_wait_ms", &S::nats, &nats_section::fetch_wait_ms,
                       range(10, 60000)),
                   key("max_in_flight", &S::nats, &nats_section::max_in_flight,
                       range(1, 65536)),
                   key("partitions", &S::nats, &nats_section::partitions, range(1, 256)),
                   key("publish_window", &S::nats, &nats_section::publish_window,
                       range(1, 65536)),
                   key("publish_timeout_ms", &S::nats, &nats_section::publish_timeout_ms,
                       range(100, 600000)),
                   key("reconnect_wait_ms", &S::nats, &nats_section::reconnect_wait_ms,
                       range(10, 600000)),
                   key("connect_timeout_ms", &S::nats, &nats_section::connect_timeout_ms,
                       range(100, 600000)),
                   key("start_timeout_ms", &S::nats, &nats_section::start_timeout_ms,
                       range(100, 3600000)),
                   key("url", &S::nats, &nats_section::url, {}, true),
                 },
                 {}, {}});
  // Dotted keys are nested objects in the file: "tls": {"cert": ...}.
  out.push_back({"cluster",
                 {
                   key("name", &S::cluster, &cluster_section::name, cluster_name()),
                   key("listen", &S::cluster, &cluster_section::listen, listen_address()),
                   key("advertise", &S::cluster, &cluster_section::advertise, dial_address()),
                   key("seeds", &S::cluster, &cluster_section::seeds, dial_addresses()),
                   key("heartbeat_ms", &S::cluster, &cluster_section::heartbeat_ms,
                       range(10, 60000)),
                   key("timeout_ms", &S::cluster, &cluster_section::timeout_ms,
                       range(20, 600000)),
                   key("max_in_flight", &S::cluster, &cluster_section::max_in_flight,
                       range(1, 65536)),
                   key("tls.cert", &S::cluster, &cluster_section::tls_cert),
                   key("tls.key", &S::cluster, &cluster_section::tls_key),
                   key("tls.ca", &S::cluster, &cluster_section::tls_ca),
                   key("tls.insecure", &S::cluster, &cluster_section::tls_insecure),
                 },
                 check_cluster, {}});
  return out;
}

} // namespace

const std::vector<section>& schema() {
  static const std::vector<section> sections = make_schema();
  return sections;
}

std::vector<const section*> all_sections(const schema_extension* ext) {
  std::vector<const section*> out;
  for (const auto& sec : schema())
    out.push_back(&sec);
  if (ext != nullptr)
    for (const auto& sec : ext->sections)
      out.push_back(&sec);
  return out;
}

} // namespace weft::config::detail
