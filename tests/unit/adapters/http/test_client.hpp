#pragma once

#include <utility> // before Asio: Boost 1.74 + g++12

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <nlohmann/json.hpp>

// A deliberately dumb blocking HTTP/1.1 client for the adapter tests: it
// writes raw bytes (so tests can send anything) and parses the answer with
// Beast.
namespace weft::http::test {

struct reply {
  int status = 0;
  std::map<std::string, std::string> headers; ///< lower-case names
  std::string body;

  std::string header(const std::string& lower_name) const {
    auto i = headers.find(lower_name);
    return i == headers.end() ? std::string{} : i->second;
  }
  nlohmann::json json() const {
    return nlohmann::json::parse(body, nullptr, false);
  }
};

class connection {
public:
  explicit connection(uint16_t port) : socket_(ioc_) {
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  }

  /// Writes `raw` as is; write errors are ignored (the server may refuse early).
  void send(const std::string& raw) {
    boost::system::error_code ec;
    boost::asio::write(socket_, boost::asio::buffer(raw), ec);
  }

  /// Reads one response; nullopt when the connection closed or broke.
  std::optional<reply> read() {
    boost::beast::http::response_parser<boost::beast::http::string_body> parser;
    parser.body_limit(std::uint64_t{64} << 20); // not boost::none: Beast 1.74 then rejects every Content-Length
    boost::system::error_code ec;
    boost::beast::http::read(socket_, buffer_, parser, ec);
    if (ec) {
      last_error = ec.message();
      return std::nullopt;
    }
    reply r;
    auto& msg = parser.get();
    r.status = msg.result_int();
    for (auto& f : msg) {
      std::string name{f.name_string().data(), f.name_string().size()};
      for (auto& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = std::string{f.value().data(), f.value().size()};
    }
    r.body = msg.body();
    return r;
  }

  /// True once the server closed the connection (reads EOF).
  bool closed_by_peer() {
    char c;
    boost::system::error_code ec;
    socket_.read_some(boost::asio::buffer(&c, 1), ec);
    return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
  }

  std::string last_error; ///< of the last failed read

private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

/// Builds a request; adds Host and, for bodies, Content-Length.
inline std::string make_request(const std::string& method, const std::string& target,
                                std::map<std::string, std::string> headers = {},
                                const std::string& body = {}) {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: test\r\n";
  for (auto& [k, v] : headers)
    out += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "\r\n" + body;
  return out;
}

/// One request on a fresh connection.
inline reply roundtrip(uint16_t port, const std::string& raw) {
  connection c{port};
  c.send(raw);
  auto r = c.read();
  if (!r) {
    reply failed;
    failed.body = "read failed: " + c.last_error;
    return failed;
  }
  return *r;
}

/// Polls `pred` until true or `timeout`: waiting on a condition, not a sleep.
inline bool wait_until(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::seconds{5}) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::yield();
  }
  return true;
}

} // namespace weft::http::test
