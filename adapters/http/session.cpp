#include <utility> // before Asio: Boost 1.74 + g++12 (notes §3)

#include "adapters/http/session_stream.hpp"

#include <array>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <spdlog/spdlog.h>

#include "adapters/http/parsing.hpp"
#include "adapters/http/wire.hpp"
#include "runtime/api_error.hpp"
#include "runtime/metrics.hpp"

namespace weft::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using clock = std::chrono::steady_clock;

namespace {

const std::string unmatched_label = "unmatched";

constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr auto linger_limit = std::chrono::seconds{2};

std::string_view sv(boost::beast::string_view s) {
  return {s.data(), s.size()};
}

std::optional<http_method> to_method(bhttp::verb v) {
  switch (v) {
    case bhttp::verb::get: return http_method::get;
    case bhttp::verb::post: return http_method::post;
    case bhttp::verb::put: return http_method::put;
    case bhttp::verb::patch: return http_method::patch;
    case bhttp::verb::delete_: return http_method::del;
    default: return std::nullopt;
  }
}

} // namespace

void session_exchange::deliver(outcome out) {
  asio::post(executor_, [self = shared_from_this(), out = std::move(out)]() mutable {
    if (self->owner != nullptr)
      self->owner->finish(*self, std::move(out));
  });
}

session::session(io_worker& worker, tcp_socket socket)
  : worker_(worker),
    core_(worker.core),
    socket_(std::move(socket)),
    guard_(socket_.get_executor()) {
  worker_.attach(this);
}

session::~session() {
  if (pending_)
    pending_->owner = nullptr;
  if (counted_)
    core_.request_done();
  worker_.detach(this);
}

void session::start() {
  beast::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay{true}, ec);
  auto ep = socket_.remote_endpoint(ec);
  if (!ec)
    client_ip_ = ep.address().to_string();
  do_read();
}

void session::close() {
  if (phase_ == phase::closed)
    return;
  phase_ = phase::closed;
  beast::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  guard_.cancel();
  if (pending_) {
    pending_->owner = nullptr;
    pending_.reset();
  }
  if (counted_) {
    counted_ = false;
    core_.request_done();
  }
  if (stream_) {
    stream_.reset();
    auto open = core_.streams.fetch_sub(1) - 1;
    if (core_.deps.metrics)
      core_.deps.metrics->gauge("weft_sse_streams", "Open Server-Sent Events streams", "", "",
                                static_cast<double>(open));
  }
}

void session::sweep(clock::time_point now) {
  if (phase_ == phase::reading && now - last_activity_ > core_.keep_alive)
    close();
  else if (phase_ == phase::lingering && now - last_activity_ > linger_limit)
    close();
  else if (phase_ == phase::streaming)
    stream_heartbeat(now);
}

bool session::busy_or_close() {
  if (phase_ == phase::closed)
    return false;
  if (phase_ == phase::lingering) {
    close();
    return false;
  }
  if (phase_ == phase::streaming) {
    end_stream(); // its last chunk, then it closes; nothing to wait for
    return false;
  }
  if (phase_ == phase::reading) {
    // Bytes of a request already read, or already in the socket, make a
    // request the client has sent: serve it (then close, as keep-alive is
    // off now). Anything else is an idle keep-alive connection.
    beast::error_code ec;
    if (buffer_.size() == 0 && socket_.available(ec) == 0) {
      close();
      return false;
    }
  }
  return true;
}

// -- reading ------------------------------------------------------------------

void session::do_read() {
  phase_ = phase::reading;
  last_activity_ = clock::now();
  parser_.emplace();
  parser_->header_limit(core_.settings.header_limit);
  parser_->body_limit(core_.settings.body_limit);
  bhttp::async_read_header(socket_, buffer_, *parser_,
                           [self = shared_from_this()](beast::error_code ec, size_t) {
                             self->on_header(ec);
                           });
}

void session::on_header(beast::error_code ec) {
  if (phase_ == phase::closed)
    return;
  if (ec) {
    on_read_error(ec);
    return;
  }
  if (parser_->is_done()) {
    begin_request();
    safe_dispatch();
    return;
  }
  // A body follows. Content-Length over the limit already failed above.
  auto read_body = [self = shared_from_this()] {
    bhttp::async_read(self->socket_, self->buffer_, *self->parser_,
                      [self](beast::error_code ec, size_t) { self->on_body(ec); });
  };
  if (iequals(sv(parser_->get()[bhttp::field::expect]), "100-continue")) {
    asio::async_write(socket_, asio::buffer(continue_line),
                      [self = shared_from_this(), read_body](beast::error_code ec, size_t) {
                        if (ec)
                          self->close();
                        else if (self->phase_ != phase::closed)
                          read_body();
                      });
    return;
  }
  read_body();
}

void session::on_body(beast::error_code ec) {
  if (phase_ == phase::closed)
    return;
  if (ec) {
    on_read_error(ec);
    return;
  }
  begin_request();
  safe_dispatch();
}

void session::safe_dispatch() {
  // Callbacks from the node (verify_token, ready) may throw; the client
  // still gets an answer and the I/O thread goes on.
  try {
    dispatch();
  } catch (const std::exception& e) {
    spdlog::error("http: dispatch failed: {} (request {})", e.what(), request_id_);
    if (phase_ == phase::processing)
      fail(api_error(api_errc::internal, "internal error"));
    else
      close();
  }
}

