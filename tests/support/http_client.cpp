#include "tests/support/http_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace weft::test {

using clock = std::chrono::steady_clock;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

void http_headers::set(const std::string& name, std::string value) {
  fields_.erase(std::remove_if(fields_.begin(), fields_.end(), [&](auto& f) { return iequals(f.first, name); }),
                fields_.end());
  fields_.emplace_back(name, std::move(value));
}

std::optional<std::string> http_headers::get(std::string_view name) const {
  for (auto& [k, v] : fields_)
    if (iequals(k, name))
      return v;
  return std::nullopt;
}

std::vector<std::string> http_headers::all(std::string_view name) const {
  std::vector<std::string> out;
  for (auto& [k, v] : fields_)
    if (iequals(k, name))
      out.push_back(v);
  return out;
}

nlohmann::json http_response::json() const {
  return nlohmann::json::parse(body);
}

nlohmann::json http_response::json_or_null() const {
  return nlohmann::json::parse(body, nullptr, false);
}

http_headers bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

namespace {

std::string errno_text(const char* what, int err) {
  return std::string(what) + ": " + std::strerror(err);
}

int remaining_ms(clock::time_point until) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// Connects with a deadline; the fd or -1 with `err` set.
int connect_to(const std::string& host, uint16_t port, clock::time_point until, std::string& err) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  auto port_s = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), port_s.c_str(), &hints, &res); rc != 0) {
    err = std::string("resolve: ") + ::gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (auto* ai = res; ai != nullptr; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0)
      continue;
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int pr = ::poll(&p, 1, remaining_ms(until));
      if (pr <= 0) {
        err = "connect: timeout";
        ::close(fd);
        fd = -1;
        continue;
      }
      int so = 0;
      socklen_t len = sizeof so;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &len);
      rc = so == 0 ? 0 : -1;
      errno = so;
    }
    if (rc == 0)
      break;
    err = errno_text("connect", errno);
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  if (fd >= 0) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd;
}

// Reads more bytes into buf; false on EOF/error/timeout (err says which).
bool read_more(int fd, std::string& buf, clock::time_point until, std::string& err) {
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int pr = ::poll(&p, 1, remaining_ms(until));
    if (pr < 0 && errno == EINTR)
      continue;
    if (pr == 0) {
      err = "receive: timeout";
      return false;
    }
    char tmp[16384];
    ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n > 0) {
      buf.append(tmp, static_cast<size_t>(n));
      return true;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    err = n == 0 ? "receive: connection closed" : errno_text("receive", errno);
    return false;
  }
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return std::string(s);
}

} // namespace

http_client::http_client(std::string host, uint16_t port, bool keep_alive, std::chrono::milliseconds timeout)
  : host_(std::move(host)), port_(port), keep_alive_(keep_alive), timeout_(timeout) {}

http_client::~http_client() {
  close();
}

http_client::http_client(http_client&& other) noexcept
  : host_(std::move(other.host_)), port_(other.port_), keep_alive_(other.keep_alive_),
    timeout_(other.timeout_), fd_(other.fd_) {
  other.fd_ = -1;
}

void http_client::close() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

http_response http_client::request(const http_request& req) {
  bool reused = fd_ >= 0;
  auto resp = exchange(req, reused);
  // A kept-alive connection the server closed while idle: try once afresh.
  if (reused && retryable_) {
    close();
    resp = exchange(req, false);
  }
  return resp;
}

