#include "adapters/cluster/kv_members.hpp"

#include "adapters/cluster/kv_bucket.hpp"

#include <nats/nats.h>

#include <caf/atom.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace weft::cluster {

std::string kv_key(const std::string& node) {
  std::string out = node;
  for (auto& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '='
        && c != '.' && c != '/')
      c = '_';
  return out;
}

caf::expected<std::unique_ptr<kv_members>> kv_members::start(kv_member_options opts,
                                                             caf::actor sink) {
  std::unique_ptr<kv_members> m{new kv_members};
  m->opts_ = std::move(opts);
  m->sink_ = std::move(sink);
  // Three missed intervals and a record is gone.
  auto bucket = kv_bucket::open(m->opts_.nats_url, "weft-members-" + m->opts_.node,
                                m->opts_.bucket, 3 * m->opts_.interval);
  if (!bucket)
    return std::move(bucket.error());
  m->nats_ = std::move(*bucket);
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
  if (nats_ && nats_->kv() != nullptr)
    kvStore_Delete(nats_->kv(), kv_key(opts_.node).c_str()); // a clean leave
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
    auto* kv = nats_->kv();
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
