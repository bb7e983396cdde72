#include "tests/support/sse_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace weft::test {

using clock = std::chrono::steady_clock;

sse_client::sse_client(uint16_t port, std::string target, http_headers headers, int receive_buffer) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0)
    throw std::runtime_error("sse_client: socket");
  if (receive_buffer > 0)
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    throw std::runtime_error("sse_client: cannot connect");
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
  for (auto& [k, v] : headers.fields())
    req += k + ": " + v + "\r\n";
  req += "\r\n";
  size_t sent = 0;
  while (sent < req.size()) {
    auto n = ::send(fd_, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0)
      throw std::runtime_error("sse_client: send");
    sent += static_cast<size_t>(n);
  }
}

sse_client::~sse_client() {
  if (fd_ >= 0)
    ::close(fd_);
}

bool sse_client::fill(clock::time_point until) {
  if (ended_)
    return false;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now()).count();
  if (left < 0)
    left = 0;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left)) <= 0)
    return false;
  char buf[16384];
  auto n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    ended_ = true;
    return false;
  }
  raw_.append(buf, static_cast<size_t>(n));
  return true;
}

bool sse_client::open(std::chrono::milliseconds deadline) {
  auto until = clock::now() + deadline;
  size_t end;
  while ((end = raw_.find("\r\n\r\n")) == std::string::npos)
    if (!fill(until))
      return false;
  auto head = raw_.substr(0, end);
  raw_.erase(0, end + 4);
  auto line_end = head.find("\r\n");
  auto status_line = head.substr(0, line_end);
  status_ = std::stoi(status_line.substr(9, 3));
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    auto e = head.find("\r\n", pos);
    if (e == std::string::npos)
      e = head.size();
    auto line = head.substr(pos, e - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      auto v = line.substr(colon + 1);
      while (!v.empty() && v.front() == ' ')
        v.erase(0, 1);
      headers_.add(line.substr(0, colon), v);
    }
    pos = e + 2;
  }
  chunked_ = iequals(header("Transfer-Encoding"), "chunked");
  if (status_ != 200) {
    auto len = header("Content-Length");
    size_t want = len.empty() ? 0 : std::stoul(len);
    while (raw_.size() < want && fill(until)) {
    }
    body_ = raw_.substr(0, want);
  }
  return true;
}

void sse_client::parse() {
  // De-chunk what is complete.
  if (chunked_) {
    for (;;) {
      auto crlf = raw_.find("\r\n");
      if (crlf == std::string::npos)
        break;
      auto size = std::stoul(raw_.substr(0, crlf), nullptr, 16);
      if (size == 0) {
        last_chunk_ = true;
        ended_ = true;
        raw_.clear();
        break;
      }
      if (raw_.size() < crlf + 2 + size + 2)
        break;
      text_ += raw_.substr(crlf + 2, size);
      raw_.erase(0, crlf + 2 + size + 2);
    }
  } else {
    text_ += raw_;
    raw_.clear();
  }
  // Lines, per the SSE parsing rules (LF endings are what Weft sends).
  size_t nl;
  while ((nl = text_.find('\n')) != std::string::npos) {
    auto line = text_.substr(0, nl);
    text_.erase(0, nl + 1);
    if (line.empty()) {
      if (has_field_)
        ready_.push_back(building_);
      building_ = {};
      has_field_ = false;
      continue;
    }
    if (line.front() == ':') {
      comments_++;
      continue;
    }
    auto colon = line.find(':');
    auto field = line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ')
      value.erase(0, 1);
    if (field == "id") {
      building_.id = value;
      has_field_ = true;
    } else if (field == "event") {
      building_.event = value;
      has_field_ = true;
    } else if (field == "data") {
      building_.data += (building_.data.empty() ? "" : "\n") + value;
      has_field_ = true;
    } else if (field == "retry") {
      retry_ = static_cast<uint32_t>(std::stoul(value));
    }
  }
}

std::optional<sse_event> sse_client::next(std::chrono::milliseconds deadline) {
  auto until = clock::now() + deadline;
  for (;;) {
    parse();
    if (!ready_.empty()) {
      auto e = ready_.front();
      ready_.erase(ready_.begin());
      return e;
    }
    if (!fill(until))
      return std::nullopt;
  }
}

bool sse_client::comment(std::chrono::milliseconds deadline) {
  auto until = clock::now() + deadline;
  int before = comments_;
  for (;;) {
    parse();
    if (comments_ > before)
      return true;
    if (!fill(until))
      return false;
  }
}

bool sse_client::wait_end(std::chrono::milliseconds deadline) {
  auto until = clock::now() + deadline;
  for (;;) {
    parse();
    if (ended_)
      return true;
    if (!fill(until) && !ended_ && clock::now() >= until)
      return false;
  }
}

} // namespace weft::test
