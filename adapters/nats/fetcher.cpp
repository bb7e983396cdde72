#include "adapters/nats/fetcher.hpp"

#include "runtime/error_text.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string_view>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "adapters/nats/nats_types.hpp"
#include "events/codec.hpp"
#include "events/errc.hpp"

namespace weft::nats {

namespace {

using namespace std::chrono_literals;
constexpr int64_t ns_per_ms = 1000000LL;

/// jsOptions for the fetch thread's API requests: a short wait, so an outage
/// does not hold the thread (and stop()) for the default 5 s.
jsOptions short_wait() {
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 1000;
  return jo;
}

header_list read_headers(natsMsg* m) {
  header_list out;
  const char** keys = nullptr;
  int nkeys = 0;
  if (natsMsgHeader_Keys(m, &keys, &nkeys) != NATS_OK)
    return out;
  for (int i = 0; i < nkeys; ++i) {
    const char** values = nullptr;
    int nvalues = 0;
    if (natsMsgHeader_Values(m, keys[i], &values, &nvalues) != NATS_OK)
      continue;
    for (int j = 0; j < nvalues; ++j)
      out.emplace_back(keys[i], values[j]);
    free(static_cast<void*>(values));
  }
  free(static_cast<void*>(keys));
  return out;
}

} // namespace

fetcher::fetcher(std::shared_ptr<connection> conn, consumer_config cfg, caf::actor sink,
                 uint32_t limit)
  : conn_(std::move(conn)), cfg_(std::move(cfg)), sink_(std::move(sink)),
    limit_(std::max<uint32_t>(limit, 1)) {
}

fetcher::~fetcher() {
  request_stop();
  join();
  close_subscription();
}

void fetcher::start() {
  thread_ = std::thread{[this] { run(); }};
}

void fetcher::release(uint32_t n) {
  {
    std::lock_guard<std::mutex> lk{mtx_};
    outstanding_ -= std::min(n, outstanding_);
  }
  cv_.notify_all();
}

void fetcher::pause(bool on) {
  {
    std::lock_guard<std::mutex> lk{mtx_};
    paused_ = on;
  }
  cv_.notify_all();
}

void fetcher::request_stop() {
  {
    std::lock_guard<std::mutex> lk{mtx_};
    stop_ = true;
  }
  cv_.notify_all();
}

void fetcher::join() {
  if (thread_.joinable())
    thread_.join();
}

void fetcher::close_subscription() {
  if (sub_ != nullptr) {
    natsSubscription_Destroy(sub_);
    sub_ = nullptr;
  }
}

caf::error fetcher::ensure_consumer() {
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = cfg_.name.c_str();
  cc.DeliverPolicy = js_DeliverAll;
  cc.AckPolicy = js_AckExplicit;
  cc.AckWait = static_cast<int64_t>(cfg_.ack_wait_ms) * ns_per_ms;
  // Unlimited on the server: the bus counts attempts itself and dead-letters
  // after max_deliver; the server would drop the message silently instead.
  cc.MaxDeliver = -1;
  cc.MaxAckPending = cfg_.max_ack_pending;
  cc.FilterSubject = cfg_.filters.empty() ? nullptr : cfg_.filters.front().c_str();
  auto jo = short_wait();
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  auto stream = conn_->opts().stream.c_str();
  natsStatus s = js_AddConsumer(&ci, conn_->js(), stream, &cc, &jo, &jerr);
  if (s != NATS_OK && (jerr == JSConsumerNameExistErr || jerr == JSConsumerExistingActiveErr)) {
    // Another replica created it with other settings: take ours (the last
    // node started wins), or bind to it as it is if the server refuses.
    jerr = static_cast<jsErrCode>(0);
    s = js_UpdateConsumer(&ci, conn_->js(), stream, &cc, &jo, &jerr);
    if (s != NATS_OK) {
      spdlog::warn("nats: consumer {}: cannot update the existing durable ({}); using it as is",
                   cfg_.name, status_text(s, jerr));
      s = NATS_OK;
    }
  }
  if (ci != nullptr)
    jsConsumerInfo_Destroy(ci);
  if (s != NATS_OK) {
    refused_ = jerr != 0;
    return unavailable("nats: consumer " + cfg_.name + ": " + status_text(s, jerr));
  }
  return caf::none;
}

caf::error fetcher::bind() {
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = conn_->opts().stream.c_str();
  so.Consumer = cfg_.name.c_str();
  auto jo = short_wait();
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_PullSubscribe(&sub_, conn_->js(), nullptr, nullptr, &jo, &so, &jerr);
  if (s != NATS_OK) {
    refused_ = jerr != 0;
    return unavailable("nats: pull subscribe " + cfg_.name + ": " + status_text(s, jerr));
  }
  return caf::none;
}

uint32_t fetcher::wait_credit(bool& idle) {
  std::unique_lock<std::mutex> lk{mtx_};
  auto ready = [&] { return stop_ || (!paused_ && outstanding_ < limit_); };
  idle = !cv_.wait_for(lk, 1s, ready);
  if (stop_ || idle)
    return 0;
  return std::min(limit_ - outstanding_, conn_->opts().fetch_batch);
}

bool fetcher::sleep_unless_stopped(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lk{mtx_};
  return !cv_.wait_for(lk, d, [&] { return stop_; });
}

void fetcher::set_pending(uint64_t n) {
  num_pending_.store(n);
  if (auto* m = conn_->opts().metrics)
    m->gauge("weft_nats_consumer_pending",
             "Messages stored for a consumer and not yet delivered (lag)", "consumer",
             cfg_.name, static_cast<double>(n));
}

void fetcher::refresh_pending() {
  auto jo = short_wait();
  jsConsumerInfo* ci = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  if (js_GetConsumerInfo(&ci, conn_->js(), conn_->opts().stream.c_str(), cfg_.name.c_str(),
                         &jo, &jerr)
      == NATS_OK) {
    set_pending(ci->NumPending);
    jsConsumerInfo_Destroy(ci);
  }
}

// Decoding happens here, off the actor: metadata, headers, CloudEvents JSON.
void fetcher::hand_off(natsMsgList& list) {
  auto batch = std::make_shared<std::vector<fetched>>();
  batch->reserve(static_cast<size_t>(list.Count));
  uint64_t pending = num_pending_.load();
  for (int i = 0; i < list.Count; ++i) {
    natsMsg* m = list.Msgs[i];
    list.Msgs[i] = nullptr; // ours now; natsMsgList_Destroy skips it
    fetched f;
    f.msg = own(m);
    jsMsgMetaData* md = nullptr;
    if (natsMsg_GetMetaData(&md, m) == NATS_OK) {
      f.stream_seq = md->Sequence.Stream;
      f.delivered = static_cast<uint32_t>(std::max<uint64_t>(md->NumDelivered, 1));
      pending = md->NumPending;
      jsMsgMetaData_Destroy(md);
    }
    f.subject = natsMsg_GetSubject(m);
    f.headers = read_headers(m);
    std::string_view data{natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m))};
    if (auto ev = events::decode(data))
      f.event = std::move(*ev);
    else
      f.decode_error = events::describe(ev.error());
    batch->push_back(std::move(f));
  }
  {
    std::lock_guard<std::mutex> lk{mtx_};
    outstanding_ += static_cast<uint32_t>(batch->size());
  }
  set_pending(pending);
  caf::anon_send(sink_, batch_atom::value, cfg_.name, std::move(batch));
}

