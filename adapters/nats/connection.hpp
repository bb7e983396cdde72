#pragma once

#include <nats/nats.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include <caf/actor.hpp>
#include <caf/expected.hpp>

#include "adapters/nats/jetstream_bus.hpp"

// Internal: the NATS connection and JetStream context shared by the bus
// actor, its fetch threads and the owner (jetstream_bus). Callbacks run on
// NATS threads: they only flip atomics, count metrics and anon_send.
namespace weft::nats {

/// `Timeout: no reply in time (10008)`: a NATS status with the last error text.
std::string status_text(natsStatus s, jsErrCode jerr = static_cast<jsErrCode>(0));

/// An error value for the port: api_errc::unavailable with `what: reason`.
caf::error unavailable(const std::string& what);

/// The connection, owned by jetstream_bus and outliving every user of it.
class connection {
public:
  explicit connection(jetstream_options opts);
  ~connection(); ///< closes and waits for the closed callback (never on a NATS thread)
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Starts connecting (retrying in the background if the server is down).
  caf::error open();

  /// Waits until connected or `deadline_ms` passed (caller's thread).
  bool wait_connected(uint32_t deadline_ms);

  /// js_AddStream, or js_UpdateStream if it exists. Blocks (a request).
  caf::error ensure_stream();

  /// Where PubAcks go (set before the first publish).
  void set_sink(caf::actor sink);

  /// Closes the connection now (idempotent; caller's thread, not NATS').
  void close();

  natsConnection* nc() const { return nc_; }
  jsCtx* js() const { return js_; }
  const jetstream_options& opts() const { return opts_; }
  bool connected() const { return connected_->load(); }
  std::shared_ptr<std::atomic<bool>> connected_flag() const { return connected_; }

private:
  static void on_connected(natsConnection*, void* closure);
  static void on_disconnected(natsConnection*, void* closure);
  static void on_reconnected(natsConnection*, void* closure);
  static void on_closed(natsConnection*, void* closure);
  static void on_error(natsConnection*, natsSubscription*, natsStatus, void* closure);
  static void on_puback(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure);
  void set_connected(bool up);

  jetstream_options opts_;
  natsOptions* nopts_ = nullptr;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  std::shared_ptr<std::atomic<bool>> connected_ = std::make_shared<std::atomic<bool>>(false);
  /// Written once at start, read by every PubAck on libnats's threads: the
  /// lock makes that order visible whatever thread set it (the first TSan
  /// run reported the write and the reads as racing).
  std::mutex sink_mtx_;
  caf::actor sink_;
  std::mutex mtx_;
  std::condition_variable cv_;
  bool closed_ = false;
  std::atomic<bool> closing_{false};
  bool ever_connected_ = false;
};

} // namespace weft::nats
