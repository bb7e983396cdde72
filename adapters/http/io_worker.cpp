#include <utility> // before Asio: Boost 1.74 + g++12 (notes §3)

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "adapters/http/server_core.hpp"
#include "adapters/http/session.hpp"
#include "runtime/event_feed.hpp"

namespace weft::http {

namespace asio = boost::asio;

/// The feed's wake-up for one worker: at most one post waiting at a time.
class stream_waker final : public feed_watcher,
                           public std::enable_shared_from_this<stream_waker> {
public:
  explicit stream_waker(io_worker* w) : worker_(w) {}

  void wake() override {
    std::lock_guard<std::mutex> lk{mtx_};
    if (worker_ == nullptr || queued_.exchange(true))
      return;
    asio::post(worker_->ioc, [self = shared_from_this(), w = worker_] {
      self->queued_ = false;
      w->wake_streams();
    });
  }

  /// The worker stops: no more posts.
  void detach() {
    std::lock_guard<std::mutex> lk{mtx_};
    worker_ = nullptr;
  }

private:
  std::mutex mtx_;
  io_worker* worker_;
  std::atomic<bool> queued_{false};
};

io_worker::io_worker(server_core& core) : core(core) {
  // nop
}

void io_worker::wake_streams() {
  // pull_stream may close a session; closing never unlinks it here.
  for (auto* s = head_; s != nullptr; s = s->next)
    s->pull_stream();
}

io_worker::~io_worker() {
  if (thread_.joinable())
    stop();
}

void io_worker::start() {
  work_.emplace(ioc.get_executor());
  if (core.deps.feed) {
    waker_ = std::make_shared<stream_waker>(this);
    core.deps.feed->watch(waker_);
  }
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
  if (waker_)
    waker_->detach();
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
