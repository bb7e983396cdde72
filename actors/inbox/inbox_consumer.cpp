#include "actors/inbox/inbox_consumer.hpp"

#include <chrono>
#include <exception>
#include <string>
#include <utility>

#include <caf/all.hpp>

#include "actors/inbox/event_checks.hpp"

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
  std::shared_ptr<store_session> session;
};

using inbox_pointer = event_handler_actor::stateful_pointer<inbox_state>;

/// What became of one delivery.
enum class verdict { applied, duplicate, failed };

/// record -> handle (-> injected failure) in one unit; commit or roll back.
verdict apply(inbox_state& st, const delivery& d, bool fail_after, caf::error& err,
              double& seconds) {
  const auto& ev = d.message.event;
  auto consumer = consumer_key_of(st.opts.consumer, d.message);
  auto key = event_key_of(ev.id);
  bool duplicate = false;
  auto start = std::chrono::steady_clock::now();
  try {
    err = st.session->transact([&](unit_of_work& w) -> caf::error {
      auto fresh = w.record_delivery(consumer, key);
      if (!fresh)
        return std::move(fresh.error());
      if (!*fresh) {
        duplicate = true;
        return {};
      }
      if (auto e = st.opts.handler(w, ev))
        return e;
      if (fail_after)
        return caf::make_error(errc::injected_failure,
                               std::string{"injected failure after the handler"});
      return {};
    });
  } catch (const std::exception& e) {
    // Exceptions stop here: never across the actor boundary.
    err = caf::make_error(caf::sec::runtime_error, std::string{"handler threw: "} + e.what());
  }
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (err)
    return verdict::failed;
  return duplicate ? verdict::duplicate : verdict::applied;
}

event_handler_actor::behavior_type inbox_consumer(inbox_pointer self, inbox_options opts) {
  auto& st = self->state;
  st.opts = std::move(opts);
  if (st.opts.data)
    st.session = st.opts.data->open_session("inbox-" + st.opts.consumer);
  return {
    [self](deliver_atom, delivery& d) -> caf::typed_response_promise<ack_atom> {
      auto& st = self->state;
      auto rp = self->make_response_promise<ack_atom>();
      auto verdict_of = admit(d, st.opts.consumer, st.opts.faults);
      if (verdict_of.refuse) {
        rp.deliver(std::move(verdict_of.refuse));
        return rp;
      }
      // Never answered: released undelivered, which sends nothing in CAF
      // 0.17, so the bus times out and redelivers.
      if (verdict_of.drop)
        return rp;
      if (!st.opts.handler || !st.session) {
        rp.deliver(caf::make_error(errc::no_handler, std::string{"inbox has no handler"}));
        return rp;
      }
      caf::error err;
      double seconds = 0;
      auto v = apply(st, d, verdict_of.fail_after, err, seconds);
      if (auto* m = st.opts.metrics) {
        if (v == verdict::duplicate)
          m->inbox_duplicate(st.opts.consumer);
        else
          m->inbox_batch(st.opts.consumer, 1, v == verdict::applied ? 1 : 0,
                         v == verdict::failed ? 1 : 0, std::span<const double>{&seconds, 1});
      }
      if (err)
        rp.deliver(std::move(err));
      else
        rp.deliver(ack_atom::value);
      return rp;
    },
  };
}

} // namespace

event_handler_actor spawn_inbox_consumer(caf::actor_system& sys, inbox_options opts) {
  return sys.spawn(inbox_consumer, std::move(opts));
}

} // namespace weft::inbox
