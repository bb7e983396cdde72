#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/http_client.hpp"

// A Server-Sent Events reader for tests: opens GET <target> on 127.0.0.1,
// reads the head, then parses the chunked event stream as a browser would
// (id/event/data/retry fields, comment lines), each wait with a deadline.
// It can also stop reading altogether (a stuck client).
namespace weft::test {

struct sse_event {
  std::string id;
  std::string event;
  std::string data;
};

class sse_client {
public:
  /// Connects and sends the request; the head is read by `open()`.
  sse_client(uint16_t port, std::string target, http_headers headers = {},
             int receive_buffer = 0); ///< > 0: SO_RCVBUF, to stall sooner when not reading
  ~sse_client();
  sse_client(const sse_client&) = delete;
  sse_client& operator=(const sse_client&) = delete;

  /// Reads the status line and headers (and, if not 200, the body).
  bool open(std::chrono::milliseconds deadline = std::chrono::seconds(5));
  int status() const { return status_; }
  std::string header(std::string_view name) const { return headers_.get(name).value_or(""); }
  const std::string& error_body() const { return body_; }

  /// The next event (comments and retry lines are recorded, not returned);
  /// nullopt at the deadline or when the stream ended.
  std::optional<sse_event> next(std::chrono::milliseconds deadline = std::chrono::seconds(5));

  /// Waits until a comment line arrives (or the deadline).
  bool comment(std::chrono::milliseconds deadline);

  /// True once the server ended the stream (last chunk, or connection closed).
  bool ended() const { return ended_; }
  /// True if the server sent the last chunk (a clean end) before closing.
  bool clean_end() const { return last_chunk_; }
  /// Waits until the stream ends.
  bool wait_end(std::chrono::milliseconds deadline);

  std::optional<uint32_t> retry() const { return retry_; }
  int comments() const { return comments_; }

private:
  bool fill(std::chrono::steady_clock::time_point until);
  void parse();

  int fd_ = -1;
  int status_ = 0;
  http_headers headers_;
  std::string body_;
  std::string raw_;     ///< bytes read, not yet de-chunked
  std::string text_;    ///< de-chunked stream text, not yet parsed
  bool chunked_ = false;
  bool ended_ = false;
  bool last_chunk_ = false;
  std::vector<sse_event> ready_;
  sse_event building_;
  bool has_field_ = false;
  std::optional<uint32_t> retry_;
  int comments_ = 0;
};

} // namespace weft::test
