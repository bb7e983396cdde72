#include "runtime/metrics.hpp"

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <unordered_map>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace weft {

namespace {

std::atomic<uint64_t> next_instance{1};

// Latency buckets for an HTTP API: 0.5 ms up to 5 s.
prometheus::Histogram::BucketBoundaries http_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,  0.5,    1.0,   2.5,   5.0};
}

// Deliveries per inbox transaction: 1 up to a large max_batch.
prometheus::Histogram::BucketBoundaries inbox_batch_buckets() {
  return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
}

// One handler call inside a transaction: 20 us up to 1 s.
prometheus::Histogram::BucketBoundaries inbox_handler_buckets() {
  return {0.00002, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
          0.005,   0.01,    0.025,  0.05,    0.1,    0.25,   1.0};
}

// Outbox row from created_at to the bus's ack: 1 ms up to 5 min (a backlog
// after an outage shows in the top buckets).
prometheus::Histogram::BucketBoundaries outbox_latency_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
          0.5,   1.0,    2.5,   5.0,  10.0,  30.0, 60.0, 300.0};
}

struct http_series {
  prometheus::Counter* requests;
  prometheus::Histogram* duration;
};

// Family::Add locks the family and hashes the label map; the HTTP path calls
// this for every request, so each thread keeps the series it has seen. The
// instance id (never reused) tells caches of different `metrics` apart.
struct http_cache {
  uint64_t instance = 0;
  std::string key;
  std::unordered_map<std::string, http_series> series;
};

thread_local http_cache tl_http_cache;

} // namespace

struct metrics::impl {
  uint64_t instance = next_instance.fetch_add(1);
  std::shared_ptr<prometheus::Registry> registry
    = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& http_requests
    = prometheus::BuildCounter()
        .Name("weft_http_requests_total")
        .Help("HTTP requests by route template, method and status")
        .Register(*registry);
  prometheus::Family<prometheus::Histogram>& http_duration
    = prometheus::BuildHistogram()
        .Name("weft_http_request_duration_seconds")
        .Help("HTTP request latency from parsed request to written response")
        .Register(*registry);
  std::array<prometheus::Family<prometheus::Counter>*, 5> bus{};
  prometheus::Family<prometheus::Counter>& inbox_duplicates
    = prometheus::BuildCounter()
        .Name("weft_inbox_duplicates_total")
        .Help("Redelivered events the inbox acked without running the handler")
        .Register(*registry);
  prometheus::Family<prometheus::Counter>& inbox_processed
    = prometheus::BuildCounter()
        .Name("weft_inbox_processed_total")
        .Help("Events whose handler ran and whose transaction committed")
        .Register(*registry);
  prometheus::Family<prometheus::Counter>& inbox_failed
    = prometheus::BuildCounter()
        .Name("weft_inbox_failed_total")
        .Help("Deliveries the inbox answered with an error (handler or database)")
        .Register(*registry);
  prometheus::Family<prometheus::Histogram>& inbox_batch_size
    = prometheus::BuildHistogram()
        .Name("weft_inbox_batch_size")
        .Help("Deliveries handled together in one inbox transaction")
        .Register(*registry);
  prometheus::Family<prometheus::Histogram>& inbox_handler_duration
    = prometheus::BuildHistogram()
        .Name("weft_inbox_handler_duration_seconds")
        .Help("Duration of one inbox handler call inside its transaction")
        .Register(*registry);
  prometheus::Family<prometheus::Counter>& outbox_published
    = prometheus::BuildCounter()
        .Name("weft_outbox_published_total")
        .Help("Outbox rows stored on the bus and marked published")
        .Register(*registry);
  prometheus::Family<prometheus::Counter>& outbox_failed
    = prometheus::BuildCounter()
        .Name("weft_outbox_failed_total")
        .Help("Outbox publishes that failed or timed out (retried with backoff)")
        .Register(*registry);
  prometheus::Family<prometheus::Histogram>& outbox_latency
    = prometheus::BuildHistogram()
        .Name("weft_outbox_publish_latency_seconds")
        .Help("Outbox row from created_at to the bus's acknowledgement")
        .Register(*registry);
  std::mutex gauges_mtx;
  std::map<std::string, prometheus::Family<prometheus::Gauge>*, std::less<>> gauges;
  std::mutex counters_mtx;
  std::map<std::string, prometheus::Family<prometheus::Counter>*, std::less<>> counters;
  std::mutex latencies_mtx;
  std::map<std::string, prometheus::Family<prometheus::Histogram>*, std::less<>> latencies;

  impl() {
    const char* names[] = {"published", "delivered", "acked", "redelivered",
                           "dead_lettered"};
    for (size_t i = 0; i < bus.size(); ++i)
      bus[i] = &prometheus::BuildCounter()
                  .Name(std::string{"weft_events_"} + names[i] + "_total")
                  .Help(std::string{"Bus events "} + names[i]
                        + ", by event type and consumer")
                  .Register(*registry);
  }
};

metrics::metrics() : impl_(std::make_unique<impl>()) {
  // nop
}

