#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace prometheus {
class Registry;
}

namespace weft {

/// Bus events counted per type and consumer (publish has no consumer).
enum class bus_counter { published, delivered, acked, redelivered, dead_lettered };

/// The node's metrics. Thread-safe; each call finds or creates the labelled
/// series, so callers keep no prometheus types. adapters/metrics serves them.
class metrics {
public:
  metrics();
  ~metrics();
  metrics(const metrics&) = delete;
  metrics& operator=(const metrics&) = delete;

  /// `weft_http_requests_total{route,method,status}` and
  /// `weft_http_request_duration_seconds{route,method}`.
  void http_request(std::string_view route, std::string_view method, int status,
                    double seconds);

  /// `weft_events_<published|delivered|acked|redelivered|dead_lettered>_total{type,consumer}`.
  void bus_event(bus_counter which, std::string_view type, std::string_view consumer);

  /// `weft_inbox_duplicates_total{consumer}`.
  void inbox_duplicate(std::string_view consumer);

  /// One transaction of inbox `consumer`: `weft_inbox_processed_total` +=
  /// `processed`, `weft_inbox_failed_total` += `failed`,
  /// `weft_inbox_batch_size` observes `size`, and
  /// `weft_inbox_handler_duration_seconds` each handler call's duration.
  void inbox_batch(std::string_view consumer, size_t size, uint64_t processed,
                   uint64_t failed, std::span<const double> handler_seconds);

  /// One settlement of outbox relay `relay`: `weft_outbox_published_total` +=
  /// `published`, `weft_outbox_failed_total` += `failed`, and
  /// `weft_outbox_publish_latency_seconds` observes each published row's
  /// time from created_at to the bus's acknowledgement.
  void outbox_batch(std::string_view relay, uint64_t published, uint64_t failed,
                    std::span<const double> latency_seconds);

  /// A gauge set by whoever owns it, e.g. `weft_service_ready{service}`.
  void gauge(std::string_view name, std::string_view help, std::string_view label,
             std::string_view label_value, double value);

  /// A counter incremented by whoever owns it, e.g. `weft_nats_reconnects_total`.
  void counter(std::string_view name, std::string_view help, std::string_view label,
               std::string_view label_value, double increment = 1.0);

  /// A latency histogram observed by whoever owns it, buckets 1 ms to 5 min,
  /// e.g. `weft_webhook_attempt_duration_seconds`.
  void latency(std::string_view name, std::string_view help, std::string_view label,
               std::string_view label_value, double seconds);

  std::shared_ptr<prometheus::Registry> registry() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace weft
