#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

// POSTs webhook deliveries with libcurl's multi interface on one thread of
// its own (never a CAF thread): many attempts in flight, each with a
// connect and a total timeout, no redirects followed. Before connecting it
// resolves the sink's host itself and refuses it if any address is
// forbidden (sink_policy.hpp) unless the host is allowed, then pins curl to
// the address it checked, so a DNS answer that changes cannot reach inside.
namespace weft::webhooks {

struct post_job {
  uint64_t id = 0;
  std::string url;
  std::vector<std::string> headers; ///< `Name: value`
  std::string body;
  uint32_t connect_timeout_ms = 3000;
  uint32_t timeout_ms = 10000;
};

struct post_result {
  uint64_t id = 0;
  int32_t code = 0;           ///< HTTP status; 0: no answer
  std::string error;          ///< why there was no (good) answer
  int32_t latency_ms = 0;
  int32_t retry_after_s = -1; ///< the answer's Retry-After in seconds, -1: none
};

class http_poster {
public:
  /// `done` is called on the poster's thread for every job; it must not block.
  /// At most `parallel` requests at once; more submitted wait in order.
  http_poster(std::vector<std::string> allow_hosts, uint32_t parallel,
              std::function<void(post_result)> done);
  ~http_poster();
  http_poster(const http_poster&) = delete;
  http_poster& operator=(const http_poster&) = delete;

  void submit(post_job job);

  /// Stops and joins (attempts under way are abandoned: their leases expire).
  void stop();

private:
  void run();

  std::vector<std::string> allow_hosts_;
  uint32_t parallel_;
  std::function<void(post_result)> done_;
  std::mutex mtx_;
  std::deque<post_job> queue_;
  bool stop_ = false;
  void* multi_ = nullptr; ///< CURLM*
  std::thread thread_;
};

} // namespace weft::webhooks
