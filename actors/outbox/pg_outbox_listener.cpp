#include "actors/outbox/pg_outbox_listener.hpp"

#include <memory>
#include <utility>
#include <vector>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "adapters/postgres/errors.hpp"
#include "adapters/postgres/outbox_table.hpp"

namespace weft::outbox {

namespace {

/// The listener's loop message: wait once, then send itself another.
struct listen_step {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, listen_step&) {
  return f(caf::meta::type_name("weft.outbox.listen_step"));
}

struct listener_state {
  static inline const char* name = "weft.outbox_listener";
  std::unique_ptr<pg::connection> conn;
  bool listening = false;
  uint64_t generation = 0; ///< of the session the LISTEN was seen on
  bool down_logged = false;
};

void wake(const outbox_table_relay_actor& relay) {
  caf::anon_send(relay, wake_atom::value);
}

caf::behavior listener(caf::stateful_actor<listener_state>* self, pg::connect_options conn,
                       outbox_table_relay_actor relay, std::chrono::milliseconds wait) {
  self->state.conn = std::make_unique<pg::connection>(std::move(conn));
  self->send(self, listen_step{});
  return {
    [self, relay, wait](listen_step) {
      auto& st = self->state;
      auto& c = *st.conn;
      if (!st.listening) {
        if (auto err = c.listen(pg::outbox_channel)) {
          if (!st.down_logged)
            spdlog::warn("outbox: cannot LISTEN {} yet ({}); polling meanwhile",
                         pg::outbox_channel, pg::describe(err));
          st.down_logged = true;
          self->delayed_send(self, wait, listen_step{});
          return;
        }
        st.listening = true;
        st.generation = c.generation();
        st.down_logged = false;
        wake(relay); // whatever was committed before we listened
      }
      auto n = c.wait_for_notification(wait);
      if (c.generation() != st.generation) {
        // A new session re-issued the LISTEN; what was sent meanwhile is lost.
        st.generation = c.generation();
        wake(relay);
      }
      if (!n) {
        self->delayed_send(self, wait, listen_step{});
        return;
      }
      if (*n) {
        // Drain what else arrived: one wake-up covers them all.
        for (int i = 0; i < 1000; ++i) {
          auto more = c.wait_for_notification(std::chrono::milliseconds{0});
          if (!more || !*more)
            break;
        }
        wake(relay);
      }
      self->send(self, listen_step{});
    },
  };
}

} // namespace

caf::actor spawn_outbox_listener(caf::actor_system& sys, pg::connect_options conn,
                                 outbox_table_relay_actor relay, std::chrono::milliseconds wait) {
  return sys.spawn<caf::detached>(listener, std::move(conn), std::move(relay), wait);
}

} // namespace weft::outbox
