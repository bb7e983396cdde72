#include "adapters/cluster/kv_members.hpp"

#include <nats/nats.h>

#include <caf/atom.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace weft::cluster {

struct kv_members::nats_handles {
  natsConnection* conn = nullptr;
  jsCtx* js = nullptr;
  kvStore* kv = nullptr;

  ~nats_handles() {
    if (kv != nullptr)
      kvStore_Destroy(kv);
    if (js != nullptr)
      jsCtx_Destroy(js);
    if (conn != nullptr)
      natsConnection_Destroy(conn);
  }
};

std::string kv_key(const std::string& node) {
  std::string out = node;
  for (auto& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '='
        && c != '.' && c != '/')
      c = '_';
  return out;
}

namespace {

caf::error nats_error(natsStatus s, const std::string& what) {
  return caf::make_error(caf::sec::runtime_error,
                         "cluster membership: " + what + ": " + natsStatus_GetText(s));
}

} // namespace

caf::expected<std::unique_ptr<kv_members>> kv_members::start(kv_member_options opts,
                                                             caf::actor sink) {
  std::unique_ptr<kv_members> m{new kv_members};
  m->opts_ = std::move(opts);
  m->sink_ = std::move(sink);
  m->nats_ = std::make_unique<nats_handles>();
  auto& h = *m->nats_;
  natsOptions* no = nullptr;
  natsOptions_Create(&no);
  natsOptions_SetURL(no, m->opts_.nats_url.c_str());
  natsOptions_SetMaxReconnect(no, -1);
  natsOptions_SetReconnectWait(no, 250);
  natsOptions_SetName(no, ("weft-members-" + m->opts_.node).c_str());
  auto s = natsConnection_Connect(&h.conn, no);
  natsOptions_Destroy(no);
  if (s != NATS_OK)
    return nats_error(s, "cannot connect to " + m->opts_.nats_url);
  if ((s = natsConnection_JetStream(&h.js, h.conn, nullptr)) != NATS_OK)
    return nats_error(s, "no JetStream context");
  if (js_KeyValue(&h.kv, h.js, m->opts_.bucket.c_str()) != NATS_OK) {
    kvConfig cfg;
    kvConfig_Init(&cfg);
    cfg.Bucket = m->opts_.bucket.c_str();
    cfg.History = 1;
    cfg.StorageType = js_MemoryStorage;
    // Nanoseconds, as every JetStream duration: three missed intervals.
    cfg.TTL = 3 * static_cast<int64_t>(m->opts_.interval.count()) * 1000000;
    if ((s = js_CreateKeyValue(&h.kv, h.js, &cfg)) != NATS_OK
        && js_KeyValue(&h.kv, h.js, m->opts_.bucket.c_str()) != NATS_OK)
      return nats_error(s, "cannot create the bucket " + m->opts_.bucket);
  }
  m->thread_ = std::thread{[p = m.get()] { p->run(); }};
  return m;
}

kv_members::~kv_members() {
  stop();
}

void kv_members::stop() {
  {
    std::lock_guard<std::mutex> lk{mtx_};
    if (stop_ && !thread_.joinable())
      return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
  if (nats_ && nats_->kv != nullptr)
    kvStore_Delete(nats_->kv, kv_key(opts_.node).c_str()); // a clean leave
  nats_.reset();
}

void kv_members::run() {
  auto key = kv_key(opts_.node);
  auto record = nlohmann::json{{"name", opts_.node},
                               {"incarnation", std::to_string(opts_.incarnation)},
                               {"address", opts_.address},
                               {"services", opts_.services},
                               {"version", opts_.version}}
                  .dump();
  uint32_t failures = 0;
  std::unique_lock<std::mutex> lk{mtx_};
  while (!stop_) {
    lk.unlock();
    auto* kv = nats_->kv;
    auto s = kvStore_Put(nullptr, kv, key.c_str(), record.data(), static_cast<int>(record.size()));
    kvKeysList keys{};
    if (s == NATS_OK)
      s = kvStore_Keys(&keys, kv, nullptr);
    if (s == NATS_OK) {
      failures = 0;
      for (int i = 0; i < keys.Count; ++i) {
        if (key == keys.Keys[i])
          continue;
        kvEntry* e = nullptr;
        if (kvStore_Get(&e, kv, keys.Keys[i]) != NATS_OK)
          continue;
        auto j = nlohmann::json::parse(kvEntry_ValueString(e), nullptr, false);
        kvEntry_Destroy(e);
        if (j.is_object() && j.contains("address") && j["address"].is_string())
          caf::anon_send(sink_, caf::connect_atom::value, j["address"].get<std::string>());
      }
      kvKeysList_Destroy(&keys);
    } else if (failures++ % 20 == 0) {
      // NATS down: CAF's heartbeats still tell who is alive.
      spdlog::warn("cluster: cannot refresh the member records in {}: {}", opts_.bucket,
                   natsStatus_GetText(s));
    }
    lk.lock();
    cv_.wait_for(lk, opts_.interval, [this] { return stop_; });
  }
}

} // namespace weft::cluster
