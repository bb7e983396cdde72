// Raw bytes on a real connection to the real HTTP server (sessions, Beast's
// parser, pipelining, chunked bodies, the edge's checks, the gateways; the
// echo node of the adapter's tests): the input is written as it is, the
// write side shut, and everything read until the server closes.
// Properties: no crash; every answer starts with an HTTP/1.1 status line;
// the server answers or closes in bounded time (a hang is a finding).
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "tests/fuzz/fuzz_check.hpp"
#include "tests/unit/adapters/http/server_fixture.hpp"

using namespace weft::http::test;

namespace {

server_fixture& node() {
  // Never destroyed: libFuzzer ends the process with exit().
  static auto* f = new server_fixture(1, [](weft::config::http_section& s) {
    s.request_timeout_ms = 50;
    s.body_limit = 4096;
  });
  return *f;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto port = node().port;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // A refused connect now and then is the machine (a full accept queue,
  // ports in TIME_WAIT), seen once in a 60 s run; one that lasts 5 s means
  // the listener is gone: a finding.
  int fd = -1;
  for (int attempt = 0; fd < 0 && attempt < 250; ++attempt) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    FUZZ_CHECK(fd >= 0);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      fd = -1;
      ::usleep(20000);
    }
  }
  FUZZ_CHECK(fd >= 0);
  // The server may close before reading everything (a bad request): a
  // failed send is an answer too.
  size_t sent = 0;
  while (sent < size) {
    auto n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n <= 0)
      break;
    sent += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string answer;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      until - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      std::fprintf(stderr, "the server neither answered nor closed within 10 s\n");
      FUZZ_CHECK(false);
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      continue;
    char buf[8192];
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0)
      break;
    answer.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (!answer.empty())
    FUZZ_CHECK(answer.rfind("HTTP/1.1 ", 0) == 0);
  return 0;
}
