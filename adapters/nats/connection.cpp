#include "adapters/nats/connection.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "adapters/nats/nats_types.hpp"
#include "runtime/api_error.hpp"

namespace weft::nats {

namespace {

constexpr int64_t ns_per_s = 1000000000LL;

void set_gauge(const jetstream_options& o, bool up) {
  if (o.metrics != nullptr)
    o.metrics->gauge("weft_nats_connected", "1 while the connection to NATS is up", "", "",
                     up ? 1.0 : 0.0);
}

} // namespace

std::string status_text(natsStatus s, jsErrCode jerr) {
  std::string out = natsStatus_GetText(s);
  const char* last = nats_GetLastError(nullptr);
  if (last != nullptr && *last != '\0' && out != last) {
    out += ": ";
    out += last;
  }
  if (jerr != 0)
    out += " (" + std::to_string(static_cast<int>(jerr)) + ")";
  return out;
}

caf::error unavailable(const std::string& what) {
  return api_error(api_errc::unavailable, what, {}, 1);
}

connection::connection(jetstream_options opts) : opts_(std::move(opts)) {
  set_gauge(opts_, false);
}

connection::~connection() {
  close();
  if (js_ != nullptr)
    jsCtx_Destroy(js_);
  if (nc_ != nullptr)
    natsConnection_Destroy(nc_);
  if (nopts_ != nullptr)
    natsOptions_Destroy(nopts_);
}

caf::error connection::open() {
  auto fail = [](const char* what, natsStatus s) {
    return unavailable(std::string{"nats: "} + what + ": " + status_text(s));
  };
  natsStatus s = natsOptions_Create(&nopts_);
  if (s != NATS_OK)
    return fail("options", s);
  // One URL or a comma separated list (a cluster).
  std::vector<std::string> urls;
  for (size_t pos = 0; pos <= opts_.url.size();) {
    auto next = std::min(opts_.url.find(',', pos), opts_.url.size());
    if (next > pos)
      urls.push_back(opts_.url.substr(pos, next - pos));
    pos = next + 1;
  }
  if (urls.empty())
    return unavailable("nats: no URL configured");
  std::vector<const char*> url_ptrs;
  for (auto& u : urls)
    url_ptrs.push_back(u.c_str());
  s = url_ptrs.size() == 1
        ? natsOptions_SetURL(nopts_, url_ptrs[0])
        : natsOptions_SetServers(nopts_, url_ptrs.data(), static_cast<int>(url_ptrs.size()));
  if (s == NATS_OK)
    s = natsOptions_SetName(nopts_, opts_.connection_name.c_str());
  // Reconnect forever: the outbox keeps what cannot be published meanwhile,
  // and readiness shows the outage.
  if (s == NATS_OK)
    s = natsOptions_SetMaxReconnect(nopts_, -1);
  if (s == NATS_OK)
    s = natsOptions_SetReconnectWait(nopts_, opts_.reconnect_wait_ms);
  if (s == NATS_OK)
    s = natsOptions_SetTimeout(nopts_, opts_.connect_timeout_ms);
  if (s == NATS_OK)
    s = natsOptions_SetRetryOnFailedConnect(nopts_, true, &connection::on_connected, this);
  if (s == NATS_OK)
    s = natsOptions_SetDisconnectedCB(nopts_, &connection::on_disconnected, this);
  if (s == NATS_OK)
    s = natsOptions_SetReconnectedCB(nopts_, &connection::on_reconnected, this);
  if (s == NATS_OK)
    s = natsOptions_SetClosedCB(nopts_, &connection::on_closed, this);
  if (s == NATS_OK)
    s = natsOptions_SetErrorHandler(nopts_, &connection::on_error, this);
  if (s != NATS_OK)
    return fail("options", s);
  s = natsConnection_Connect(&nc_, nopts_);
  if (s == NATS_OK)
    set_connected(true);
  else if (s != NATS_NOT_YET_CONNECTED) // that one keeps trying in the background
    return fail("connect", s); // never echo the URL: it may carry a password
  jsOptions jo;
  jsOptions_Init(&jo);
  // The bus keeps its own window below this (publish_window), so the
  // library never stalls the actor's thread in js_PublishMsgAsync; the slack
  // covers PubAcks the actor has seen before the library counted them down.
  jo.PublishAsync.MaxPending = static_cast<int64_t>(opts_.publish_window) * 2 + 64;
  jo.PublishAsync.StallWait = 10;
  jo.PublishAsync.AckHandler = &connection::on_puback;
  jo.PublishAsync.AckHandlerClosure = this;
  s = natsConnection_JetStream(&js_, nc_, &jo);
  if (s != NATS_OK)
    return fail("jetstream context", s);
  return caf::none;
}

bool connection::wait_connected(uint32_t deadline_ms) {
  std::unique_lock<std::mutex> lk{mtx_};
  return cv_.wait_for(lk, std::chrono::milliseconds{deadline_ms},
                      [&] { return connected_->load() || closed_; })
         && connected_->load();
}

caf::error connection::ensure_stream() {
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  std::vector<const char*> subjects;
  for (auto& s : opts_.subjects)
    subjects.push_back(s.c_str());
  sc.Name = opts_.stream.c_str();
  sc.Subjects = subjects.data();
  sc.SubjectsLen = static_cast<int>(subjects.size());
  sc.Storage = js_FileStorage;
  sc.Retention = js_LimitsPolicy;
  sc.Replicas = static_cast<int64_t>(opts_.replicas);
  sc.Duplicates = static_cast<int64_t>(opts_.duplicate_window_s) * ns_per_s;
  sc.MaxAge = static_cast<int64_t>(opts_.max_age_s) * ns_per_s;
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&si, js_, &sc, nullptr, &jerr);
  if (s != NATS_OK && jerr == JSStreamNameExistErr) {
    jerr = static_cast<jsErrCode>(0);
    s = js_UpdateStream(&si, js_, &sc, nullptr, &jerr);
  }
  if (si != nullptr)
    jsStreamInfo_Destroy(si);
  if (s != NATS_OK)
    return unavailable("nats: stream " + opts_.stream + ": " + status_text(s, jerr));
  return caf::none;
}

