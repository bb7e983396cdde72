#include <utility> // before Asio: Boost 1.74 + g++12 (notes §3)

#include <algorithm>
#include <cctype>
#include <cstdio>

#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "adapters/http/parsing.hpp"
#include "adapters/http/session_stream.hpp"
#include "adapters/http/wire.hpp"
#include "events/ids.hpp"
#include "events/routes.hpp"
#include "runtime/api_error.hpp"
#include "runtime/event_feed.hpp"
#include "runtime/metrics.hpp"

// GET /v1/events: Server-Sent Events from the node's event feed.
//
// - Who: admin and root see every event; anyone else with a valid token sees
//   the events about themselves (CloudEvents `subject` = their id). A
//   Bearer header, or `access_token` in the query (EventSource cannot set
//   headers).
// - What: `types` (comma separated, exact or `prefix.*`) and `subject`
//   (exact) filter; every event still moves the stream's position.
// - Where from: `Last-Event-ID`, else `lastEventID` (the header wins):
//   `earliest`, or an id this stream sent (`<epoch>-<position>`); none: from
//   now on. A position older than the node keeps, or of another epoch (a
//   recreated stream), gets a `weft.gap` event first naming what was lost.
// - How: `retry:` first, then `id:`/`event:`/`data:` per event, a comment
//   every sse.heartbeat_ms; chunked, `Cache-Control: no-cache`,
//   `X-Accel-Buffering: no`. A reader more than sse.max_queue_bytes behind,
//   or behind what the node keeps, is disconnected (it resumes by itself).
//   Draining ends each stream with its last chunk.
namespace weft::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using clock = std::chrono::steady_clock;

namespace {

constexpr size_t pull_batch = 256;

void append_event(std::string& out, std::string_view epoch, uint64_t position,
                  std::string_view type, std::string_view json) {
  out += "id: ";
  out += feed_position_id(epoch, position);
  out += "\nevent: ";
  out += type;
  out += "\ndata: ";
  out += json;
  out += "\n\n";
}

/// The `weft.gap` event naming positions `from`..`to` as lost (none when
/// `from` is 0: unknown), as a chunk at `cursor`.
std::string gap_chunk(std::string_view epoch, uint64_t cursor, uint64_t from, uint64_t to,
                      const std::string& reason) {
  nlohmann::json data{{"reason", reason}};
  if (from > 0) {
    data["from"] = feed_position_id(epoch, from);
    data["to"] = feed_position_id(epoch, to);
    data["lost"] = to - from + 1;
  }
  nlohmann::json ev{{"specversion", "1.0"},
                    {"id", events::new_uuid_v7()},
                    {"source", "/weft/sse"},
                    {"type", "weft.gap"},
                    {"time", events::now_rfc3339_ms()},
                    {"datacontenttype", "application/json"},
                    {"data", std::move(data)}};
  std::string chunk;
  append_event(chunk, epoch, cursor, "weft.gap", ev.dump());
  return chunk;
}

} // namespace

