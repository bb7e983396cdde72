#include "actors/inbox/consumer_control.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

#include <caf/actor_system.hpp>
#include <caf/sec.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "events/ids.hpp"
#include "events/routes.hpp"
#include "runtime/api_error.hpp"
#include "runtime/metrics.hpp"
#include "runtime/registry.hpp"
#include "runtime/route_kit.hpp"

namespace weft::inbox {

namespace {

constexpr auto bus_timeout = std::chrono::seconds{30};
constexpr uint32_t scan_page = 500; ///< letters read per request while redriving

using self_ptr = consumer_control_actor::pointer;

/// The value of header `key`, or "".
std::string header(const bus_message& m, std::string_view key) {
  for (const auto& [k, v] : m.headers)
    if (k == key)
      return v;
  return {};
}

/// The consumers, each with its partitions summed.
consumer_list views_of(const std::vector<consumer_stats>& stats) {
  std::map<std::string, consumer_view> by_name;
  for (const auto& s : stats) {
    const auto& name = s.group.empty() ? s.name : s.group;
    auto& v = by_name[name];
    v.name = name;
    v.paused = v.paused || s.paused;
    v.pending += static_cast<int64_t>(s.pending);
    v.in_flight += static_cast<int64_t>(s.in_flight);
    v.delivered += static_cast<int64_t>(s.delivered);
    v.acked += static_cast<int64_t>(s.acked);
    v.redelivered += static_cast<int64_t>(s.redelivered);
    v.dead_lettered += static_cast<int64_t>(s.dead_lettered);
  }
  consumer_list out;
  for (auto& [name, v] : by_name)
    out.items.push_back(std::move(v));
  return out;
}

caf::error no_consumer(const std::string& name) {
  return api_error(api_errc::not_found, "no consumer " + name + " on this node");
}

/// The bus's "no such consumer" as a 404, the rest as it is.
caf::error bus_error(caf::error err, const std::string& name) {
  if (err == caf::sec::invalid_argument)
    return no_consumer(name);
  return err;
}

dead_letter_view view_of(const delivery& d) {
  const auto& m = d.message;
  dead_letter_view v;
  v.position = static_cast<int64_t>(d.stream_seq);
  v.event = m.event;
  v.reason = header(m, "Weft-Dlq-Reason");
  try {
    v.deliveries = std::stoll(header(m, "Weft-Dlq-Deliveries"));
  } catch (const std::exception&) {
    v.deliveries = 0;
  }
  v.subject = header(m, "Weft-Dlq-Subject");
  v.time = header(m, "Weft-Dlq-Time");
  v.endpoint = header(m, "Weft-Dlq-Endpoint");
  v.subscription = header(m, "Weft-Dlq-Subscription");
  return v;
}

/// One redrive under way: the letters it chose, read page by page.
struct redrive_job {
  std::string consumer;
  redrive_request req;
  std::chrono::system_clock::time_point since{};
  uint64_t after = 0;
  std::vector<delivery> chosen;
  std::vector<uint64_t> republish;  ///< positions whose events go out again
  size_t next = 0;                  ///< chosen[next] is the next to take back
  int64_t done = 0;
  caf::typed_response_promise<redrive_result> rp;