void connection::set_sink(caf::actor sink) {
  std::lock_guard<std::mutex> lk{sink_mtx_};
  sink_ = std::move(sink);
}

void connection::close() {
  {
    std::lock_guard<std::mutex> lk{mtx_};
    if (nc_ == nullptr || closed_)
      return;
  }
  closing_ = true;
  // Acks and naks are buffered: get them to the server before closing, or
  // a clean stop would cause redeliveries.
  if (connected())
    natsConnection_FlushTimeout(nc_, 1000);
  natsConnection_Close(nc_);
  // The closed callback runs on a NATS thread; wait for it so that no
  // callback touches this object after its destructor.
  std::unique_lock<std::mutex> lk{mtx_};
  cv_.wait_for(lk, std::chrono::seconds{5}, [&] { return closed_; });
}

void connection::set_connected(bool up) {
  connected_->store(up);
  set_gauge(opts_, up);
  {
    std::lock_guard<std::mutex> lk{mtx_};
    if (up)
      ever_connected_ = true;
  }
  cv_.notify_all();
}

void connection::on_connected(natsConnection*, void* closure) {
  auto* self = static_cast<connection*>(closure);
  spdlog::info("nats: connected");
  self->set_connected(true);
}

void connection::on_disconnected(natsConnection*, void* closure) {
  auto* self = static_cast<connection*>(closure);
  bool was_up = self->connected_->exchange(false);
  set_gauge(self->opts_, false);
  if (was_up && !self->closing_)
    spdlog::warn("nats: disconnected; reconnecting");
}

void connection::on_reconnected(natsConnection*, void* closure) {
  auto* self = static_cast<connection*>(closure);
  spdlog::info("nats: reconnected");
  if (self->opts_.metrics != nullptr)
    self->opts_.metrics->counter("weft_nats_reconnects_total",
                                 "Reconnections to NATS after a lost connection", "", "");
  self->set_connected(true);
}

void connection::on_closed(natsConnection*, void* closure) {
  auto* self = static_cast<connection*>(closure);
  self->connected_->store(false);
  set_gauge(self->opts_, false);
  // Notify under the lock: once close() sees closed_ it may return and the
  // destructor destroy cv_, which must not happen while we are still in
  // notify_all (TSan: pthread_cond_destroy racing pthread_cond_broadcast).
  std::lock_guard<std::mutex> lk{self->mtx_};
  self->closed_ = true;
  self->cv_.notify_all();
}

void connection::on_error(natsConnection*, natsSubscription*, natsStatus s, void*) {
  spdlog::warn("nats: asynchronous error: {}", natsStatus_GetText(s));
}

// A NATS thread: never block here. The message goes to the actor, which
// finds the publish by the message's address (alive until the actor drops it).
void connection::on_puback(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae,
                           void* closure) {
  auto* self = static_cast<connection*>(closure);
  auto owned = own(msg);
  caf::actor sink;
  {
    std::lock_guard<std::mutex> lk{self->sink_mtx_};
    sink = self->sink_;
  }
  if (!sink)
    return;
  if (pa != nullptr) {
    caf::anon_send(sink, puback_atom::value, std::move(owned), pa->Sequence,
                   pa->Duplicate, std::string{});
  } else {
    std::string why = pae != nullptr && pae->ErrText != nullptr ? pae->ErrText : "publish failed";
    if (pae != nullptr && pae->ErrCode != 0)
      why += " (" + std::to_string(static_cast<int>(pae->ErrCode)) + ")";
    caf::anon_send(sink, puback_atom::value, std::move(owned), uint64_t{0}, false,
                   std::move(why));
  }
}

} // namespace weft::nats
