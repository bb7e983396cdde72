#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// The NATS client protocol over a plain TCP socket, for system tests that act
// as "any NATS client": publish raw bytes (not JSON, half a CloudEvent) onto
// the stream's subjects, subscribe to dead letters and read their headers,
// and ask the JetStream API ($JS.API.*) about the stream. Blocking, one
// connection, no reconnect; every wait has a deadline.
namespace weft::test {

struct nats_msg {
  std::string subject;
  std::string reply;
  std::map<std::string, std::string> headers; ///< first value of each name, as sent
  std::string status_line;                    ///< "NATS/1.0" or "NATS/1.0 503" (HMSG only)
  std::string payload;
};

class nats_raw_client {
public:
  /// Connects to 127.0.0.1:port, reads INFO, sends CONNECT (headers on) and
  /// waits for the PONG; throws std::runtime_error on failure.
  explicit nats_raw_client(uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~nats_raw_client();
  nats_raw_client(const nats_raw_client&) = delete;
  nats_raw_client& operator=(const nats_raw_client&) = delete;

  /// SUB subject sid; the sid is returned.
  int subscribe(const std::string& subject);
  /// PUB (or HPUB when headers are given).
  void publish(const std::string& subject, const std::string& payload,
               const std::map<std::string, std::string>& headers = {}, const std::string& reply = {});
  /// PING and wait for the PONG: everything sent before has been processed
  /// by the server. Messages that arrive meanwhile are kept for next().
  bool flush(std::chrono::milliseconds deadline = std::chrono::seconds(5));
  /// The next message of any subscription (except request replies), or
  /// nullopt at the deadline.
  std::optional<nats_msg> next(std::chrono::milliseconds deadline);
  /// Publishes with a fresh reply subject and waits for the one answer.
  std::optional<nats_msg> request(const std::string& subject, const std::string& payload,
                                  const std::map<std::string, std::string>& headers = {},
                                  std::chrono::milliseconds deadline = std::chrono::seconds(5));
  /// A JetStream publish (request on a stream subject): the PubAck JSON
  /// ({"stream":..,"seq":..} or {"error":..}); discarded if no answer came.
  nlohmann::json js_publish(const std::string& subject, const std::string& payload,
                            const std::map<std::string, std::string>& headers = {},
                            std::chrono::milliseconds deadline = std::chrono::seconds(5));
  /// `$JS.API.<api>` with a JSON body: the JSON answer (discarded on timeout).
  nlohmann::json js_api(const std::string& api, const nlohmann::json& body = nlohmann::json::object(),
                        std::chrono::milliseconds deadline = std::chrono::seconds(5));

private:
  void send_raw(const std::string& bytes);
  /// Reads and parses what arrives until `done` or the deadline.
  bool pump(const std::function<bool()>& done, std::chrono::milliseconds deadline);
  /// Parses complete protocol lines/messages out of buf_; false if incomplete.
  bool parse_one();

  int fd_ = -1;
  std::string buf_;
  std::deque<nats_msg> msgs_;
  std::map<int, bool> reply_sids_;
  std::map<std::string, nats_msg> replies_;
  int pongs_ = 0;
  int next_sid_ = 1;
  uint64_t next_inbox_ = 1;
  std::string inbox_prefix_;
  std::string last_error_;
};

} // namespace weft::test
