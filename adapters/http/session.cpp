#include <utility> // before Asio: Boost 1.74 + g++12 (notes §3)

#include "adapters/http/session.hpp"

#include <array>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <caf/send.hpp>
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

// The fixed part of the hottest response, built once.
constexpr std::string_view live_head = "HTTP/1.1 200 OK\r\n"
                                       "Content-Type: application/json\r\n"
                                       "Content-Length: 17\r\n";
constexpr std::string_view live_body = R"({"status":"live"})";
constexpr std::string_view ready_head = "HTTP/1.1 200 OK\r\n"
                                        "Content-Type: application/json\r\n"
                                        "Content-Length: 18\r\n";
constexpr std::string_view ready_body = R"({"status":"ready"})";
constexpr std::string_view json_200_head = "HTTP/1.1 200 OK\r\n"
                                           "Content-Type: application/json\r\n";
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
}

void session::sweep(clock::time_point now) {
  if (phase_ == phase::reading && now - last_activity_ > core_.keep_alive)
    close();
  else if (phase_ == phase::lingering && now - last_activity_ > linger_limit)
    close();
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

// -- routing ------------------------------------------------------------------

void session::dispatch() {
  auto& req = parser_->get();
  auto target = req.target();
  std::string_view path, query;
  split_target({target.data(), target.size()}, path, query);
  // The hottest path of all: no table, no allocation beyond the request id.
  if (method_ == http_method::get && path == "/health/live") {
    static const std::string label = "/health/live";
    route_label_ = &label;
    respond_static(live_head, live_body);
    return;
  }
  auto m = core_.routes.match(method_, path);
  switch (m.status) {
    case route_match::no_path:
      fail(api_error(api_errc::not_found, "no such path"));
      return;
    case route_match::no_method:
      fail(api_error(api_errc::method_not_allowed,
                     std::string{req.method_string()} + " is not allowed here"),
           {"Allow", std::move(m.allow)});
      return;
    case route_match::found:
      break;
  }
  route_label_ = &m.route->path_template;
  if (m.route->kind != builtin::none)
    answer_builtin(*m.route);
  else
    dispatch_route(*m.route, std::move(m.params), path, query);
}

void session::answer_builtin(const route_entry& route) {
  switch (route.kind) {
    case builtin::live:
      respond_static(live_head, live_body);
      return;
    case builtin::ready:
      if (!core_.deps.ready || core_.deps.ready())
        respond_static(ready_head, ready_body);
      else
        fail(api_error(api_errc::unavailable, "not ready", {}, 1));
      return;
    case builtin::version:
      respond_static(json_200_head, core_.version_body);
      return;
    case builtin::openapi:
      respond_static(json_200_head, core_.openapi_body);
      return;
    case builtin::none:
      break;
  }
  fail(api_error(api_errc::internal, "unknown built-in"));
}

void session::dispatch_route(const route_entry& route,
                             std::map<std::string, std::string> params,
                             std::string_view path, std::string_view query) {
  auto& decl = *route.decl;
  auto& req = parser_->get();
  // Credentials first: an anonymous caller learns nothing about the body rules.
  std::optional<principal> caller;
  std::string api_key;
  if (decl.who != access::open) {
    auto authz = req[bhttp::field::authorization];
    auto key = req["X-API-Key"];
    if (!authz.empty()) {
      auto token = bearer_token({authz.data(), authz.size()});
      if (token.empty()) {
        fail(api_error(api_errc::unauthenticated, "only Bearer tokens are accepted"));
        return;
      }
      caf::expected<principal> who = core_.deps.verify_token
                                       ? core_.deps.verify_token(token)
                                       : caf::expected<principal>{
                                         api_error(api_errc::unauthenticated,
                                                   "tokens are not accepted")};
      if (!who) {
        auto err = who.error();
        if (err.category() != caf::atom("api")
            || err.code() != static_cast<uint8_t>(api_errc::unauthenticated))
          err = api_error(api_errc::unauthenticated, "invalid token");
        fail(std::move(err),
             {"WWW-Authenticate", "Bearer realm=\"weft\", error=\"invalid_token\""});
        return;
      }
      if (auto err = authorize(decl.who, *who)) {
        fail(std::move(err));
        return;
      }
      caller = std::move(*who);
    } else if (!key.empty()) {
      api_key.assign(key.data(), key.size()); // resolved by the gateway
    } else {
      fail(api_error(api_errc::unauthenticated, "credentials required"));
      return;
    }
  }
  nlohmann::json body;
  if (decl.takes_body) {
    auto ct = req[bhttp::field::content_type];
    if (!is_json_content_type({ct.data(), ct.size()})) {
      fail(api_error(api_errc::unsupported_media_type,
                     "Content-Type must be application/json"));
      return;
    }
    auto& text = req.body();
    if (!json_depth_ok(text, core_.settings.json_max_depth)) {
      fail(api_error(api_errc::bad_request,
                     "JSON nests deeper than "
                       + std::to_string(core_.settings.json_max_depth)));
      return;
    }
    // The adapter is an edge: nlohmann's exception carries the best message.
    try {
      body = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      fail(api_error(api_errc::bad_request, std::string{"malformed JSON: "} + e.what()));
      return;
    }
    if (!body.is_object()) {
      fail(api_error(api_errc::bad_request, "the body must be a JSON object"));
      return;
    }
  }
  gateway_job job;
  job.route = &route;
  job.timeout = core_.request_timeout;
  job.api_key = std::move(api_key);
  auto& ar = job.req;
  ar.method = route.method;
  ar.path.assign(path);
  ar.params = std::move(params);
  ar.query = parse_query(query);
  ar.body = std::move(body);
  ar.caller = std::move(caller);
  ar.request_id = request_id_;
  ar.client_ip = client_ip_;
  auto idem = req["Idempotency-Key"];
  ar.idempotency_key.assign(idem.data(), idem.size());
  pending_ = std::make_shared<session_exchange>(socket_.get_executor(), this, request_id_);
  job.ex = pending_;
  phase_ = phase::awaiting;
  // The guard: whatever the handler does, the client gets an answer.
  guard_.expires_after(core_.request_timeout + std::chrono::seconds{1});
  guard_.async_wait([self = shared_from_this(), ex = pending_](beast::error_code ec) {
    if (ec || !ex->claim())
      return;
    self->finish(*ex, render(problem_for(api_error(
                        api_errc::timeout, "the service did not answer in time"))));
  });
  caf::anon_send(worker_.gateway, std::move(job));
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