void session::on_read_error(beast::error_code ec) {
  auto& http_category = bhttp::make_error_code(bhttp::error::bad_target).category();
  bool refuse = ec == bhttp::error::body_limit || ec == bhttp::error::header_limit
                || (ec.category() == http_category && ec != bhttp::error::end_of_stream
                    && ec != bhttp::error::partial_message);
  if (!refuse) {
    // Peer went away, or a socket error: nobody to answer.
    close();
    return;
  }
  // A request refused before all of it was read: answer, then linger so the
  // client sees the answer rather than a connection reset.
  begin_request();
  keep_alive_ = false;
  linger_after_ = true;
  if (ec == bhttp::error::body_limit)
    fail(api_error(api_errc::payload_too_large,
                   "body exceeds " + std::to_string(core_.settings.body_limit) + " bytes"));
  else if (ec == bhttp::error::header_limit)
    fail(api_error(api_errc::header_too_large,
                   "request line and headers exceed "
                     + std::to_string(core_.settings.header_limit) + " bytes"));
  else
    fail(api_error(api_errc::bad_request, "malformed HTTP request: " + ec.message()));
}

void session::begin_request() {
  phase_ = phase::processing;
  started_ = clock::now();
  counted_ = true;
  core_.request_started();
  route_label_ = &unmatched_label;
  method_.reset();
  keep_alive_ = !core_.closing.load(std::memory_order_relaxed);
  linger_after_ = false;
  request_id_.clear();
  if (parser_ && parser_->is_header_done()) {
    auto& req = parser_->get();
    method_ = to_method(req.method());
    keep_alive_ = keep_alive_ && req.keep_alive();
    auto rid = req["X-Request-Id"];
    if (is_sane_request_id({rid.data(), rid.size()}))
      request_id_.assign(rid.data(), rid.size());
  }
  if (request_id_.empty())
    request_id_ = make_request_id();
}

// -- answering ----------------------------------------------------------------

void session::finish(session_exchange& ex, outcome out) {
  if (pending_.get() != &ex || phase_ != phase::awaiting)
    return;
  guard_.cancel();
  pending_.reset();
  if (out.status >= 500)
    spdlog::warn("http: {} {} answered {} (request {})",
                 method_ ? to_string(*method_) : "OTHER", *route_label_, out.status,
                 request_id_);
  respond(std::move(out));
}

void session::fail(caf::error err, std::pair<std::string, std::string> extra) {
  auto p = problem_for(err);
  if (!extra.first.empty()) {
    bool replaced = false;
    for (auto& h : p.headers)
      if (iequals(h.first, extra.first)) {
        h.second = extra.second;
        replaced = true;
      }
    if (!replaced)
      p.headers.push_back(std::move(extra));
  }
  respond(render(p));
}

void session::respond(outcome out) {
  head_.clear();
  wire::status_line(head_, out.status);
  if (out.content_type != nullptr)
    wire::header(head_, "Content-Type", out.content_type);
  for (auto& [name, value] : out.headers)
    wire::header(head_, name, value);
  body_ = std::move(out.body);
  body_view_ = body_;
  bool no_body = out.status == 204 || out.status == 304 || out.status < 200;
  if (no_body)
    body_view_ = {};
  else
    wire::content_length(head_, body_view_.size());
  finish_head();
  if (core_.deps.metrics)
    core_.deps.metrics->http_request(
      *route_label_, method_ ? to_string(*method_) : "OTHER", out.status,
      std::chrono::duration<double>(clock::now() - started_).count());
  write();
}

void session::respond_static(std::string_view head, std::string_view body) {
  head_.assign(head);
  if (head.find("Content-Length") == std::string_view::npos)
    wire::content_length(head_, body.size());
  body_view_ = body;
  finish_head();
  if (core_.deps.metrics)
    core_.deps.metrics->http_request(
      *route_label_, method_ ? to_string(*method_) : "OTHER", 200,
      std::chrono::duration<double>(clock::now() - started_).count());
  write();
}

void session::finish_head() {
  wire::date_header(head_);
  head_ += "X-Request-Id: ";
  head_ += request_id_;
  head_ += "\r\n";
  if (!keep_alive_)
    head_ += "Connection: close\r\n";
  head_ += "\r\n";
}

void session::write() {
  phase_ = phase::writing;
  std::array<asio::const_buffer, 2> bufs{asio::buffer(head_), asio::buffer(body_view_)};
  asio::async_write(socket_, bufs, [self = shared_from_this()](beast::error_code ec, size_t) {
    self->on_write(ec);
  });
}

void session::on_write(beast::error_code ec) {
  if (phase_ == phase::closed)
    return;
  if (counted_) {
    counted_ = false;
    core_.request_done();
  }
  body_.clear();
  body_view_ = {};
  if (ec) {
    close();
    return;
  }
  if (linger_after_) {
    linger();
    return;
  }
  if (!keep_alive_) {
    beast::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    close();
    return;
  }
  do_read();
}

void session::linger() {
  // Half-close, then read and drop what the client still sends until it
  // closes too, or the sweep gives up after linger_limit.
  if (phase_ != phase::lingering) {
    phase_ = phase::lingering;
    last_activity_ = clock::now();
    beast::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    buffer_.consume(buffer_.size());
  }
  socket_.async_read_some(asio::buffer(discard_),
                          [self = shared_from_this()](beast::error_code ec, size_t) {
                            if (self->phase_ != phase::lingering)
                              return;
                            if (ec)
                              self->close();
                            else
                              self->linger();
                          });
}

} // namespace weft::http
