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
#include "events/routes.hpp"

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


/// The status code of a JetStream status message ("404", "408", ...), or
/// empty for a message that carries data.
std::string status_of(natsMsg* m) {
  if (natsMsg_GetDataLength(m) > 0)
    return {};
  const char* code = nullptr;
  if (natsMsgHeader_Get(m, "Status", &code) != NATS_OK || code == nullptr)
    return {};
  return code;
}

} // namespace

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

header_list visible_headers(const header_list& wire) {
  header_list out;
  for (auto& [k, v] : wire)
    if (!transport_header(k))
      out.emplace_back(k, v);
  return out;
}

fetched decode_fetched(natsMsg* m) {
  fetched f;
  f.msg = own(m);
  jsMsgMetaData* md = nullptr;
  if (natsMsg_GetMetaData(&md, m) == NATS_OK) {
    f.stream_seq = md->Sequence.Stream;
    f.delivered = static_cast<uint32_t>(std::max<uint64_t>(md->NumDelivered, 1));
    f.pending = md->NumPending;
    jsMsgMetaData_Destroy(md);
  }
  // Handlers, lanes and dead letters see the subject without its partition.
  f.subject = events::unpartitioned_subject(natsMsg_GetSubject(m));
  f.headers = read_headers(m);
  std::string_view data{natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m))};
  // Decoding answers errors as values; should it ever throw (as it did for
  // 1e999, found by fuzzing), the message is dead-lettered as undecodable
  // instead of the exception ending this thread, and with it the node.
  try {
    if (auto ev = events::decode(data))
      f.event = std::move(*ev);
    else
      f.decode_error = events::describe(ev.error());
  } catch (const std::exception& e) {
    f.decode_error = std::string{"the decoder threw: "} + e.what();
  }
  return f;
}

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

void fetcher::drain_open() {
  {
    std::lock_guard<std::mutex> lk{mtx_};
    flush_ = true;
  }
  cv_.notify_all();
}

void fetcher::flush_open() {
  const auto wait_ns = static_cast<int64_t>(conn_->opts().fetch_wait_ms) * ns_per_ms;
  while (open_left_ > 0) {
    std::vector<natsMsg*> msgs;
    auto r = pull(open_left_, wait_ns, msgs, true);
    if (!msgs.empty())
      hand_off(msgs);
    else if (r.status != NATS_OK)
      break;
  }
  open_left_ = 0;
  caf::anon_send(sink_, quiet_atom::value, cfg_.name);
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
    natsSubscription_Unsubscribe(sub_);
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
  // Our own inbox, not js_PullSubscribe: see pull(). Requests reply to
  // inbox.<n>, so a status that ends request n names it.
  natsInbox* inbox = nullptr;
  natsStatus s = natsInbox_Create(&inbox);
  if (s != NATS_OK)
    return unavailable("nats: inbox for " + cfg_.name + ": " + status_text(s));
  inbox_ = inbox;
  natsInbox_Destroy(inbox);
  next_subject_ = "$JS.API.CONSUMER.MSG.NEXT." + conn_->opts().stream + "." + cfg_.name;
  s = natsConnection_SubscribeSync(&sub_, conn_->nc(), (inbox_ + ".*").c_str());
  // No client-side limit (the default drops messages past 65,536 as a slow
  // consumer): what arrives is bounded by what we ask for.
  if (s == NATS_OK)
    s = natsSubscription_SetPendingLimits(sub_, -1, -1);
  if (s != NATS_OK)
    return unavailable("nats: subscribe " + cfg_.name + ": " + status_text(s));
  return caf::none;
}

