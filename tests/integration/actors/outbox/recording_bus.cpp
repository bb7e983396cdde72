#include "tests/integration/actors/outbox/outbox_support.hpp"

namespace weft::outbox::test {

namespace {

struct recording_state {
  static inline const char* name = "weft.test.recording_bus";
  uint64_t next_seq = 0;
};

using recording_pointer = event_bus_actor::stateful_pointer<recording_state>;

event_bus_actor::behavior_type recording_bus(recording_pointer self, std::shared_ptr<bus_log> log,
                                             event_bus_actor inner) {
  return {
    [self, log, inner](publish_atom, bus_message& msg) -> caf::typed_response_promise<uint64_t> {
      auto rp = self->make_response_promise<uint64_t>();
      bool fail = false, silent = false;
      {
        std::lock_guard<std::mutex> lk{log->mtx};
        log->attempts.push_back(seen_publish{msg, std::chrono::system_clock::now()});
        silent = log->silent;
        if (log->fail_once.erase(msg.event.subject) > 0)
          fail = true;
        if (!silent && !fail && inner) {
          if (log->in_flight.count(msg.event.subject) > 0 && !msg.event.subject.empty())
            log->overlap = true;
          log->in_flight.insert(msg.event.subject);
        }
      }
      if (silent)
        return rp; // never answered: the relay times out (or is killed)
      if (fail) {
        rp.deliver(caf::make_error(caf::sec::runtime_error, std::string{"bus refused"}));
        return rp;
      }
      auto stored = [log](const bus_message& m, uint64_t seq) {
        std::lock_guard<std::mutex> lk{log->mtx};
        if (auto it = log->in_flight.find(m.event.subject); it != log->in_flight.end())
          log->in_flight.erase(it);
        log->stored.push_back(m);
        log->seqs[m.event.id].push_back(seq);
      };
      if (!inner) {
        auto seq = ++self->state.next_seq;
        stored(msg, seq);
        rp.deliver(seq);
        return rp;
      }
      self->request(inner, std::chrono::seconds{5}, publish_atom::value, msg)
        .then(
          [rp, msg, stored](uint64_t seq) mutable {
            stored(msg, seq);
            rp.deliver(seq);
          },
          [rp, msg, log](caf::error& err) mutable {
            {
              std::lock_guard<std::mutex> lk{log->mtx};
              if (auto it = log->in_flight.find(msg.event.subject); it != log->in_flight.end())
                log->in_flight.erase(it);
            }
            rp.deliver(std::move(err));
          });
      return rp;
    },
    [](subscribe_atom, consumer_config&, event_handler_actor&) { return ack_atom::value; },
    [](stats_atom) { return std::vector<consumer_stats>{}; },
    [](drain_atom, uint32_t) { return ack_atom::value; },
    [](assign_atom, std::string&, std::vector<uint32_t>&) -> caf::result<ack_atom> {
      return caf::make_error(caf::sec::invalid_argument, "no partitions");
    },
    // No consumers here: the control plane has nothing to act on.
    [](pause_atom, const std::string&) -> caf::result<ack_atom> {
      return caf::make_error(caf::sec::invalid_argument, "no consumers");
    },
    [](resume_atom, const std::string&) -> caf::result<ack_atom> {
      return caf::make_error(caf::sec::invalid_argument, "no consumers");
    },
      [](query_atom, const stream_query&) { return std::vector<delivery>{}; },
    [](redrive_atom, const std::string&, const std::vector<uint64_t>&, bool) {
        return uint64_t{0};
      },
    [](prune_atom, int64_t, uint32_t) { return uint64_t{0}; },
  };
}

} // namespace

event_bus_actor spawn_recording_bus(caf::actor_system& sys, std::shared_ptr<bus_log> log,
                                    event_bus_actor inner) {
  return sys.spawn(recording_bus, std::move(log), std::move(inner));
}

} // namespace weft::outbox::test
