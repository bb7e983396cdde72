#include "tests/support/http_receiver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <sstream>
#include <stdexcept>

namespace weft::test {

http_receiver::http_receiver(std::function<receiver_answer(size_t, const received_request&)> policy)
  : policy_(std::move(policy)) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 64) != 0)
    throw std::runtime_error("http_receiver: cannot listen");
  socklen_t len = sizeof a;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  thread_ = std::thread{[this] { run(); }};
}

http_receiver::~http_receiver() {
  stop_ = true;
  if (thread_.joinable())
    thread_.join();
  ::close(fd_);
}

std::vector<received_request> http_receiver::requests() const {
  std::lock_guard<std::mutex> lk{mtx_};
  return seen_;
}

size_t http_receiver::count() const {
  std::lock_guard<std::mutex> lk{mtx_};
  return seen_.size();
}

bool http_receiver::wait_count(size_t n, std::chrono::milliseconds deadline) const {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (count() < n) {
    if (std::chrono::steady_clock::now() > until)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{5}); // polling a condition, with a deadline
  }
  return true;
}

void http_receiver::run() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0)
      continue;
    int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0)
      continue;
    std::string in;
    char buf[16384];
    size_t head_end = std::string::npos;
    size_t want = 0;
    bool ok = true;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds{5};
    for (;;) {
      if (head_end != std::string::npos && in.size() >= head_end + 4 + want)
        break;
      pollfd q{c, POLLIN, 0};
      if (std::chrono::steady_clock::now() > until || ::poll(&q, 1, 100) < 0) {
        ok = false;
        break;
      }
      if (!(q.revents & POLLIN))
        continue;
      auto n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) {
        ok = false;
        break;
      }
      in.append(buf, static_cast<size_t>(n));
      if (head_end == std::string::npos && (head_end = in.find("\r\n\r\n")) != std::string::npos) {
        auto head = in.substr(0, head_end);
        std::string lower = head;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        auto cl = lower.find("content-length:");
        if (cl != std::string::npos)
          want = std::stoul(head.substr(cl + 15));
      }
    }
    if (!ok) {
      ::close(c);
      continue;
    }
    received_request r;
    r.at = std::chrono::steady_clock::now();
    std::istringstream head{in.substr(0, head_end)};
    std::string line;
    std::getline(head, line);
    std::istringstream first{line};
    first >> r.method >> r.target;
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      auto colon = line.find(':');
      if (colon == std::string::npos)
        continue;
      auto name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      auto value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ')
        value.erase(0, 1);
      r.headers[name] = value;
    }
    r.body = in.substr(head_end + 4, want);
    size_t n;
    {
      std::lock_guard<std::mutex> lk{mtx_};
      n = seen_.size();
    }
    auto answer = policy_(n, r);
    {
      std::lock_guard<std::mutex> lk{mtx_};
      seen_.push_back(std::move(r));
    }
    std::string out = "HTTP/1.1 " + std::to_string(answer.status) + " X\r\nContent-Length: 0\r\n"
                      "Connection: close\r\n";
    for (auto& [k, v] : answer.headers)
      out += k + ": " + v + "\r\n";
    out += "\r\n";
    ::send(c, out.data(), out.size(), MSG_NOSIGNAL);
    ::close(c);
  }
}

namespace {

std::string b64(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  auto len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  return out;
}

} // namespace

bool verify_standard_webhook(const std::string& secret, const std::string& id,
                             const std::string& timestamp, const std::string& body,
                             const std::string& signature_header) {
  if (secret.rfind("whsec_", 0) != 0)
    return false;
  auto text = secret.substr(6);
  std::string key(3 * text.size() / 4, '\0');
  auto n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(key.data()),
                           reinterpret_cast<const unsigned char*>(text.data()),
                           static_cast<int>(text.size()));
  if (n < 0)
    return false;
  key.resize(static_cast<size_t>(n) - static_cast<size_t>(std::count(text.begin(), text.end(), '=')));
  auto content = id + "." + timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &len);
  auto want = "v1," + b64(mac, len);
  std::istringstream sigs{signature_header};
  std::string one;
  while (sigs >> one)
    if (one == want)
      return true;
  return false;
}

} // namespace weft::test