uint32_t fetcher::wait_credit(bool& idle) {
  std::unique_lock<std::mutex> lk{mtx_};
  auto ready = [&] { return stop_ || flush_ || (!paused_ && outstanding_ < limit_); };
  idle = !cv_.wait_for(lk, 1s, ready);
  if (stop_ || idle)
    return 0;
  if (flush_ || paused_ || outstanding_ >= limit_) {
    idle = true; // woken for a flush: back to the loop, which does it
    return 0;
  }
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
void fetcher::hand_off(std::vector<natsMsg*>& msgs) {
  auto batch = std::make_shared<std::vector<fetched>>();
  batch->reserve(msgs.size());
  uint64_t pending = num_pending_.load();
  for (natsMsg* m : msgs) {
    auto f = decode_fetched(m);
    f.conn = conn_->nc();
    if (f.stream_seq != 0)
      pending = f.pending;
    batch->push_back(std::move(f));
  }
  msgs.clear();
  {
    std::lock_guard<std::mutex> lk{mtx_};
    outstanding_ += static_cast<uint32_t>(batch->size());
  }
  set_pending(pending);
  caf::anon_send(sink_, batch_atom::value, cfg_.name, std::move(batch));
}

// NATS.c 3.4.1's fetch (natsSubscription_FetchRequest) writes past its
// message array when messages left over from an earlier pull request (they
// arrive after it ended: common under load and around a reconnect) number
// more than half the batch: it collects against a batch it has already
// decreased (fixed upstream in nats.c #749). The heap corruption crashed
// nodes mid-outage. Checking the leftovers before each fetch is not enough:
// more can arrive between the check and the fetch. So the pull protocol is
// spoken here, as the library does, on a plain subscription.
fetcher::pull_result fetcher::pull(uint32_t n, int64_t wait_ns, std::vector<natsMsg*>& out,
                                   bool open_only) {
  using clock = std::chrono::steady_clock;
  pull_result r;
  auto now = clock::now();
  // A request whose end we never saw (lost around a reconnect) is over once
  // the server has surely expired it.
  if (open_left_ > 0 && now > open_until_ + std::chrono::milliseconds{100})
    open_left_ = 0;
  if (!conn_->connected()) {
    // A request now would wait in the reconnect buffer, and all of them
    // would be served at once after the reconnect, past our credit.
    open_left_ = 0;
    r.status = NATS_CONNECTION_DISCONNECTED;
    r.why = "not connected to NATS";
    return r;
  }
  // One request at a time: a new one only once the last is over, so what
  // it may still deliver always fits in the credit it was sized by.
  auto deadline = now + std::chrono::nanoseconds{wait_ns};
  if (open_left_ == 0 && open_only)
    return r; // nothing open: nothing more can come
  if (open_left_ == 0) {
    // As NATS.c: expires a little before our own deadline; no_wait: answer
    // as soon as anything is there (nats-server 2.9 waits for the first).
    open_reply_ = inbox_ + "." + std::to_string(++request_seq_);
    auto expires = wait_ns >= 20 * ns_per_ms ? wait_ns - 10 * ns_per_ms : wait_ns;
    auto body = "{\"batch\":" + std::to_string(n) + ",\"expires\":" + std::to_string(expires)
                + ",\"no_wait\":true}";
    r.status = natsConnection_PublishRequest(conn_->nc(), next_subject_.c_str(),
                                             open_reply_.c_str(), body.data(),
                                             static_cast<int>(body.size()));
    if (r.status != NATS_OK) {
      r.why = status_text(r.status);
      return r;
    }
    open_left_ = n;
    open_until_ = now + std::chrono::nanoseconds{expires};
  } else {
    deadline = std::min(deadline, open_until_ + std::chrono::milliseconds{100});
  }
  // Hand off what has arrived as soon as nothing more is queued: holding
  // messages until the batch is complete keeps them unacknowledged, and
  // with replicas competing for one consumer's MaxAckPending the others'
  // requests then wait for budget that never frees (256 messages per
  // expiry: ~500 events/s with three replicas).
  natsMsg* m = nullptr;
  while (out.size() < n) {
    std::chrono::milliseconds left{1};
    if (out.empty()) {
      left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
      if (left.count() <= 0) {
        r.status = NATS_TIMEOUT;
        break;
      }
    }
    r.status = natsSubscription_NextMsg(&m, sub_, left.count());
    if (r.status != NATS_OK) {
      // NATS_TIMEOUT: nothing (more) came; NATS_NO_RESPONDERS: no JetStream.
      r.why = status_text(r.status);
      break;
    }
    auto code = status_of(m);
    if (code.empty()) {
      out.push_back(m);
      if (open_left_ > 0)
        --open_left_;
      continue;
    }
    bool ours = open_reply_ == natsMsg_GetSubject(m);
    if (ours && code != "100") {
      // 404 no messages, 408 expired: the request is over. 409: refused
      // (Exceeded MaxAckPending/MaxWaiting, consumer deleted, ...).
      open_left_ = 0;
      const char* desc = nullptr;
      natsMsgHeader_Get(m, "Description", &desc);
      if (code == "404")
        r.status = NATS_NOT_FOUND;
      else if (code == "408")
        r.status = NATS_TIMEOUT;
      else
        r.status = NATS_ERR;
      r.why = code + " " + (desc != nullptr ? desc : "");
      natsMsg_Destroy(m);
      break;
    }
    natsMsg_Destroy(m); // a heartbeat, or a status of an earlier request
  }
  if (!out.empty() && (r.status == NATS_TIMEOUT || r.status == NATS_NOT_FOUND))
    r.status = NATS_OK;
  return r;
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
    bool flush = false;
    {
      std::lock_guard<std::mutex> lk{mtx_};
      std::swap(flush, flush_);
    }
    if (flush)
      flush_open();
    bool idle = false;
    auto credits = wait_credit(idle);
    if (credits == 0) {
      if (!idle)
        break; // stopping
      refresh_pending();
      continue;
    }
    std::vector<natsMsg*> msgs;
    auto r = pull(credits, wait_ns, msgs);
    if (!msgs.empty()) {
      failures = 0;
      hand_off(msgs);
      continue;
    }
    auto s = r.status;
    if (s == NATS_OK || s == NATS_TIMEOUT || s == NATS_NOT_FOUND) {
      failures = 0;
      auto now = std::chrono::steady_clock::now();
      if (now - last_refresh >= 1s) {
        refresh_pending();
        last_refresh = now;
      }
      continue;
    }
    const auto& why = r.why;
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
