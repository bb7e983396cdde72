#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

// A webhook receiver for tests: an HTTP/1.1 server on 127.0.0.1 (a free
// port) that records every request and answers as a policy says (status and
// extra headers, per request number), one connection at a time. Plus a
// Standard Webhooks signature check written here with OpenSSL, independent
// of Weft's own signing code.
namespace weft::test {

struct received_request {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers; ///< names lower case
  std::string body;
  std::chrono::steady_clock::time_point at;
};

struct receiver_answer {
  int status = 204;
  std::vector<std::pair<std::string, std::string>> headers;
};

class http_receiver {
public:
  /// `policy(n, request)`: the answer to the n-th request (0-based).
  explicit http_receiver(std::function<receiver_answer(size_t, const received_request&)> policy =
                           [](size_t, const received_request&) { return receiver_answer{}; });
  ~http_receiver();
  http_receiver(const http_receiver&) = delete;
  http_receiver& operator=(const http_receiver&) = delete;

  uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  std::vector<received_request> requests() const;
  size_t count() const;

  /// Waits until at least `n` requests arrived.
  bool wait_count(size_t n, std::chrono::milliseconds deadline) const;

private:
  void run();

  std::function<receiver_answer(size_t, const received_request&)> policy_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mtx_;
  std::vector<received_request> seen_;
  std::thread thread_;
};

/// True if `signature_header` (space separated `v1,<base64>`) holds a valid
/// signature of `id.timestamp.body` under `secret` (`whsec_<base64>`).
bool verify_standard_webhook(const std::string& secret, const std::string& id,
                             const std::string& timestamp, const std::string& body,
                             const std::string& signature_header);

} // namespace weft::test