metrics::~metrics() = default;

void metrics::http_request(std::string_view route, std::string_view method,
                           int status, double seconds) {
  auto& cache = tl_http_cache;
  if (cache.instance != impl_->instance) {
    cache.series.clear();
    cache.instance = impl_->instance;
  }
  auto& key = cache.key; // reused buffer: no allocation on a cache hit
  key.assign(route);
  key += '\0';
  key += method;
  key += '\0';
  key += std::to_string(status);
  auto i = cache.series.find(key);
  if (i == cache.series.end()) {
    std::string r{route}, m{method};
    auto& c = impl_->http_requests.Add(
      {{"route", r}, {"method", m}, {"status", std::to_string(status)}});
    auto& h = impl_->http_duration.Add({{"route", r}, {"method", m}}, http_buckets());
    i = cache.series.emplace(key, http_series{&c, &h}).first;
  }
  i->second.requests->Increment();
  i->second.duration->Observe(seconds);
}

void metrics::bus_event(bus_counter which, std::string_view type,
                        std::string_view consumer) {
  auto idx = static_cast<size_t>(which);
  if (idx >= impl_->bus.size())
    return;
  impl_->bus[idx]
    ->Add({{"type", std::string{type}}, {"consumer", std::string{consumer}}})
    .Increment();
}

void metrics::inbox_duplicate(std::string_view consumer) {
  impl_->inbox_duplicates.Add({{"consumer", std::string{consumer}}}).Increment();
}

void metrics::inbox_batch(std::string_view consumer, size_t size, uint64_t processed,
                          uint64_t failed, std::span<const double> handler_seconds) {
  // One label lookup per family and batch, not per event.
  const prometheus::Labels labels{{"consumer", std::string{consumer}}};
  if (processed > 0)
    impl_->inbox_processed.Add(labels).Increment(static_cast<double>(processed));
  if (failed > 0)
    impl_->inbox_failed.Add(labels).Increment(static_cast<double>(failed));
  impl_->inbox_batch_size.Add(labels, inbox_batch_buckets())
    .Observe(static_cast<double>(size));
  if (!handler_seconds.empty()) {
    auto& h = impl_->inbox_handler_duration.Add(labels, inbox_handler_buckets());
    for (double s : handler_seconds)
      h.Observe(s);
  }
}

void metrics::outbox_batch(std::string_view relay, uint64_t published, uint64_t failed,
                           std::span<const double> latency_seconds) {
  const prometheus::Labels labels{{"relay", std::string{relay}}};
  if (published > 0)
    impl_->outbox_published.Add(labels).Increment(static_cast<double>(published));
  if (failed > 0)
    impl_->outbox_failed.Add(labels).Increment(static_cast<double>(failed));
  if (!latency_seconds.empty()) {
    auto& h = impl_->outbox_latency.Add(labels, outbox_latency_buckets());
    for (double s : latency_seconds)
      h.Observe(s);
  }
}

namespace {

/// The family `name` of `families` (guarded by `mtx`), registered with
/// `build()` the first time it is asked for.
template <class T, class Build>
prometheus::Family<T>& family_named(std::mutex& mtx,
                                    std::map<std::string, prometheus::Family<T>*, std::less<>>& families,
                                    prometheus::Registry& registry, std::string_view name,
                                    std::string_view help, Build build) {
  std::lock_guard<std::mutex> guard{mtx};
  auto i = families.find(name);
  if (i != families.end())
    return *i->second;
  auto* f = &build().Name(std::string{name}).Help(std::string{help}).Register(registry);
  families.emplace(std::string{name}, f);
  return *f;
}

/// The labels of a series owned by one caller: none, or one.
std::map<std::string, std::string> labels_of(std::string_view label, std::string_view value) {
  if (label.empty())
    return {};
  return {{std::string{label}, std::string{value}}};
}

} // namespace

void metrics::gauge(std::string_view name, std::string_view help,
                    std::string_view label, std::string_view label_value,
                    double value) {
  family_named(impl_->gauges_mtx, impl_->gauges, *impl_->registry, name, help,
               [] { return prometheus::BuildGauge(); })
    .Add(labels_of(label, label_value))
    .Set(value);
}

void metrics::counter(std::string_view name, std::string_view help,
                      std::string_view label, std::string_view label_value,
                      double increment) {
  family_named(impl_->counters_mtx, impl_->counters, *impl_->registry, name, help,
               [] { return prometheus::BuildCounter(); })
    .Add(labels_of(label, label_value))
    .Increment(increment);
}

void metrics::latency(std::string_view name, std::string_view help, std::string_view label,
                      std::string_view label_value, double seconds) {
  family_named(impl_->latencies_mtx, impl_->latencies, *impl_->registry, name, help,
               [] { return prometheus::BuildHistogram(); })
    .Add(labels_of(label, label_value), outbox_latency_buckets())
    .Observe(seconds);
}

std::shared_ptr<prometheus::Registry> metrics::registry() const {
  return impl_->registry;
}

} // namespace weft