void session::start_stream() {
  auto& req = parser_->get();
  const auto& feed = core_.deps.feed;
  if (!feed) {
    fail(api_error(api_errc::unavailable, "this node serves no event stream", {}, 1));
    return;
  }
  auto target = req.target();
  std::string_view path, query;
  split_target({target.data(), target.size()}, path, query);
  auto q = parse_query(query);
  auto param = [&](const char* name) -> std::string {
    auto it = q.find(name);
    return it == q.end() ? std::string{} : it->second;
  };
  // Credentials: only tokens (an API key would need a service's answer
  // before the stream starts; see the README).
  std::string token;
  bool from_cookie = false;
  auto authz = req[bhttp::field::authorization];
  if (!authz.empty()) {
    token = std::string{bearer_token({authz.data(), authz.size()})};
    if (token.empty()) {
      fail(api_error(api_errc::unauthenticated, "only Bearer tokens are accepted"));
      return;
    }
  } else {
    token = param("access_token");
  }
  // A sign-in session's cookie (EventSource sends cookies, not headers); a
  // GET needs no CSRF token.
  if (token.empty() && !core_.deps.session_cookies.empty())
    if (auto header = req[bhttp::field::cookie]; !header.empty()) {
      token = session_cookie_token(parse_cookies({header.data(), header.size()}),
                                   core_.deps.session_cookies);
      from_cookie = !token.empty();
    }
  if (token.empty()) {
    fail(api_error(api_errc::unauthenticated,
                   "credentials required: a Bearer token or access_token"),
         {"WWW-Authenticate", "Bearer realm=\"weft\""});
    return;
  }
  auto verified = core_.deps.verify_token
                    ? core_.deps.verify_token(token)
                    : caf::expected<verified_token>{api_error(api_errc::unauthenticated, "no tokens")};
  // Each kind of token where it belongs (see dispatch_route).
  if (!verified || from_cookie == verified->csrf.empty()) {
    fail(api_error(api_errc::unauthenticated, "invalid token"),
         {"WWW-Authenticate", "Bearer realm=\"weft\", error=\"invalid_token\""});
    return;
  }
  const principal* who = &verified->who;
  auto st = std::make_unique<stream_state>();
  st->feed = feed;
  // Filters.
  if (auto types = param("types"); !types.empty()) {
    size_t from = 0;
    while (from <= types.size()) {
      auto comma = types.find(',', from);
      auto item = std::string_view{types}.substr(
        from, comma == std::string::npos ? std::string::npos : comma - from);
      if (!events::valid_type_pattern(item)) {
        fail(invalid_request({{"/types", "not a type or `prefix.*`: '" + std::string{item} + "'"}}));
        return;
      }
      if (item == "*") {
        st->prefixes.push_back({});
      } else if (item.ends_with(".*")) {
        item.remove_suffix(1); // keep the dot: `a.b.` matches a.b.x, not a.bx
        st->prefixes.emplace_back(item);
      } else {
        st->exact.emplace_back(item);
      }
      if (comma == std::string::npos)
        break;
      from = comma + 1;
    }
    st->any_type = false;
  }
  st->subject = param("subject");
  if (st->subject.size() > 512) {
    fail(invalid_request({{"/subject", "at most 512 characters"}}));
    return;
  }
  if (!who->has_node_role(role_admin) && !who->has_node_role(role_root)) {
    if (!st->subject.empty() && st->subject != who->id) {
      fail(api_error(api_errc::forbidden, "only admin and root may stream events about others"));
      return;
    }
    st->subject = who->id;
  }
  // Where to start.
  auto header = req["Last-Event-ID"];
  std::string last = header.empty() ? param("lastEventID") : std::string{header};
  auto now = feed->read(UINT64_MAX, 0);
  std::string recreated; ///< why everything since the reader's id is unknown ("" : it is not)
  if (last.empty()) {
    st->cursor = now.last;
    st->strict = true;
  } else if (last == "earliest") {
    st->cursor = now.oldest > 0 ? now.oldest - 1 : 0;
  } else {
    auto pos = parse_feed_position(last);
    if (!pos) {
      fail(invalid_request({{"/Last-Event-ID",
                             "expected `earliest` or an id this stream sent, got '"
                               + last.substr(0, 80) + "'"}}));
      return;
    }
    if (pos->epoch != feed->epoch()) {
      recreated = "the stream was recreated (epoch " + pos->epoch + ", now " + feed->epoch()
                  + "): everything since that id is unknown";
      st->cursor = now.oldest > 0 ? now.oldest - 1 : 0;
    } else {
      // If older than what is kept, the first read tells the reader what
      // was lost (against what is kept by then: writes may go on meanwhile).
      st->cursor = pos->position;
      st->strict = true;
    }
  }
  if (core_.streams.load() >= core_.deps.sse.max_streams) {
    fail(api_error(api_errc::unavailable, "too many event streams on this node", {}, 1));
    return;
  }
  // The head, then the stream; the exchange no longer counts as a request
  // in flight (a drain ends streams instead of waiting for them).
  std::string head;
  wire::status_line(head, 200);
  head += "Content-Type: text/event-stream\r\n"
          "Cache-Control: no-cache\r\n"
          "X-Accel-Buffering: no\r\n"
          "Transfer-Encoding: chunked\r\n";
  head_ = std::move(head);
  keep_alive_ = false;
  finish_head();
  if (core_.deps.metrics)
    core_.deps.metrics->http_request(*route_label_, "GET", 200,
                                     std::chrono::duration<double>(clock::now() - started_).count());
  if (counted_) {
    counted_ = false;
    core_.request_done();
  }
  auto open = core_.streams.fetch_add(1) + 1;
  if (core_.deps.metrics)
    core_.deps.metrics->gauge("weft_sse_streams", "Open Server-Sent Events streams", "", "",
                              static_cast<double>(open));
  phase_ = phase::streaming;
  stream_ = std::move(st);
  stream_->out = head_;
  stream_->last_write = clock::now();
  queue_stream("retry: " + std::to_string(core_.deps.sse.retry_ms) + "\n\n");
  if (!recreated.empty())
    queue_stream(gap_chunk(feed->epoch(), stream_->cursor, 0, 0, recreated));
  watch_peer();
  pull_stream();
}

