#include "tests/support/nats_raw.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <stdexcept>

namespace weft::test {

namespace {

using steady = std::chrono::steady_clock;

std::vector<std::string> split_ws(const std::string& line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
      ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t')
      ++j;
    if (j > i)
      out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
    ++i;
  return s.substr(i);
}

} // namespace

nats_raw_client::nats_raw_client(uint16_t port, std::chrono::milliseconds timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0)
    throw std::runtime_error("nats_raw_client: socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("nats_raw_client: cannot connect to port " + std::to_string(port));
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::random_device rd;
  inbox_prefix_ = "_INBOX.weft-test-" + std::to_string(rd()) + std::to_string(rd());
  send_raw("CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true,\"no_responders\":true,"
           "\"lang\":\"weft-test\",\"version\":\"0\",\"protocol\":1}\r\n");
  if (!flush(timeout))
    throw std::runtime_error("nats_raw_client: no PONG after CONNECT (" + last_error_ + ")");
  int sid = next_sid_++;
  reply_sids_[sid] = true;
  send_raw("SUB " + inbox_prefix_ + ".> " + std::to_string(sid) + "\r\n");
}

nats_raw_client::~nats_raw_client() {
  if (fd_ >= 0)
    ::close(fd_);
}

void nats_raw_client::send_raw(const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    auto n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      throw std::runtime_error(std::string("nats_raw_client: send failed: ") + std::strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
}

int nats_raw_client::subscribe(const std::string& subject) {
  int sid = next_sid_++;
  send_raw("SUB " + subject + " " + std::to_string(sid) + "\r\n");
  return sid;
}

void nats_raw_client::publish(const std::string& subject, const std::string& payload,
                              const std::map<std::string, std::string>& headers, const std::string& reply) {
  std::string rp = reply.empty() ? std::string() : reply + " ";
  if (headers.empty()) {
    send_raw("PUB " + subject + " " + rp + std::to_string(payload.size()) + "\r\n" + payload + "\r\n");
    return;
  }
  std::string hdr = "NATS/1.0\r\n";
  for (auto& [k, v] : headers)
    hdr += k + ": " + v + "\r\n";
  hdr += "\r\n";
  send_raw("HPUB " + subject + " " + rp + std::to_string(hdr.size()) + " "
           + std::to_string(hdr.size() + payload.size()) + "\r\n" + hdr + payload + "\r\n");
}

bool nats_raw_client::flush(std::chrono::milliseconds deadline) {
  int want = pongs_ + 1;
  send_raw("PING\r\n");
  return pump([&] { return pongs_ >= want; }, deadline);
}

std::optional<nats_msg> nats_raw_client::next(std::chrono::milliseconds deadline) {
  if (!pump([&] { return !msgs_.empty(); }, deadline))
    return std::nullopt;
  auto m = std::move(msgs_.front());
  msgs_.pop_front();
  return m;
}

std::optional<nats_msg> nats_raw_client::request(const std::string& subject, const std::string& payload,
                                                 const std::map<std::string, std::string>& headers,
                                                 std::chrono::milliseconds deadline) {
  auto reply = inbox_prefix_ + "." + std::to_string(next_inbox_++);
  publish(subject, payload, headers, reply);
  if (!pump([&] { return replies_.count(reply) > 0; }, deadline))
    return std::nullopt;
  auto m = std::move(replies_[reply]);
  replies_.erase(reply);
  return m;
}

nlohmann::json nats_raw_client::js_publish(const std::string& subject, const std::string& payload,
                                           const std::map<std::string, std::string>& headers,
                                           std::chrono::milliseconds deadline) {
  auto m = request(subject, payload, headers, deadline);
  if (!m)
    return nlohmann::json(nlohmann::json::value_t::discarded);
  return nlohmann::json::parse(m->payload, nullptr, false);
}

nlohmann::json nats_raw_client::js_api(const std::string& api, const nlohmann::json& body,
                                       std::chrono::milliseconds deadline) {
  auto m = request("$JS.API." + api, body.dump(), {}, deadline);
  if (!m)
    return nlohmann::json(nlohmann::json::value_t::discarded);
  return nlohmann::json::parse(m->payload, nullptr, false);
}

bool nats_raw_client::pump(const std::function<bool()>& done, std::chrono::milliseconds deadline) {
  auto until = steady::now() + deadline;
  for (;;) {
    while (parse_one()) {
    }
    if (done())
      return true;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - steady::now());
    if (left.count() <= 0)
      return false;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      continue; // the deadline check above ends it
    char tmp[65536];
    auto n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      last_error_ = "connection closed";
      return false;
    }
    buf_.append(tmp, static_cast<size_t>(n));
  }
}

bool nats_raw_client::parse_one() {
  auto eol = buf_.find("\r\n");
  if (eol == std::string::npos)
    return false;
  std::string line = buf_.substr(0, eol);
  auto words = split_ws(line);
  if (words.empty()) {
    buf_.erase(0, eol + 2);
    return true;
  }
  const auto& op = words[0];
  if (op == "PING") {
    buf_.erase(0, eol + 2);
    send_raw("PONG\r\n");
    return true;
  }
  if (op == "PONG") {
    buf_.erase(0, eol + 2);
    ++pongs_;
    return true;
  }
  if (op == "MSG" || op == "HMSG") {
    bool with_headers = op == "HMSG";
    // MSG subject sid [reply] size / HMSG subject sid [reply] hsize size
    size_t fixed = with_headers ? 5 : 4;
    if (words.size() != fixed && words.size() != fixed + 1)
      throw std::runtime_error("nats_raw_client: bad line: " + line);
    bool has_reply = words.size() == fixed + 1;
    size_t total = std::stoul(words.back());
    size_t hsize = with_headers ? std::stoul(words[words.size() - 2]) : 0;
    if (buf_.size() < eol + 2 + total + 2)
      return false; // body not complete yet
    std::string body = buf_.substr(eol + 2, total);
    buf_.erase(0, eol + 2 + total + 2);
    nats_msg m;
    m.subject = words[1];
    int sid = std::stoi(words[2]);
    if (has_reply)
      m.reply = words[3];
    if (with_headers) {
      std::string h = body.substr(0, hsize);
      m.payload = body.substr(hsize);
      size_t pos = 0;
      bool first = true;
      while (pos < h.size()) {
        auto e = h.find("\r\n", pos);
        if (e == std::string::npos)
          e = h.size();
        std::string l = h.substr(pos, e - pos);
        pos = e + 2;
        if (first) {
          m.status_line = trim(l);
          first = false;
          continue;
        }
        if (l.empty())
          continue;
        auto colon = l.find(':');
        if (colon == std::string::npos)
          continue;
        auto k = trim(l.substr(0, colon));
        if (!m.headers.count(k))
          m.headers[k] = trim(l.substr(colon + 1));
      }
    } else {
      m.payload = std::move(body);
    }
    if (reply_sids_.count(sid))
      replies_[m.subject] = std::move(m);
    else
      msgs_.push_back(std::move(m));
    return true;
  }
  if (op == "-ERR")
    last_error_ = line;
  // INFO, +OK, -ERR and anything else: one line.
  buf_.erase(0, eol + 2);
  return true;
}

} // namespace weft::test
