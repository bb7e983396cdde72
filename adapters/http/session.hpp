#pragma once

#include <utility> // before Asio: Boost 1.74 + g++12 (notes §3)

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "adapters/http/gateway.hpp"
#include "adapters/http/server_core.hpp"

namespace weft::http {

class session;

/// The exchange of a request handed to a gateway: posts the answer back to
/// the session's I/O thread.
class session_exchange final : public exchange,
                               public std::enable_shared_from_this<session_exchange> {
public:
  session_exchange(io_executor executor, session* owner,
                   std::string request_id)
    : executor_(executor), owner(owner) {
    this->request_id = std::move(request_id);
  }

  io_executor executor_;
  session* owner; ///< I/O thread only; null once the session is gone

protected:
  void deliver(outcome out) override;
};

/// One HTTP/1.1 connection: read a request, answer it (directly for
/// built-ins and errors, through a gateway for routes), repeat while
/// keep-alive. Lives on one worker's thread.
class session : public std::enable_shared_from_this<session> {
public:
  session(io_worker& worker, tcp_socket socket);
  ~session();

  /// Starts reading. I/O thread.
  void start();

  /// Closes the connection now. I/O thread.
  void close();

  /// Closes the connection when idle or lingering too long. I/O thread.
  void sweep(std::chrono::steady_clock::time_point now);

  /// While draining: closes the connection if no request has begun on it
  /// (nothing read, nothing waiting in the socket) and answers false; answers
  /// true while a request is being read, handled or answered. I/O thread.
  bool busy_or_close();

  /// Writes the answer of `ex` if it is still the one awaited. I/O thread.
  void finish(session_exchange& ex, outcome out);

  /// Streaming (GET /v1/events): writes what the feed has after the
  /// stream's position. I/O thread.
  void pull_stream();

  session* prev = nullptr; ///< the worker's intrusive list
  session* next = nullptr;

private:
  enum class phase : uint8_t { reading, processing, awaiting, writing, lingering, streaming, closed };

  void do_read();
  void on_header(boost::beast::error_code ec);
  void on_body(boost::beast::error_code ec);
  void on_read_error(boost::beast::error_code ec);
  void begin_request();
  void dispatch();
  void safe_dispatch();
  void dispatch_route(const route_entry& route, std::map<std::string, std::string> params,
                      std::string_view path, std::string_view query);
  void answer_builtin(const route_entry& route);

  /// Answers with `code` as a problem; `extra` adds or replaces a header.
  void fail(caf::error err, std::pair<std::string, std::string> extra = {});
  void respond(outcome out);
  void respond_static(std::string_view head, std::string_view body);
  void finish_head();
  void write();
  void on_write(boost::beast::error_code ec);
  void linger();

  // Server-Sent Events (session_stream.cpp).
  struct stream_state;
  void start_stream();
  void queue_stream(std::string_view bytes);
  void flush_stream();
  void end_stream();
  void stream_heartbeat(std::chrono::steady_clock::time_point now);
  void watch_peer();

  io_worker& worker_;
  server_core& core_;
  tcp_socket socket_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  io_timer guard_; ///< request_timeout + 1 s, then 504
  std::shared_ptr<session_exchange> pending_;
  std::string client_ip_;

  // The current request.
  phase phase_ = phase::reading;
  bool counted_ = false;      ///< in core_.in_flight
  bool keep_alive_ = true;
  bool linger_after_ = false; ///< unread request bytes may follow: linger, then close
  std::optional<http_method> method_;
  std::string request_id_;
  const std::string* route_label_ = nullptr;
  std::chrono::steady_clock::time_point started_, last_activity_;

  // The response: a head built here plus a body owned or static.
  std::string head_;
  std::string body_;
  std::string_view body_view_;
  char discard_[4096];
  std::unique_ptr<stream_state> stream_;
};

} // namespace weft::http
