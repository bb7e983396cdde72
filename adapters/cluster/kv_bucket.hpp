#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <caf/expected.hpp>

struct __natsConnection;
struct __jsCtx;
struct __kvStore;

// A JetStream KV bucket of the cluster on its own NATS connection (members,
// partition leases): connected, and created when missing, with one history
// entry and a TTL after which an unrefreshed key vanishes. NATS.c blocks:
// use it from a plain thread.
namespace weft::cluster {

class kv_bucket {
public:
  /// Connects to `url` (reconnecting forever) as `connection_name` and
  /// binds `bucket`, creating it in memory with `ttl` if it does not exist.
  static caf::expected<std::unique_ptr<kv_bucket>>
  open(const std::string& url, const std::string& connection_name, const std::string& bucket,
       std::chrono::milliseconds ttl);

  ~kv_bucket();
  kv_bucket(const kv_bucket&) = delete;
  kv_bucket& operator=(const kv_bucket&) = delete;

  __kvStore* kv() const { return kv_; }

private:
  kv_bucket() = default;
  __natsConnection* conn_ = nullptr;
  __jsCtx* js_ = nullptr;
  __kvStore* kv_ = nullptr;
};

} // namespace weft::cluster
