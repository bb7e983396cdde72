#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

// A small blocking HTTP/1.1 client for tests: any method, any headers, raw
// bodies (malformed JSON, 2 MiB), Content-Length or chunked responses, and
// transport failures (connection refused, reset, timeout) as values.
namespace weft::test {

/// Header fields in order; lookup is case-insensitive.
class http_headers {
public:
  http_headers() = default;
  http_headers(std::initializer_list<std::pair<std::string, std::string>> init) : fields_(init) {}

  void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  /// Replaces every field of that name.
  void set(const std::string& name, std::string value);
  /// The first value of that name.
  std::optional<std::string> get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  /// Every value of that name, in order.
  std::vector<std::string> all(std::string_view name) const;

  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

bool iequals(std::string_view a, std::string_view b);

struct http_request {
  std::string method = "GET";
  std::string target = "/"; ///< path and query
  http_headers headers;     ///< Host and Content-Length are added when absent
  std::string body;
  /// Called once the whole request has been written to the socket (tests
  /// use it to know a request is in flight before acting on the server).
  std::function<void()> after_send;
};

struct http_response {
  int status = 0;           ///< 0 when the exchange failed (see error)
  http_headers headers;
  std::string body;
  std::string error;        ///< empty on success, else what failed
  bool connect_failed = false; ///< no connection could be made (refused, ...)

  bool ok() const { return error.empty(); }
  std::string header(std::string_view name) const { return headers.get(name).value_or(""); }
  /// The body as JSON (throws on a bad body; use in REQUIRE_NOTHROW or after checking status).
  nlohmann::json json() const;
  /// The body as JSON, or a discarded value if it does not parse.
  nlohmann::json json_or_null() const;
};

/// Connection to one host:port. With keep_alive, the connection is reused
/// between requests (and reopened once if the server closed it while idle);
/// without, every request uses a fresh connection with `Connection: close`.
class http_client {
public:
  http_client(std::string host, uint16_t port, bool keep_alive = false,
              std::chrono::milliseconds timeout = std::chrono::seconds(15));
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;
  http_client(http_client&& other) noexcept;
  http_client& operator=(http_client&&) = delete;

  http_response request(const http_request& req);

  http_response get(const std::string& target, http_headers headers = {});
  http_response del(const std::string& target, http_headers headers = {});
  /// Sends `body` serialised with Content-Type application/json.
  http_response post(const std::string& target, const nlohmann::json& body, http_headers headers = {});
  http_response put(const std::string& target, const nlohmann::json& body, http_headers headers = {});
  /// Sends `body` as is, with the given content type (empty: no Content-Type).
  http_response send(const std::string& method, const std::string& target, std::string body,
                     const std::string& content_type, http_headers headers = {});

  const std::string& host() const { return host_; }
  uint16_t port() const { return port_; }

private:
  http_response exchange(const http_request& req, bool reused);
  void close();

  std::string host_;
  uint16_t port_;
  bool keep_alive_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  bool retryable_ = false; ///< the last exchange failed on a reused connection before any answer
};

/// `Authorization: Bearer <token>`.
http_headers bearer(const std::string& token);

/// Percent-encodes a query parameter value.
std::string url_encode(std::string_view s);

} // namespace weft::test
