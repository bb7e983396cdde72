#pragma once

#include <utility> // before Asio: Boost 1.74 + g++12 (notes §3)

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <caf/actor.hpp>

#include "adapters/http/http_server.hpp"
#include "adapters/http/route_table.hpp"

// Internals shared by the listener, the workers and the sessions.
namespace weft::http {

class session;

// Sockets and timers bound to io_context's concrete executor: no
// type-erased any_io_executor on the request path.
using io_executor = boost::asio::io_context::executor_type;
using tcp_socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, io_executor>;
using io_timer = boost::asio::basic_waitable_timer<
  std::chrono::steady_clock, boost::asio::wait_traits<std::chrono::steady_clock>, io_executor>;

/// Read-only after start, except for the counters.
struct server_core {
  config::http_section settings;
  server_deps deps;
  route_table routes;
  std::string openapi_body; ///< generated once
  std::string version_body; ///< generated once
  std::string services_body; ///< GET /v1/services, generated once
  std::string asyncapi_body; ///< GET /v1/asyncapi.json, generated once
  const service_slot* api_keys = nullptr; ///< resolves X-API-Key; null: rejected
  std::chrono::milliseconds request_timeout{5000};
  std::chrono::milliseconds keep_alive{60000};

  std::atomic<std::size_t> in_flight{0};
  std::atomic<std::size_t> streams{0};  ///< open Server-Sent Events streams
  std::atomic<bool> closing{false};  ///< stop_accepting was called
  std::atomic<bool> draining{false}; ///< someone waits in drain()
  std::mutex drain_mtx;
  std::condition_variable drain_cv;

  /// A request was read completely.
  void request_started() noexcept {
    in_flight.fetch_add(1, std::memory_order_relaxed);
  }

  /// Its response was written (or its connection died).
  void request_done() {
    // Only a drain() waiter needs a wake-up; nobody locks otherwise.
    if (in_flight.fetch_sub(1) == 1 && draining.load()) {
      std::lock_guard<std::mutex> guard{drain_mtx};
      drain_cv.notify_all();
    }
  }
};

/// One I/O thread with its own io_context: its sessions live and die on it,
/// so they need no strands or locks. Owns one gateway actor.
class io_worker {
public:
  explicit io_worker(server_core& core);
  ~io_worker();

  /// Starts the idle sweep and the thread.
  void start();

  /// Closes every session, waits for that, stops and joins. Any thread but
  /// this worker's.
  void stop();

  /// Closes the idle sessions and counts those still in a request. Any
  /// thread but this worker's.
  std::size_t close_idle_sessions();

  /// Session registry, I/O thread only.
  void attach(session* s);
  void detach(session* s);

  server_core& core;
  caf::actor gateway; ///< read and replaced on the I/O thread only

  /// Events arrived: streaming sessions pull them (one post per wake-up).
  void wake_streams();

private:
  void arm_sweep();
  void close_all();

  // Declaration order matters: sessions (in handlers owned by ioc) unlink
  // themselves from `head_` when ioc dies, so head_ must outlive ioc.
  session* head_ = nullptr;

public:
  boost::asio::io_context ioc{1};

private:
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
    work_;
  io_timer sweep_{ioc};
  std::thread thread_;
  std::shared_ptr<class stream_waker> waker_; ///< registered with the feed
};

} // namespace weft::http
