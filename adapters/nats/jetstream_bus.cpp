#include "adapters/nats/jetstream_bus.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "adapters/nats/jetstream_state.hpp"
#include "events/routes.hpp"

// Start: connect (retrying), create or update the stream, spawn the actor.
// Stop, in reverse: fetch threads (they feed the actor), the actor (it acks
// through the subscriptions), the subscriptions, the connection. All of it
// on the caller's thread: never a CAF or NATS thread.
namespace weft::nats {

jetstream_options jetstream_options_from(const config::nats_section& nats,
                                         const std::string& node_name, weft::metrics* metrics) {
  jetstream_options o;
  o.url = nats.url;
  o.connection_name = node_name;
  o.stream = nats.stream;
  o.subjects = nats.subjects;
  o.replicas = nats.replicas;
  o.duplicate_window_s = nats.duplicate_window_s;
  o.max_age_s = nats.max_age_s;
  o.fetch_batch = nats.fetch_batch;
  o.fetch_wait_ms = nats.fetch_wait_ms;
  o.max_in_flight = nats.max_in_flight;
  o.partitions = nats.partitions;
  o.publish_window = nats.publish_window;
  o.publish_timeout_ms = nats.publish_timeout_ms;
  o.reconnect_wait_ms = nats.reconnect_wait_ms;
  o.connect_timeout_ms = nats.connect_timeout_ms;
  o.start_timeout_ms = nats.start_timeout_ms;
  o.metrics = metrics;
  return o;
}

struct jetstream_bus::impl {
  caf::actor_system* sys = nullptr;
  std::shared_ptr<connection> conn;
  std::shared_ptr<fetcher_registry> registry = std::make_shared<fetcher_registry>();
  event_bus_actor actor;
  bool stopped = false;
};

caf::expected<std::unique_ptr<jetstream_bus>>
jetstream_bus::start(caf::actor_system& sys, jetstream_options opts) {
  if (opts.duplicate_window_s < 120)
    return caf::make_error(caf::sec::invalid_argument,
                           "nats: duplicate_window_s must be at least 120");
  if (opts.fetch_batch == 0 || opts.max_in_flight == 0 || opts.publish_window == 0)
    return caf::make_error(caf::sec::invalid_argument,
                           "nats: fetch_batch, max_in_flight and publish_window must be >= 1");
  // Dead letters go to weft.dlq.<consumer>: the stream must hold them.
  auto dlq = events::dead_letter_subject("any");
  if (opts.partitions > 1)
    dlq = events::partitioned_subject(dlq, 0);
  bool holds_dlq = std::any_of(opts.subjects.begin(), opts.subjects.end(), [&](const auto& f) {
    return events::subject_matches(f, dlq);
  });
  if (!holds_dlq)
    return caf::make_error(caf::sec::invalid_argument,
                           "nats: the stream's subjects must cover weft.dlq.> (dead letters)");
  auto p = std::make_unique<impl>();
  p->sys = &sys;
  p->conn = std::make_shared<connection>(std::move(opts));
  if (auto err = p->conn->open())
    return err;
  // The server may still be starting: retry the connection and the stream
  // until the deadline, then give up (the node exits and is restarted).
  const auto& o = p->conn->opts();
  auto deadline = clock::now() + std::chrono::milliseconds{o.start_timeout_ms};
  caf::error last = unavailable("nats: not connected");
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0)
      break;
    if (!p->conn->wait_connected(static_cast<uint32_t>(left.count())))
      break; // the deadline passed
    last = p->conn->ensure_stream();
    if (!last)
      break;
    spdlog::warn("nats: {}; retrying", sys.render(last));
    std::this_thread::sleep_for(std::chrono::milliseconds{250}); // caller's thread, at start
  }
  if (last) {
    p->conn->close();
    return last;
  }
  p->actor = sys.spawn(jetstream_actor, p->conn, p->registry);
  p->conn->set_sink(caf::actor_cast<caf::actor>(p->actor));
  return std::unique_ptr<jetstream_bus>{new jetstream_bus{std::move(p)}};
}

jetstream_bus::jetstream_bus(std::unique_ptr<impl> p) : impl_(std::move(p)) {
}

jetstream_bus::~jetstream_bus() {
  stop();
}

event_bus_actor jetstream_bus::actor() const {
  return impl_->actor;
}

bool jetstream_bus::connected() const {
  return impl_->conn->connected();
}

std::shared_ptr<const std::atomic<bool>> jetstream_bus::connected_flag() const {
  return impl_->conn->connected_flag();
}

void jetstream_bus::stop() {
  if (impl_ == nullptr || impl_->stopped)
    return;
  impl_->stopped = true;
  std::vector<std::shared_ptr<fetcher>> fetchers;
  {
    std::lock_guard<std::mutex> lk{impl_->registry->mtx};
    impl_->registry->closed = true;
    fetchers = impl_->registry->all;
  }
  for (auto& f : fetchers)
    f->request_stop();
  for (auto& f : fetchers)
    f->join();
  if (impl_->actor) {
    caf::scoped_actor self{*impl_->sys};
    self->send_exit(impl_->actor, caf::exit_reason::user_shutdown);
    self->wait_for(impl_->actor);
  }
  for (auto& f : fetchers)
    f->close_subscription();
  impl_->conn->close();
}

caf::expected<std::unique_ptr<jetstream_bus>>
spawn_jetstream_bus(caf::actor_system& sys, jetstream_options opts) {
  return jetstream_bus::start(sys, std::move(opts));
}

} // namespace weft::nats
