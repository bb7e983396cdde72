#include "actors/inbox/inbox_consumer.hpp"

#include <string>
#include <unordered_set>
#include <utility>

#include <caf/all.hpp>

#include "actors/inbox/event_checks.hpp"
#include "events/errc.hpp"
#include "events/routes.hpp"

namespace weft::inbox {

const char* to_string(errc x) {
  switch (x) {
    case errc::injected_failure:
      return "injected_failure";
    case errc::in_progress:
      return "in_progress";
    case errc::no_handler:
      return "no_handler";
    case errc::stopping:
      return "stopping";
  }
  return "unknown_errc";
}

namespace {

/// The state of one inbox consumer.
struct inbox_state {
  static inline const char* name = "weft.inbox";
  inbox_options opts;
  std::unordered_set<std::string> handling; ///< keys whose handler call is running
};

using inbox_pointer = event_handler_actor::stateful_pointer<inbox_state>;

/// The inbox key of a delivery. A dead letter carries the id of the event it
/// wraps, which this consumer may well have handled as a plain event, so
/// dead letters are keyed by their subject too.
std::string key_of(const bus_message& msg) {
  if (events::is_dead_letter_subject(msg.subject))
    return msg.subject + "|" + msg.event.id;
  return msg.event.id;
}

event_handler_actor::behavior_type inbox_consumer(inbox_pointer self, inbox_options opts) {
  if (!opts.store)
    opts.store = std::make_shared<memory_inbox_store>();
  self->state.opts = std::move(opts);
  return {
    [self](deliver_atom, delivery& d) -> caf::typed_response_promise<ack_atom> {
      auto& st = self->state;
      auto rp = self->make_response_promise<ack_atom>();
      const auto& ev = d.message.event;
      // Dead letters go to the handler as they are: the service decides.
      if (!events::is_dead_letter_subject(d.message.subject)) {
        if (auto err = check_event(ev)) {
          rp.deliver(std::move(err));
          return rp;
        }
      }
      auto key = key_of(d.message);
      if (st.opts.store->contains(st.opts.consumer, key)) {
        // Handled before: ack without running the handler again.
        if (st.opts.metrics != nullptr)
          st.opts.metrics->inbox_duplicate(st.opts.consumer);
        rp.deliver(ack_atom::value);
        return rp;
      }
      if (st.handling.count(key) > 0) {
        // A redelivery overtook a slow handler; nak so it comes back later,
        // by then answered by the store.
        rp.deliver(caf::make_error(errc::in_progress, "event " + ev.id + " is being handled"));
        return rp;
      }
      auto action = st.opts.faults != nullptr ? st.opts.faults->next(st.opts.consumer, ev.type)
                                              : fault_action::none;
      if (action == fault_action::fail) {
        rp.deliver(caf::make_error(errc::injected_failure, std::string{"injected failure"}));
        return rp;
      }
      if (action == fault_action::no_ack) {
        // Never answer: the promise is released undelivered, which sends
        // nothing in CAF 0.17, so the bus times out and redelivers.
        return rp;
      }
      if (!st.opts.handler) {
        rp.deliver(caf::make_error(errc::no_handler, std::string{"inbox has no handler"}));
        return rp;
      }
      st.handling.insert(key);
      self->request(st.opts.handler, st.opts.handler_timeout, handle_atom::value, ev)
        .then(
          [self, key, rp](ack_atom) mutable {
            // The handler committed: record, then ack.
            auto& st = self->state;
            st.opts.store->record(st.opts.consumer, key);
            st.handling.erase(key);
            rp.deliver(ack_atom::value);
          },
          [self, key, rp](caf::error& err) mutable {
            self->state.handling.erase(key);
            rp.deliver(std::move(err));
          });
      return rp;
    },
  };
}

} // namespace

event_handler_actor spawn_inbox_consumer(caf::actor_system& sys, inbox_options opts) {
  return sys.spawn(inbox_consumer, std::move(opts));
}

} // namespace weft::inbox