  bool wants(const delivery& d) const {
    if (!req.id.empty() && d.message.event.id != req.id)
      return false;
    if (!req.since.empty()) {
      std::chrono::system_clock::time_point at;
      if (!events::parse_rfc3339(header(d.message, "Weft-Dlq-Time"), at) || at < since)
        return false;
    }
    return true;
  }
};

using job_ptr = std::shared_ptr<redrive_job>;

struct control_state {
  // Not an aggregate: CAF 0.17 would build it from the actor pointer.
  control_state() = default;
  static inline const char* name = "weft.consumer_control";
  event_bus_actor bus;
  const service_registry* services = nullptr;
  metrics* node_metrics = nullptr;
};

using state_ptr = consumer_control_actor::stateful_pointer<control_state>;

void finish(state_ptr self, job_ptr job) {
  if (job->republish.empty()) {
    job->rp.deliver(redrive_result{job->done});
    return;
  }
  self->request(self->state.bus, bus_timeout, redrive_atom::value, job->consumer, job->republish,
                true)
    .then([job](uint64_t n) { job->rp.deliver(redrive_result{job->done + static_cast<int64_t>(n)}); },
          [job](caf::error& err) { job->rp.deliver(std::move(err)); });
}

/// The letters the consumer's service takes back, one at a time (each is
/// deleted once the service has it); the others are republished at the end.
void take_back(state_ptr self, job_ptr job) {
  const service_decl* decl = nullptr;
  for (const auto& d : self->state.services->services())
    if (d.name == job->consumer)
      decl = &d;
  while (job->next < job->chosen.size()) {
    const auto& letter = job->chosen[job->next];
    if (decl == nullptr || !decl->takes_back_letter || !decl->takes_back_letter(letter.message)) {
      job->republish.push_back(letter.stream_seq);
      job->next++;
      continue;
    }
    auto front = self->state.services->resolve(job->consumer);
    if (!front) {
      job->rp.deliver(api_error(api_errc::unavailable,
                                "service " + job->consumer + " is not running here"));
      return;
    }
    auto seq = letter.stream_seq;
    self->request(front, bus_timeout, redrive_atom::value, letter.message)
      .then(
        [self, job, seq](ack_atom) {
          self->request(self->state.bus, bus_timeout, redrive_atom::value, job->consumer,
                        std::vector<uint64_t>{seq}, false)
            .then(
              [self, job](uint64_t n) {
                job->done += static_cast<int64_t>(n);
                job->next++;
                take_back(self, job);
              },
              [job](caf::error& err) { job->rp.deliver(std::move(err)); });
        },
        [job](caf::error& err) { job->rp.deliver(std::move(err)); });
    return;
  }
  finish(self, job);
}

/// Reads the consumer's letters from `job->after` on and keeps those wanted.
void collect(state_ptr self, job_ptr job) {
  self->request(self->state.bus, bus_timeout, query_atom::value,
                stream_query{events::dead_letter_subject(job->consumer), job->after, scan_page})
    .then(
      [self, job](std::vector<delivery>& page) {
        for (auto& d : page)
          if (job->wants(d))
            job->chosen.push_back(std::move(d));
        if (page.size() == scan_page) {
          job->after = page.back().stream_seq;
          collect(self, job);
          return;
        }
        take_back(self, job);
      },
      [self, job](caf::error& err) { job->rp.deliver(bus_error(std::move(err), job->consumer)); });
}

/// Pauses or resumes `name`, then answers its view.
caf::result<consumer_view> set_paused(state_ptr self, const std::string& name, bool on) {
  auto rp = self->make_response_promise<consumer_view>();
  auto then_view = [self, rp, name]() mutable {
    self->request(self->state.bus, bus_timeout, stats_atom::value)
      .then(
        [rp, name](std::vector<consumer_stats>& stats) mutable {
          for (auto& v : views_of(stats).items)
            if (v.name == name) {
              rp.deliver(std::move(v));
              return;
            }
          rp.deliver(no_consumer(name));
        },
        [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  };
  auto fail = [rp, name](caf::error& err) mutable { rp.deliver(bus_error(std::move(err), name)); };
  if (on)
    self->request(self->state.bus, bus_timeout, pause_atom::value, name).then(
      [then_view](ack_atom) mutable { then_view(); }, fail);
  else
    self->request(self->state.bus, bus_timeout, resume_atom::value, name).then(
      [then_view](ack_atom) mutable { then_view(); }, fail);
  return rp;
}

/// The consumers' lag and whether they are paused, as gauges (a paused
/// consumer's lag grows where the dashboards look).
void export_lag(state_ptr self) {
  self->delayed_send(self, std::chrono::seconds{1}, tick_atom::value);
  if (self->state.node_metrics == nullptr)
    return;
  self->request(self->state.bus, bus_timeout, stats_atom::value)
    .then(
      [self](std::vector<consumer_stats>& stats) {
        auto& m = *self->state.node_metrics;
        for (auto& v : views_of(stats).items) {
          m.gauge("weft_consumer_pending", "Events stored and not yet handed to a consumer here",
                  "consumer", v.name, static_cast<double>(v.pending));
          m.gauge("weft_consumer_paused", "1 while a consumer is paused on this node",
                  "consumer", v.name, v.paused ? 1.0 : 0.0);
        }
      },
      [](caf::error&) {}); // the next tick tries again
}

consumer_control_actor::behavior_type control(state_ptr self, caf::actor bus,
                                              const service_registry* services,
                                              metrics* node_metrics) {
  self->state.bus = caf::actor_cast<event_bus_actor>(bus);
  self->state.services = services;
  self->state.node_metrics = node_metrics;
  self->send(self, tick_atom::value);
  return {
    [self](tick_atom) { export_lag(self); },
    [self](list_atom) -> caf::result<consumer_list> {
      auto rp = self->make_response_promise<consumer_list>();
      self->request(self->state.bus, bus_timeout, stats_atom::value)
        .then([rp](std::vector<consumer_stats>& stats) mutable { rp.deliver(views_of(stats)); },
              [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [self](pause_atom, const std::string& name) { return set_paused(self, name, true); },
    [self](resume_atom, const std::string& name) { return set_paused(self, name, false); },
    [self](list_atom, const std::string& name,
           const page_request& p) -> caf::result<dead_letter_page> {
      auto after = cursor::decode_number(p.cursor);
      if (!after)
        return std::move(after.error());
      auto rp = self->make_response_promise<dead_letter_page>();
      auto limit = p.limit;
      self->request(self->state.bus, bus_timeout, query_atom::value,
                    stream_query{events::dead_letter_subject(name), static_cast<uint64_t>(*after),
                                 limit + 1})
        .then(
          [rp, limit](std::vector<delivery>& letters) mutable {
            rp.deliver(cursor::page_of<dead_letter_page>(
              std::move(letters), limit, view_of,
              [](const delivery& d) { return std::to_string(d.stream_seq); }));
          },
          [rp, name](caf::error& err) mutable { rp.deliver(bus_error(std::move(err), name)); });
      return rp;
    },
    [self](redrive_atom, const std::string& name,
           const redrive_request& req) -> caf::result<redrive_result> {
      auto job = std::make_shared<redrive_job>();
      job->consumer = name;
      job->req = req;
      if (!req.since.empty() && !events::parse_rfc3339(req.since, job->since))
        return api_error(api_errc::bad_request, "since: not an RFC 3339 date-time", "/since");
      job->rp = self->make_response_promise<redrive_result>();
      auto rp = job->rp;
      collect(self, job);
      return rp;
    },
  };
}

} // namespace

consumer_control_actor spawn_consumer_control(caf::actor_system& sys, event_bus_actor bus,
                                              const service_registry& services,
                                              metrics* node_metrics) {
  return sys.spawn(control, caf::actor_cast<caf::actor>(bus), &services, node_metrics);
}

service_decl consumer_control_decl() {
  using namespace route_kit;
  using caf::make_message;
  service_decl d;
  d.name = "consumers";
  d.routes = {
    get("/consumers", "consumers.list", "The consumers on this node, with their lag")
      .who(access::root)
      .answers<consumer_list>(200, [](const api_request&) { return make_message(list_atom::value); }),
    post("/consumers/{name}/pause", "consumers.pause",
         "Stop fetching for a consumer on this node (its lag grows until it resumes)")
      .who(access::root)
      .answers<consumer_view>(200, [](const api_request& r) {
        return make_message(pause_atom::value, r.params.at("name"));
      }),
    post("/consumers/{name}/resume", "consumers.resume", "Fetch again for a paused consumer")
      .who(access::root)
      .answers<consumer_view>(200, [](const api_request& r) {
        return make_message(resume_atom::value, r.params.at("name"));
      }),
    get("/consumers/{name}/dead-letters", "consumers.dead_letters",
        "The events a consumer gave up on, oldest first")
      .who(access::root)
      .query<page_request>()
      .answers<dead_letter_page>(200, [](const api_request& r, page_request p) {
        return make_message(list_atom::value, r.params.at("name"), std::move(p));
      }),
    post("/consumers/{name}/dead-letters/redrive", "consumers.redrive",
         "Hand dead letters back to their consumer: one event's, those since a time, or all")
      .who(access::root)
      .body<redrive_request>()
      .answers<redrive_result>(200, [](const api_request& r, redrive_request q) {
        return make_message(redrive_atom::value, r.params.at("name"), std::move(q));
      }),
  };
  return d;
}

} // namespace weft::inbox
