#include "adapters/cluster/kv_bucket.hpp"

#include <nats/nats.h>

#include <caf/error.hpp>
#include <caf/sec.hpp>

namespace weft::cluster {

caf::expected<std::unique_ptr<kv_bucket>>
kv_bucket::open(const std::string& url, const std::string& connection_name,
                const std::string& bucket, std::chrono::milliseconds ttl) {
  std::unique_ptr<kv_bucket> b{new kv_bucket};
  auto fail = [&](natsStatus s, const std::string& what) {
    return caf::make_error(caf::sec::runtime_error,
                           bucket + ": " + what + ": " + natsStatus_GetText(s));
  };
  natsOptions* no = nullptr;
  natsOptions_Create(&no);
  natsOptions_SetURL(no, url.c_str());
  natsOptions_SetMaxReconnect(no, -1);
  natsOptions_SetReconnectWait(no, 250);
  natsOptions_SetName(no, connection_name.c_str());
  auto s = natsConnection_Connect(&b->conn_, no);
  natsOptions_Destroy(no);
  if (s != NATS_OK)
    return fail(s, "cannot connect to " + url);
  if ((s = natsConnection_JetStream(&b->js_, b->conn_, nullptr)) != NATS_OK)
    return fail(s, "no JetStream context");
  if (js_KeyValue(&b->kv_, b->js_, bucket.c_str()) != NATS_OK) {
    kvConfig cfg;
    kvConfig_Init(&cfg);
    cfg.Bucket = bucket.c_str();
    cfg.History = 1;
    cfg.StorageType = js_MemoryStorage;
    cfg.TTL = static_cast<int64_t>(ttl.count()) * 1000000; // nanoseconds
    if ((s = js_CreateKeyValue(&b->kv_, b->js_, &cfg)) != NATS_OK
        && js_KeyValue(&b->kv_, b->js_, bucket.c_str()) != NATS_OK)
      return fail(s, "cannot create the bucket");
  }
  return b;
}

kv_bucket::~kv_bucket() {
  if (kv_ != nullptr)
    kvStore_Destroy(kv_);
  if (js_ != nullptr)
    jsCtx_Destroy(js_);
  if (conn_ != nullptr)
    natsConnection_Destroy(conn_);
}

} // namespace weft::cluster
