#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <caf/error.hpp>
#include <caf/sec.hpp>

#include "adapters/memory/memory_store.hpp"
#include "runtime/service.hpp"
#include "runtime/store.hpp"

// A scripted service handler for inbox tests: records every call, writes the
// event id into its own table of the unit of work (so a rollback shows), and
// acks, fails, or takes its time as the test says.
namespace weft::test {

/// What the sink does with one event.
enum class sink_reply { ack, fail, slow };

/// What the sink wrote: its table in the memory store.
struct sink_table {
  std::vector<std::string> applied;
};

/// Shared between the handler (inbox threads) and the test thread.
struct sink {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<events::envelope> calls;
  std::function<sink_reply(const events::envelope&)> policy
    = [](const events::envelope&) { return sink_reply::ack; };
  std::chrono::milliseconds slow_for{150};

  size_t count() {
    std::lock_guard<std::mutex> lk{mtx};
    return calls.size();
  }

  bool wait_count(size_t n, std::chrono::milliseconds timeout = std::chrono::milliseconds{5000}) {
    std::unique_lock<std::mutex> lk{mtx};
    return cv.wait_for(lk, timeout, [&] { return calls.size() >= n; });
  }
};

/// The handler: writes first, then answers as the policy says (a failure
/// must roll the write back).
inline event_handler_fn sink_handler(std::shared_ptr<sink> s) {
  return [s](unit_of_work& w, const events::envelope& ev) -> caf::error {
    sink_reply r;
    {
      std::lock_guard<std::mutex> lk{s->mtx};
      s->calls.push_back(ev);
      r = s->policy(ev);
    }
    s->cv.notify_all();
    auto* t = memory::tables_of(w);
    auto& table = t->get<sink_table>("test.sink");
    table.applied.push_back(ev.id);
    t->on_rollback([&table] { table.applied.pop_back(); });
    if (r == sink_reply::slow)
      std::this_thread::sleep_for(s->slow_for); // the scenario: a handler that takes its time
    if (r == sink_reply::fail)
      return caf::make_error(caf::sec::runtime_error, std::string{"sink failed"});
    return {};
  };
}

/// The event ids the sink's committed writes hold.
inline std::vector<std::string> applied(store& data) {
  std::vector<std::string> out;
  auto session = data.open_session("test");
  (void) session->read([&](unit_of_work& w) -> caf::error {
    out = memory::tables_of(w)->get<sink_table>("test.sink").applied;
    return {};
  });
  return out;
}

} // namespace weft::test