void session::pull_stream() {
  if (phase_ != phase::streaming || !stream_ || stream_->ending)
    return;
  auto& st = *stream_;
  const auto max_queue = core_.deps.sse.max_queue_bytes;
  for (;;) {
    if (st.out.size() > max_queue) {
      spdlog::info("http: event stream {} is {} bytes behind; disconnecting it", request_id_,
                   st.out.size());
      if (core_.deps.metrics)
        core_.deps.metrics->counter("weft_sse_dropped_total",
                                    "Event streams cut off, by reason", "reason", "slow");
      close();
      return;
    }
    auto slice = st.feed->read(st.cursor, pull_batch);
    if (slice.events.empty())
      break;
    if (st.strict && slice.oldest > st.cursor + 1 && st.opening) {
      // A resume point older than what is kept (at this first read): a
      // gap event names what was lost, then this same slice goes out (it
      // starts at `oldest`; reading again could find more evicted).
      auto from = st.cursor + 1;
      st.cursor = slice.oldest - 1;
      queue_stream(gap_chunk(st.feed->epoch(), st.cursor, from, st.cursor,
                             "older than this node keeps (sse.history)"));
    } else if (st.strict && slice.oldest > st.cursor + 1) {
      // The node no longer has what this reader missed: it resumes with
      // its last id and gets a gap event.
      spdlog::info("http: event stream {} fell behind the history; disconnecting it",
                   request_id_);
      if (core_.deps.metrics)
        core_.deps.metrics->counter("weft_sse_dropped_total",
                                    "Event streams cut off, by reason", "reason", "behind");
      close();
      return;
    }
    st.opening = false;
    std::string chunk;
    for (const auto& e : slice.events) {
      st.cursor = e->position;
      if (st.wants(*e))
        chunk += e->frame;
    }
    st.strict = true;
    if (!chunk.empty())
      queue_stream(chunk);
    if (slice.events.size() < pull_batch)
      break;
  }
  flush_stream();
}

void session::queue_stream(std::string_view bytes) {
  if (bytes.empty())
    return;
  char size[20];
  auto n = std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
  auto& out = stream_->out;
  out.append(size, static_cast<size_t>(n));
  out += bytes;
  out += "\r\n";
}

void session::flush_stream() {
  auto& st = *stream_;
  if (st.busy || st.out.empty() || phase_ != phase::streaming)
    return;
  st.writing.clear();
  st.writing.swap(st.out);
  st.busy = true;
  asio::async_write(socket_, asio::buffer(st.writing),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      if (self->phase_ != phase::streaming || !self->stream_)
                        return;
                      auto& s = *self->stream_;
                      s.busy = false;
                      s.last_write = clock::now();
                      if (ec) {
                        self->close();
                        return;
                      }
                      if (s.ending && s.out.empty()) {
                        beast::error_code ignored;
                        self->socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
                        self->close();
                        return;
                      }
                      self->flush_stream();
                    });
}

void session::stream_heartbeat(clock::time_point now) {
  if (phase_ != phase::streaming || !stream_ || stream_->busy)
    return;
  if (now - stream_->last_write >= std::chrono::milliseconds{core_.deps.sse.heartbeat_ms}) {
    queue_stream(": keep-alive\n\n");
    flush_stream();
  }
}

void session::end_stream() {
  if (phase_ != phase::streaming || !stream_ || stream_->ending)
    return;
  stream_->ending = true;
  stream_->out += "0\r\n\r\n"; // the last chunk: a clean end, the client reconnects
  flush_stream();
}

void session::watch_peer() {
  // Nothing is expected from the client; a read ending means it left.
  socket_.async_read_some(asio::buffer(discard_),
                          [self = shared_from_this()](beast::error_code ec, size_t) {
                            if (self->phase_ != phase::streaming)
                              return;
                            if (ec)
                              self->close();
                            else
                              self->watch_peer();
                          });
}

} // namespace weft::http
