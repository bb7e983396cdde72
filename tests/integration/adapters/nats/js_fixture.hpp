#pragma once

#include <nats/nats.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "adapters/nats/jetstream_bus.hpp"
#include "tests/support/servers.hpp"
#include "tests/unit/adapters/memory/bus_probe.hpp"

// Fixtures for the JetStream bus against a real nats-server: the same probe
// handlers and helpers as the memory bus's tests (the two must be
// indistinguishable), plus a plain NATS.c client, as an external consumer
// or a misbehaving producer would use.
namespace weft::test {

/// Options with short timings for tests.
inline nats::jetstream_options js_options(const std::string& url) {
  nats::jetstream_options o;
  o.url = url;
  o.fetch_wait_ms = 200;
  o.publish_timeout_ms = 2000;
  o.reconnect_wait_ms = 100;
  o.start_timeout_ms = 10000;
  return o;
}

/// An actor system with a JetStream bus on `url`, and every actor a test
/// spawns; the bus stops before the system.
struct js_node {
  test_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  std::unique_ptr<nats::jetstream_bus> owner;
  event_bus_actor bus;
  std::vector<caf::actor> actors;

  explicit js_node(nats::jetstream_options opts) {
    auto b = nats::jetstream_bus::start(sys, std::move(opts));
    if (!b)
      throw std::runtime_error("jetstream bus: " + sys.render(b.error()));
    owner = std::move(*b);
    bus = owner->actor();
  }

  ~js_node() {
    owner->stop();
    for (auto& a : actors)
      self->send_exit(a, caf::exit_reason::user_shutdown);
  }

  event_handler_actor probe_handler(std::shared_ptr<probe> p) {
    auto h = spawn_probe(sys, std::move(p));
    actors.push_back(caf::actor_cast<caf::actor>(h));
    return h;
  }

  uint64_t pub(bus_message m) { return publish(self, bus, std::move(m)); }

  caf::error sub(consumer_config cfg, event_handler_actor h) {
    return subscribe(self, bus, std::move(cfg), std::move(h));
  }

  consumer_stats stats(const std::string& name) { return stats_of(self, bus, name); }

  template <class Pred>
  bool wait_stats(const std::string& name, Pred pred,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds{10000}) {
    return test::wait_stats(self, bus, name, pred, timeout);
  }
};

/// A nats-server and one node on it.
struct js_fixture {
  nats_server server;
  js_node node{js_options(server.url())};
};

/// A plain NATS.c connection.
class raw_client {
public:
  explicit raw_client(const std::string& url) {
    if (natsConnection_ConnectTo(&nc_, url.c_str()) != NATS_OK)
      throw std::runtime_error("raw_client: cannot connect to " + url);
    natsConnection_JetStream(&js_, nc_, nullptr);
  }
  ~raw_client() {
    for (auto* s : subs_)
      natsSubscription_Destroy(s);
    jsCtx_Destroy(js_);
    natsConnection_Destroy(nc_);
  }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  /// Publishes into JetStream and waits for the PubAck; the sequence, 0 on error.
  uint64_t js_publish(const std::string& subject, const std::string& data,
                      const header_list& headers = {}) {
    natsMsg* m = nullptr;
    natsMsg_Create(&m, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size()));
    for (auto& [k, v] : headers)
      natsMsgHeader_Add(m, k.c_str(), v.c_str());
    jsPubAck* pa = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    uint64_t seq = 0;
    if (js_PublishMsg(&pa, js_, m, nullptr, &jerr) == NATS_OK && pa != nullptr)
      seq = pa->Sequence;
    jsPubAck_Destroy(pa);
    natsMsg_Destroy(m);
    return seq;
  }

  /// What the server knows of a durable.
  struct consumer_view {
    bool found = false;
    uint64_t ack_floor = 0;    ///< stream sequence up to which all is acked
    int64_t ack_pending = 0;   ///< delivered, not acked
    uint64_t pending = 0;      ///< not yet delivered
  };

  consumer_view consumer_info(const std::string& name, const std::string& stream = "WEFT") {
    consumer_view out;
    jsConsumerInfo* ci = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    if (js_GetConsumerInfo(&ci, js_, stream.c_str(), name.c_str(), nullptr, &jerr) == NATS_OK) {
      out.found = true;
      out.ack_floor = ci->AckFloor.Stream;
      out.ack_pending = ci->NumAckPending;
      out.pending = ci->NumPending;
      jsConsumerInfo_Destroy(ci);
    }
    return out;
  }

  /// Creates durable `name` (filter `weft.>`, explicit ack, short AckWait)
  /// and takes delivery of its first message `rounds` times without acking,
  /// as a node that dies while handling it would. The deliveries seen.
  int deliver_without_ack(const std::string& name, int rounds) {
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = name.c_str();
    cc.AckPolicy = js_AckExplicit;
    cc.AckWait = 100 * 1000000LL;
    cc.MaxDeliver = -1;
    cc.FilterSubject = "weft.>";
    jsErrCode jerr = static_cast<jsErrCode>(0);
    if (js_AddConsumer(nullptr, js_, "WEFT", &cc, nullptr, &jerr) != NATS_OK)
      return 0;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = "WEFT";
    so.Consumer = name.c_str();
    natsSubscription* sub = nullptr;
    if (js_PullSubscribe(&sub, js_, nullptr, nullptr, nullptr, &so, &jerr) != NATS_OK)
      return 0;
    int seen = 0;
    for (int i = 0; i < rounds; ++i) {
      natsMsgList list{};
      if (natsSubscription_Fetch(&list, sub, 1, 3000, &jerr) == NATS_OK)
        seen += list.Count; // dropped unacked: redelivered after AckWait
      natsMsgList_Destroy(&list);
    }
    natsSubscription_Destroy(sub);
    return seen;
  }

  /// A core NATS subscription (sees what is published from now on).
  natsSubscription* subscribe(const std::string& subject) {
    natsSubscription* s = nullptr;
    if (natsConnection_SubscribeSync(&s, nc_, subject.c_str()) != NATS_OK)
      throw std::runtime_error("raw_client: cannot subscribe to " + subject);
    natsConnection_Flush(nc_);
    subs_.push_back(s);
    return s;
  }

  /// The next message of `s` (owned by the caller), or null after `timeout_ms`.
  static natsMsg* next(natsSubscription* s, int64_t timeout_ms) {
    natsMsg* m = nullptr;
    if (natsSubscription_NextMsg(&m, s, timeout_ms) != NATS_OK)
      return nullptr;
    return m;
  }

  /// A header of `m`, empty if absent.
  static std::string header_of(natsMsg* m, const char* key) {
    const char* v = nullptr;
    if (natsMsgHeader_Get(m, key, &v) != NATS_OK || v == nullptr)
      return {};
    return v;
  }

private:
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  std::vector<natsSubscription*> subs_;
};

} // namespace weft::test