void fetcher::run() {
  // The server refusing the consumer (a JetStream error code) is final; a
  // transport problem (NATS down or reconnecting) is retried until stop.
  caf::error err;
  for (uint32_t attempt = 0;; ++attempt) {
    refused_ = false;
    err = ensure_consumer();
    if (!err)
      err = bind();
    if (!err || refused_)
      break;
    if (attempt % 20 == 0)
      spdlog::warn("nats: consumer {}: {}; retrying", cfg_.name, reason_of(err));
    if (!sleep_unless_stopped(250ms))
      break;
  }
  caf::anon_send(sink_, ready_atom::value, cfg_.name,
                 err ? reason_of(err) : std::string{});
  if (err)
    return;
  refresh_pending();
  const auto wait_ns = static_cast<int64_t>(conn_->opts().fetch_wait_ms) * ns_per_ms;
  uint32_t failures = 0;
  auto last_refresh = std::chrono::steady_clock::now();
  for (;;) {
    bool idle = false;
    auto credits = wait_credit(idle);
    if (credits == 0) {
      if (!idle)
        break; // stopping
      refresh_pending();
      continue;
    }
    // NoWait + Expires (nats-server 2.9): answers as soon as anything is
    // there, up to `credits` messages; waits up to fetch_wait_ms otherwise.
    jsFetchRequest fr;
    jsFetchRequest_Init(&fr);
    fr.Batch = static_cast<int>(credits);
    fr.NoWait = true;
    fr.Expires = wait_ns;
    // NATS.c 3.4.1's fetch writes past its message array when messages left
    // over from an earlier pull request (they arrived after it ended, common
    // around a reconnect) number more than half the batch: it then keeps
    // collecting against a batch it already decreased (heap corruption, seen
    // as crashes of the node mid-outage; fixed upstream in nats.c #749). So
    // leftovers are taken alone, as a batch of at most their number, which
    // the library serves from its queue without a new request.
    int left_over = 0, left_over_bytes = 0;
    if (natsSubscription_GetPending(sub_, &left_over, &left_over_bytes) == NATS_OK && left_over > 0)
      fr.Batch = std::min(left_over, static_cast<int>(credits));
    natsMsgList list{};
    natsStatus s = natsSubscription_FetchRequest(&list, sub_, &fr);
    if (s == NATS_OK && list.Count > 0) {
      failures = 0;
      hand_off(list);
      natsMsgList_Destroy(&list);
      continue;
    }
    natsMsgList_Destroy(&list);
    if (s == NATS_OK || s == NATS_TIMEOUT || s == NATS_NOT_FOUND) {
      failures = 0;
      auto now = std::chrono::steady_clock::now();
      if (now - last_refresh >= 1s) {
        refresh_pending();
        last_refresh = now;
      }
      continue;
    }
    auto why = status_text(s);
    if (why.find("Exceeded Max") != std::string::npos) {
      // 409 Exceeded MaxAckPending/MaxWaiting: other replicas hold the
      // consumer's budget. Normal with competing consumers: wait a little.
      if (!sleep_unless_stopped(100ms))
        break;
      continue;
    }
    // Disconnected, consumer or stream gone, ...: back off, and once
    // connected again re-create what a server that lost its store lacks.
    if (failures++ % 20 == 0)
      spdlog::warn("nats: consumer {}: fetch failed: {}", cfg_.name, why);
    if (failures % 8 == 0 && conn_->connected()) {
      if (auto e = conn_->ensure_stream(); !e)
        ensure_consumer();
    }
    if (!sleep_unless_stopped(250ms))
      break;
  }
}

} // namespace weft::nats
