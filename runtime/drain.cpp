#include "runtime/drain.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <spdlog/spdlog.h>

namespace weft {

void drain_waiters::expire(drain_deadline d) {
  if (auto it = waiting_.find(d.id); it != waiting_.end()) {
    it->second.deliver(ack_atom::value);
    waiting_.erase(it);
  }
}

void drain_waiters::release_all() {
  for (auto& [id, rp] : waiting_)
    rp.deliver(ack_atom::value);
  waiting_.clear();
}

void drain_until(caf::actor_system& sys, const caf::actor& target,
                 std::chrono::steady_clock::time_point deadline, std::string_view what) {
  using namespace std::chrono;
  if (!target)
    return;
  auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
  if (left.count() < 1)
    left = milliseconds{1};
  caf::scoped_actor self{sys};
  self->request(target, left + milliseconds{100}, drain_atom::value,
                static_cast<uint32_t>(left.count()))
    .receive([](ack_atom) {},
             [&](caf::error& err) {
               spdlog::warn("stop: {} did not drain in time: {}", what, sys.render(err));
             });
}

} // namespace weft
