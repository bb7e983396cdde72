#include <utility> // before Asio: Boost 1.74 + g++12 (notes §3)

#include <algorithm>
#include <future>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "adapters/http/server_core.hpp"
#include "adapters/http/session.hpp"

namespace weft::http {

namespace asio = boost::asio;

io_worker::io_worker(server_core& core) : core(core) {
  // nop
}

io_worker::~io_worker() {
  if (thread_.joinable())
    stop();
}

void io_worker::start() {
  work_.emplace(ioc.get_executor());
  arm_sweep();
  thread_ = std::thread{[this] {
    // A handler that throws must not take the whole I/O thread down.
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("http: I/O thread caught: {}", e.what());
      }
    }
  }};
}

void io_worker::stop() {
  if (!thread_.joinable())
    return;
  std::promise<void> closed;
  asio::post(ioc, [this, &closed] {
    close_all();
    closed.set_value();
  });
  closed.get_future().wait();
  work_.reset();
  ioc.stop();
  thread_.join();
}

std::size_t io_worker::close_idle_sessions() {
  if (!thread_.joinable())
    return 0;
  std::promise<std::size_t> busy;
  asio::post(ioc, [this, &busy] {
    std::size_t n = 0;
    for (auto* s = head_; s != nullptr; s = s->next)
      n += s->busy_or_close() ? 1 : 0;
    busy.set_value(n);
  });
  return busy.get_future().get();
}

void io_worker::attach(session* s) {
  s->next = head_;
  if (head_ != nullptr)
    head_->prev = s;
  head_ = s;
}

void io_worker::detach(session* s) {
  if (s->prev != nullptr)
    s->prev->next = s->next;
  else if (head_ == s)
    head_ = s->next;
  if (s->next != nullptr)
    s->next->prev = s->prev;
  s->prev = s->next = nullptr;
}

void io_worker::arm_sweep() {
  // Often enough to honour the keep-alive timeout within a quarter of it.
  auto tick = std::clamp(core.keep_alive / 4, std::chrono::milliseconds{10},
                         std::chrono::milliseconds{1000});
  sweep_.expires_after(tick);
  sweep_.async_wait([this](boost::system::error_code ec) {
    if (ec)
      return;
    auto now = std::chrono::steady_clock::now();
    // sweep() may close a session, but closing never unlinks it here (its
    // destructor does, later, from a handler), so iterating stays safe.
    for (auto* s = head_; s != nullptr; s = s->next)
      s->sweep(now);
    arm_sweep();
  });
}

void io_worker::close_all() {
  sweep_.cancel();
  for (auto* s = head_; s != nullptr; s = s->next)
    s->close();
}

} // namespace weft::http
