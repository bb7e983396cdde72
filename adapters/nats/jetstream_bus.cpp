#include "adapters/nats/jetstream_bus.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "adapters/nats/jetstream_state.hpp"
#include "events/codec.hpp"
#include "events/routes.hpp"
#include "runtime/event_feed.hpp"

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
  std::shared_ptr<event_feed> feed;
  natsSubscription* feed_sub = nullptr;
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
  if (impl_->feed_sub != nullptr) {
    natsSubscription_Unsubscribe(impl_->feed_sub);
    natsSubscription_Destroy(impl_->feed_sub);
    impl_->feed_sub = nullptr;
  }
  impl_->conn->close();
}

namespace {

std::string base36(uint64_t v) {
  const char* digits = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out;
  do {
    out.insert(out.begin(), digits[v % 36]);
    v /= 36;
  } while (v > 0);
  return out;
}

/// An event of the stream into the feed (NATS' thread).
void on_feed_msg(natsConnection*, natsSubscription*, natsMsg* m, void* closure) {
  auto* feed = static_cast<event_feed*>(closure);
  jsMsgMetaData* md = nullptr;
  uint64_t seq = 0;
  if (natsMsg_GetMetaData(&md, m) == NATS_OK) {
    seq = md->Sequence.Stream;
    jsMsgMetaData_Destroy(md);
  }
  const char* subject = natsMsg_GetSubject(m);
  std::string_view data{natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m))};
  if (seq > 0 && subject != nullptr
      && !events::is_dead_letter_subject(events::unpartitioned_subject(subject))) {
    if (auto ev = events::decode(data)) {
      feed_event e;
      e.position = seq;
      e.type = ev->type;
      e.subject = ev->subject;
      // One line for SSE: as stored when it is, else encoded again.
      e.json = data.find('\n') == std::string_view::npos && data.find('\r') == std::string_view::npos
                 ? std::string{data}
                 : events::encode(*ev);
      feed->append(std::move(e));
    }
    // Not a CloudEvent: nothing a reader could use; the consumers dead-letter it.
  }
  natsMsg_Destroy(m);
}

} // namespace

caf::expected<std::string> jetstream_bus::stream_epoch() {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  auto s = js_GetStreamInfo(&si, impl_->conn->js(), impl_->conn->opts().stream.c_str(), nullptr,
                            &jerr);
  if (s != NATS_OK)
    return unavailable("nats: stream info: " + status_text(s, jerr));
  auto created = static_cast<uint64_t>(si->Created / 1000000000LL);
  jsStreamInfo_Destroy(si);
  return base36(created);
}

caf::error jetstream_bus::feed_to(std::shared_ptr<event_feed> feed, std::size_t history) {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  auto& c = *impl_->conn;
  auto s = js_GetStreamInfo(&si, c.js(), c.opts().stream.c_str(), nullptr, &jerr);
  if (s != NATS_OK)
    return unavailable("nats: stream info: " + status_text(s, jerr));
  uint64_t first = si->State.FirstSeq, last = si->State.LastSeq;
  jsStreamInfo_Destroy(si);
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = c.opts().stream.c_str();
  so.Ordered = true;
  uint64_t start = last >= history ? last - history + 1 : 1;
  start = std::max(start, first);
  if (last == 0) {
    so.Config.DeliverPolicy = js_DeliverNew;
  } else {
    so.Config.DeliverPolicy = js_DeliverByStartSequence;
    so.Config.OptStartSeq = std::max<uint64_t>(start, 1);
  }
  impl_->feed = std::move(feed);
  // One filter per consumer on nats-server 2.9: the stream's first subject
  // (`weft.>` unless configured otherwise).
  s = js_Subscribe(&impl_->feed_sub, c.js(), c.opts().subjects.front().c_str(), on_feed_msg, impl_->feed.get(), nullptr, &so,
                   &jerr);
  if (s != NATS_OK)
    return unavailable("nats: cannot tail the stream: " + status_text(s, jerr));
  return {};
}

caf::expected<std::unique_ptr<jetstream_bus>>
spawn_jetstream_bus(caf::actor_system& sys, jetstream_options opts) {
  return jetstream_bus::start(sys, std::move(opts));
}

} // namespace weft::nats