http_response http_client::exchange(const http_request& req, bool reused) {
  http_response resp;
  retryable_ = false;
  auto until = clock::now() + timeout_;
  if (fd_ < 0) {
    fd_ = connect_to(host_, port_, until, resp.error);
    if (fd_ < 0) {
      resp.connect_failed = true;
      return resp;
    }
  }

  std::string head = req.method + " " + req.target + " HTTP/1.1\r\n";
  if (!req.headers.has("Host"))
    head += "Host: " + host_ + ":" + std::to_string(port_) + "\r\n";
  if (!req.headers.has("Content-Length") && !req.headers.has("Transfer-Encoding")
      && (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH"))
    head += "Content-Length: " + std::to_string(req.body.size()) + "\r\n";
  if (!req.headers.has("Connection"))
    head += keep_alive_ ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  for (auto& [k, v] : req.headers.fields())
    head += k + ": " + v + "\r\n";
  head += "\r\n";
  std::string out = head + req.body;

  // Send, but stop as soon as the server answers (e.g. 413 before reading a
  // large body): poll for both directions.
  std::string in;
  size_t sent = 0;
  bool send_failed = false;
  while (sent < out.size()) {
    pollfd p{fd_, POLLOUT | POLLIN, 0};
    int pr = ::poll(&p, 1, remaining_ms(until));
    if (pr < 0 && errno == EINTR)
      continue;
    if (pr == 0) {
      resp.error = "send: timeout";
      close();
      return resp;
    }
    if (p.revents & POLLIN)
      break; // an early answer
    ssize_t n = ::send(fd_, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN)
        continue;
      resp.error = errno_text("send", errno);
      send_failed = true;
      break; // the answer may still be readable
    }
    sent += static_cast<size_t>(n);
  }
  bool partial_send = sent < out.size();
  if (!partial_send && req.after_send)
    req.after_send();

  // Status line and headers.
  size_t header_end;
  std::string err;
  while ((header_end = in.find("\r\n\r\n")) == std::string::npos) {
    if (!read_more(fd_, in, until, err)) {
      resp.error = send_failed ? resp.error + "; " + err : err;
      retryable_ = in.empty() && reused;
      close();
      return resp;
    }
  }
  resp.error.clear();
  std::string_view hv(in.data(), header_end);
  auto line_end = hv.find("\r\n");
  std::string_view status_line = hv.substr(0, line_end);
  auto sp = status_line.find(' ');
  if (sp == std::string_view::npos || status_line.substr(0, 5) != "HTTP/") {
    resp.error = "bad status line: " + std::string(status_line);
    close();
    return resp;
  }
  resp.status = std::atoi(std::string(status_line.substr(sp + 1, 3)).c_str());
  size_t pos = line_end == std::string_view::npos ? hv.size() : line_end + 2;
  while (pos < hv.size()) {
    auto e = hv.find("\r\n", pos);
    if (e == std::string_view::npos)
      e = hv.size();
    auto line = hv.substr(pos, e - pos);
    auto colon = line.find(':');
    if (colon != std::string_view::npos)
      resp.headers.add(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
    pos = e + 2;
  }
  std::string rest = in.substr(header_end + 4);

  // Body.
  bool no_body = req.method == "HEAD" || resp.status == 204 || resp.status == 304
                 || (resp.status >= 100 && resp.status < 200);
  auto te = resp.headers.get("Transfer-Encoding");
  auto cl = resp.headers.get("Content-Length");
  bool until_close = false;
  if (no_body) {
  } else if (te && te->find("chunked") != std::string::npos) {
    std::string body;
    size_t p = 0;
    for (;;) {
      size_t le;
      while ((le = rest.find("\r\n", p)) == std::string::npos)
        if (!read_more(fd_, rest, until, resp.error)) {
          close();
          return resp;
        }
      size_t size = std::strtoul(rest.substr(p, le - p).c_str(), nullptr, 16);
      p = le + 2;
      if (size == 0) {
        // Trailers end with an empty line.
        while (rest.find("\r\n", p) == std::string::npos)
          if (!read_more(fd_, rest, until, resp.error)) {
            close();
            return resp;
          }
        break;
      }
      while (rest.size() < p + size + 2)
        if (!read_more(fd_, rest, until, resp.error)) {
          close();
          return resp;
        }
      body.append(rest, p, size);
      p += size + 2;
    }
    resp.body = std::move(body);
  } else if (cl) {
    size_t n = std::strtoul(cl->c_str(), nullptr, 10);
    while (rest.size() < n)
      if (!read_more(fd_, rest, until, resp.error)) {
        close();
        return resp;
      }
    resp.body = rest.substr(0, n);
  } else {
    until_close = true;
    std::string e;
    while (read_more(fd_, rest, until, e)) {
    }
    if (e.find("timeout") != std::string::npos) {
      resp.error = e;
      close();
      return resp;
    }
    resp.body = std::move(rest);
  }

  auto conn = resp.headers.get("Connection");
  if (!keep_alive_ || until_close || partial_send || send_failed || (conn && iequals(*conn, "close")))
    close();
  return resp;
}

http_response http_client::get(const std::string& target, http_headers headers) {
  return request({"GET", target, std::move(headers), {}, {}});
}

http_response http_client::del(const std::string& target, http_headers headers) {
  return request({"DELETE", target, std::move(headers), {}, {}});
}

http_response http_client::post(const std::string& target, const nlohmann::json& body, http_headers headers) {
  return send("POST", target, body.dump(), "application/json", std::move(headers));
}

http_response http_client::put(const std::string& target, const nlohmann::json& body, http_headers headers) {
  return send("PUT", target, body.dump(), "application/json", std::move(headers));
}

http_response http_client::send(const std::string& method, const std::string& target, std::string body,
                                const std::string& content_type, http_headers headers) {
  if (!content_type.empty() && !headers.has("Content-Type"))
    headers.add("Content-Type", content_type);
  return request({method, target, std::move(headers), std::move(body), {}});
}

} // namespace weft::test
