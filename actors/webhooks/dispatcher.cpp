#include "actors/webhooks/dispatcher.hpp"

#include <chrono>
#include <map>
#include <set>
#include <random>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/webhooks/events.hpp"
#include "actors/webhooks/http_poster.hpp"
#include "actors/webhooks/repo.hpp"
#include "actors/webhooks/signature.hpp"
#include "events/codec.hpp"
#include "events/ids.hpp"
#include "events/routes.hpp"
#include "runtime/atoms.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/metrics.hpp"
#include "runtime/store.hpp"

namespace weft::webhooks {

namespace {

using dispatcher_actor = caf::typed_actor<
  caf::reacts_to<tick_atom>,
  caf::reacts_to<wake_atom>,   ///< record the attempts that ended
  caf::reacts_to<ready_atom>,  ///< the matcher here committed deliveries
  caf::reacts_to<stats_atom>,
  caf::reacts_to<posted_atom, uint64_t, int32_t, std::string, int32_t, int32_t>>;

/// An attempt under way.
struct attempt {
  delivery_record row;
  subscription_record sub;
};

/// An attempt that ended (its `attempts`th), waiting to be recorded.
struct ended_attempt {
  attempt a;
  delivery_outcome o;
  size_t attempts = 0;
};

/// Ended attempts recorded in one transaction at most (one commit for many:
/// with fsync on, a commit per attempt would bound the rate).
constexpr size_t record_batch = 64;
/// How long an ended attempt waits for others to share its commit.
constexpr auto record_delay = std::chrono::milliseconds{2};

struct dispatcher_state {
  static inline const char* name = "weft.webhooks.dispatcher";
  std::shared_ptr<store_session> session;
  webhooks_settings settings;
  std::string owner;
  event_bus_actor bus;          ///< where exhausted deliveries are dead-lettered
  metrics* node_metrics = nullptr;
  std::set<std::string> pending_reported; ///< subscriptions with a pending gauge set
  std::unique_ptr<http_poster> poster;
  std::map<uint64_t, attempt> in_flight;
  std::vector<ended_attempt> ended;  ///< to record
  bool record_scheduled = false;
  bool more_due = false;             ///< the last claim was full: claim again when there is room
  std::shared_ptr<dispatch_wake> wake;
  uint64_t next_job = 1;
  std::minstd_rand rng{std::random_device{}()};

  ~dispatcher_state() {
    if (poster)
      poster->stop(); // its thread: joined here, on this actor's own thread
  }
};

using self_ptr = dispatcher_actor::stateful_pointer<dispatcher_state>;

template <class T>
events::envelope event_of(const T& x, std::string subject, const std::string& cause) {
  return events::make_envelope(x, std::move(subject),
                               events::origin{"webhooks", {}, cause, {}});
}

/// The signed request of one attempt.
post_job job_for(const attempt& a, uint64_t id, const webhooks_settings& s) {
  post_job j;
  j.id = id;
  j.url = a.sub.sink;
  j.body = a.row.body;
  j.connect_timeout_ms = s.connect_timeout_ms;
  j.timeout_ms = s.timeout_ms;
  auto now = std::chrono::system_clock::now();
  auto ts = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  std::vector<std::string> secrets{a.sub.secret};
  std::chrono::system_clock::time_point until;
  if (!a.sub.previous_secret.empty() && events::parse_rfc3339(a.sub.previous_until, until)
      && now < until)
    secrets.push_back(a.sub.previous_secret);
  j.headers = {"Content-Type: application/cloudevents+json",
               "webhook-id: " + a.row.event_id,
               "webhook-timestamp: " + std::to_string(ts),
               "webhook-signature: " + signature_header(secrets, a.row.event_id, ts, a.row.body),
               "Expect:"};
  return j;
}

/// Leases due rows for the room there is and starts their attempts; not
/// for less room than `min_room` (each claim is a round of queries).
void claim(self_ptr self, size_t min_room = 1) {
  auto& st = self->state;
  // Twice what may be under way is leased: a second batch waits at the
  // poster, so its connections stay busy while this actor talks to the store.
  const size_t held = 2 * size_t{st.settings.max_in_flight};
  auto room = held > st.in_flight.size() ? held - st.in_flight.size() : 0;
  if (room < min_room) {
    st.more_due = true; // there may be more: look once attempts end
    return;
  }
  std::vector<attempt> claimed;
  auto err = st.session->transact([&](unit_of_work& w) -> caf::error {
    auto subs = open_repository(w)->list({}, st.settings.max_subscriptions);
    if (!subs)
      return subs.error();
    std::map<std::string, subscription_record> by_id;
    std::vector<std::string> enabled, ordered;
    for (auto& s : *subs) {
      if (!s.enabled || s.paused)
        continue;
      enabled.push_back(s.id);
      if (s.ordered)
        ordered.push_back(s.id);
      by_id.emplace(s.id, s);
    }
    if (enabled.empty())
      return {};
    auto deliveries = open_delivery_repository(w);
    if (auto e = deliveries->commit_lazily()) // a lease forgotten in a crash: claimed again
      return e;
    auto rows = deliveries->claim(st.owner, room, st.settings.lease_ms, enabled, ordered);
    if (!rows)
      return rows.error();
    for (auto& r : *rows)
      claimed.push_back({r, by_id.at(r.subscription_id)});
    return {};
  });
  if (err)
    spdlog::warn("webhooks: cannot claim deliveries: {}", self->system().render(err));
  st.more_due = !err && claimed.size() == room;
  for (auto& a : claimed) {
    auto id = st.next_job++;
    auto job = job_for(a, id, st.settings);
    st.in_flight.emplace(id, std::move(a));
    st.poster->submit(std::move(job));
  }
}

void tick(self_ptr self) {
  claim(self);
  self->delayed_send(self, std::chrono::milliseconds{self->state.settings.poll_ms},
                     tick_atom::value);
}

std::string at_after(std::chrono::milliseconds d) {
  return events::format_rfc3339_ms(std::chrono::system_clock::now() + d);
}

/// How an attempt ended, for the metrics.
const char* outcome_label(const delivery_outcome& o) {
  if (o.status == "pending")
    return "failed";
  return o.status.c_str(); // delivered, gone, exhausted
}

/// Disables subscription `id` (if it is enabled) and says why in an event.
caf::error disable(unit_of_work& w, const std::string& id, const std::string& reason,
                   const std::string& cause) {
  auto subs = open_repository(w);
  auto cur = subs->find(id);
  if (!cur)
    return cur.error();
  if (!*cur || !(*cur)->enabled)
    return {};
  auto s = **cur;
  s.enabled = false;
  s.disabled_reason = reason;
  s.updated_at = events::now_rfc3339_ms();
  auto ok = subs->replace(s);
  if (!ok)
    return ok.error();
  w.emit(event_of(subscription_disabled{s.id, reason}, s.id, cause));
  return {};
}

/// Records in the unit what follows from how attempt `e` ended (its row is
/// settled with the batch's): the exhausted event, the subscription's
/// failing time, disabling (then `disabled_why` says why).
caf::error record_one(unit_of_work& w, const ended_attempt& e, const webhooks_settings& settings,
                      std::string& disabled_why) {
  const auto& a = e.a;
  const auto& o = e.o;
  disabled_why.clear();
  if (o.status == "exhausted")
    w.emit(event_of(attempt_exhausted{a.sub.id, a.row.event_id, a.sub.sink,
                                      static_cast<int64_t>(e.attempts), o.code, o.error},
                    a.sub.id, a.row.event_id));
  if (o.status == "gone") {
    disabled_why = "the sink answered 410 Gone";
    return disable(w, a.sub.id, disabled_why, a.row.event_id);
  }
  auto subs = open_repository(w);
  if (o.status == "delivered") {
    if (!a.sub.failing_since.empty()) // a success ends the failing time
      if (auto ok = subs->set_failing_since(a.sub.id, ""); !ok)
        return ok.error();
    return {};
  }
  // A failure: the failing time starts now unless it started before, and
  // a subscription failing longer than disable_after_s is disabled.
  auto now = std::chrono::system_clock::now();
  std::chrono::system_clock::time_point since;
  if (a.sub.failing_since.empty() || !events::parse_rfc3339(a.sub.failing_since, since)) {
    auto ok = subs->set_failing_since(a.sub.id, events::format_rfc3339_ms(now));
    return ok ? caf::error{} : ok.error();
  }
  if (settings.disable_after_s > 0
      && now - since >= std::chrono::seconds{settings.disable_after_s}) {
    disabled_why = "failing since " + a.sub.failing_since + " without a success"
                   + " (webhooks.disable_after_s = " + std::to_string(settings.disable_after_s)
                   + ")";
    return disable(w, a.sub.id, disabled_why, a.row.event_id);
  }
  return {};
}

/// Records every ended attempt in one transaction, then claims again if
/// more rows were due than there was room for.
void record_ended(self_ptr self) {
  auto& st = self->state;
  st.record_scheduled = false;
  if (st.ended.empty())
    return;
  auto batch = std::move(st.ended);
  st.ended.clear();
  std::vector<std::string> why(batch.size());
  std::vector<std::pair<int64_t, delivery_outcome>> ends;
  ends.reserve(batch.size());
  for (auto& e : batch)
    ends.emplace_back(e.a.row.id, e.o);
  auto err = st.session->transact([&](unit_of_work& w) -> caf::error {
    auto deliveries = open_delivery_repository(w);
    if (auto e = deliveries->commit_lazily())
      return e;
    if (auto e = deliveries->settle_all(ends))
      return e;
    for (size_t i = 0; i < batch.size(); ++i)
      if (auto e = record_one(w, batch[i], st.settings, why[i]))
        return e;
    return {};
  });
  if (err) {
    spdlog::warn("webhooks: cannot record {} deliveries: {} (their leases will expire)",
                 batch.size(), self->system().render(err));
    return;
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto& e = batch[i];
    if (st.node_metrics != nullptr) {
      st.node_metrics->counter("weft_webhook_attempts_total",
                               "Webhook delivery attempts, by outcome (delivered, failed: tried "
                               "again later, gone, exhausted)",
                               "outcome", outcome_label(e.o));
      st.node_metrics->latency("weft_webhook_attempt_duration_seconds",
                               "Webhook attempts from request to answer (or failure)", "", "",
                               static_cast<double>(e.o.latency_ms) / 1000.0);
      if (!why[i].empty())
        st.node_metrics->counter("weft_webhook_subscriptions_disabled_total",
                                 "Subscriptions the node disabled (410 Gone, or failing too long)",
                                 "reason", e.o.status == "gone" ? "gone" : "failing");
    }
    if (!why[i].empty())
      spdlog::warn("webhooks: subscription {} ({}) disabled: {}", e.a.sub.id, e.a.sub.sink,
                   why[i]);
  }
  if (st.more_due) // a batch's worth of room, not every ended attempt's
    claim(self, st.settings.max_in_flight);
}

/// Queues an ended attempt: recorded with others a moment later, or at
/// once when the batch is full or nothing else is under way.
void settle(self_ptr self, const attempt& a, const delivery_outcome& o, size_t attempts) {
  auto& st = self->state;
  st.ended.push_back(ended_attempt{a, o, attempts});
  if (st.ended.size() >= record_batch || st.in_flight.empty()) {
    record_ended(self);
    return;
  }
  if (!st.record_scheduled) {
    st.record_scheduled = true;
    self->delayed_send(self, record_delay, wake_atom::value);
  }
}

/// The dead letter of an exhausted delivery: the event as it was POSTed,
/// on weft.dlq.webhooks, with the endpoint and the reason.
caf::expected<bus_message> dead_letter_of(const attempt& a, const delivery_outcome& o,
                                          size_t attempts) {
  auto ev = events::decode(a.row.body);
  if (!ev)
    return ev.error();
  bus_message m;
  m.subject = events::dead_letter_subject("webhooks");
  m.event = std::move(*ev);
  m.headers = {
    {"Weft-Dlq-Reason", o.error.empty() ? "answered " + std::to_string(o.code) : o.error},
    {"Weft-Dlq-Consumer", "webhooks"},
    {"Weft-Dlq-Deliveries", std::to_string(attempts)},
    {"Weft-Dlq-Subject", "weft." + a.row.type},
    {"Weft-Dlq-Endpoint", a.sub.sink},
    {"Weft-Dlq-Subscription", a.sub.id},
    {"Weft-Dlq-Time", events::now_rfc3339_ms()},
    // Stable: a second try after a crash is stored once.
    {dedupe_id_header, "dlq:webhooks:" + a.sub.id + ":" + a.row.event_id},
  };
  return m;
}

void posted(self_ptr self, const post_result& r) {
  auto& st = self->state;
  auto it = st.in_flight.find(r.id);
  if (it == st.in_flight.end())
    return;
  auto a = std::move(it->second);
  st.in_flight.erase(it);
  const auto& schedule = st.settings.retry_schedule_ms;
  delivery_outcome o;
  o.code = r.code;
  o.latency_ms = r.latency_ms;
  o.error = r.error.empty() && (r.code < 200 || r.code >= 300) && r.code != 0
              ? "answered " + std::to_string(r.code)
              : r.error;
  auto attempts = static_cast<size_t>(a.row.attempts) + 1; // with this one
  if (r.code >= 200 && r.code < 300) {
    o.status = "delivered";
    o.error.clear();
  } else if (r.code == 410) {
    o.status = "gone";
  } else if (attempts < schedule.size()) {
    // The schedule counts from the event: the step's delay less the last.
    auto step = std::chrono::milliseconds{schedule[attempts]}
                - std::chrono::milliseconds{schedule[attempts - 1]};
    std::uniform_real_distribution<double> jitter{0.8, 1.2};
    auto wait = std::chrono::milliseconds{static_cast<int64_t>(
      static_cast<double>(std::max<int64_t>(step.count(), 0)) * jitter(st.rng))};
    if ((r.code == 429 || r.code == 503) && r.retry_after_s >= 0)
      wait = std::max(wait, std::chrono::milliseconds{int64_t{r.retry_after_s} * 1000});
    o.status = "pending";
    o.next_at = at_after(wait);
  } else {
    o.status = "exhausted";
  }
  if (o.status != "exhausted" || !st.bus) {
    settle(self, a, o, attempts);
    return;
  }
  // Dead-lettered first, recorded after: a crash between the two sends the
  // last attempt again (the lease expires) and stores the letter once.
  auto letter = dead_letter_of(a, o, attempts);
  if (!letter) {
    spdlog::error("webhooks: delivery {} has an undecodable body, not dead-lettered: {}",
                  a.row.id, self->system().render(letter.error()));
    settle(self, a, o, attempts);
    return;
  }
  self->request(st.bus, std::chrono::seconds{10}, publish_atom::value, std::move(*letter))
    .then([self, a, o, attempts](uint64_t) { settle(self, a, o, attempts); },
          [self, a](caf::error& e) {
            spdlog::warn("webhooks: cannot dead-letter delivery {}: {} (its lease will expire "
                         "and its last attempt is made again)",
                         a.row.id, self->system().render(e));
          });
}

/// Pending deliveries per subscription, and the disabled and paused ones,
/// as gauges (every node reports the same, cluster-wide figures).
void report(self_ptr self) {
  auto& st = self->state;
  self->delayed_send(self, std::chrono::milliseconds{st.settings.stats_ms}, stats_atom::value);
  if (st.node_metrics == nullptr)
    return;
  std::vector<pending_summary> pending;
  int64_t disabled = 0, paused = 0;
  auto err = st.session->read([&](unit_of_work& w) -> caf::error {
    auto subs = open_repository(w)->list({}, st.settings.max_subscriptions);
    if (!subs)
      return subs.error();
    for (auto& s : *subs) {
      disabled += s.enabled ? 0 : 1;
      paused += s.paused ? 1 : 0;
    }
    auto p = open_delivery_repository(w)->pending();
    if (!p)
      return p.error();
    pending = std::move(*p);
    return {};
  });
  if (err) {
    spdlog::warn("webhooks: cannot read pending deliveries: {}", self->system().render(err));
    return;
  }
  auto& m = *st.node_metrics;
  m.gauge("weft_webhook_subscriptions_disabled", "Webhook subscriptions disabled", "", "",
          static_cast<double>(disabled));
  m.gauge("weft_webhook_subscriptions_paused", "Webhook subscriptions paused", "", "",
          static_cast<double>(paused));
  auto now = std::chrono::system_clock::now();
  std::set<std::string> seen;
  for (auto& p : pending) {
    std::chrono::system_clock::time_point oldest;
    double age = 0;
    if (events::parse_rfc3339(p.oldest_created_at, oldest))
      age = std::max(0.0, std::chrono::duration<double>(now - oldest).count());
    m.gauge("weft_webhook_pending", "Webhook deliveries waiting, per subscription",
            "subscription", p.subscription_id, static_cast<double>(p.pending));
    m.gauge("weft_webhook_oldest_pending_seconds",
            "Age of a subscription's oldest waiting delivery", "subscription", p.subscription_id,
            age);
    seen.insert(p.subscription_id);
  }
  for (auto& id : st.pending_reported)
    if (!seen.contains(id)) {
      m.gauge("weft_webhook_pending", "Webhook deliveries waiting, per subscription",
              "subscription", id, 0);
      m.gauge("weft_webhook_oldest_pending_seconds",
              "Age of a subscription's oldest waiting delivery", "subscription", id, 0);
    }
  st.pending_reported = std::move(seen);
}

dispatcher_actor::behavior_type dispatcher(self_ptr self, std::shared_ptr<store_session> session,
                                           webhooks_settings settings, std::string owner,
                                           caf::actor bus, metrics* node_metrics,
                                           std::shared_ptr<dispatch_wake> wake) {
  auto& st = self->state;
  st.session = std::move(session);
  st.settings = std::move(settings);
  st.owner = std::move(owner);
  st.bus = caf::actor_cast<event_bus_actor>(bus); // untyped through spawn (CAF 0.17)
  st.node_metrics = node_metrics;
  st.wake = std::move(wake);
  auto me = caf::actor_cast<caf::actor>(self);
  st.poster = std::make_unique<http_poster>(st.settings.allow_hosts, st.settings.max_in_flight,
                                            [me](post_result r) {
    caf::anon_send(me, posted_atom::value, r.id, r.code, std::move(r.error), r.latency_ms,
                   r.retry_after_s);
  });
  // Stopping: what ended is recorded first (else its lease would run out
  // and the attempt be made again).
  self->set_exit_handler([self](caf::exit_msg& m) {
    record_ended(self);
    self->quit(m.reason);
  });
  self->send(self, tick_atom::value);
  self->send(self, stats_atom::value);
  return {
    [self](tick_atom) { tick(self); },
    [self](wake_atom) { record_ended(self); },
    [self](ready_atom) {
      self->state.wake->taken();
      claim(self);
    },
    [self](stats_atom) { report(self); },
    [self](posted_atom, uint64_t id, int32_t code, std::string& error, int32_t latency,
           int32_t retry_after) {
      posted(self, post_result{id, code, std::move(error), latency, retry_after});
    },
  };
}

} // namespace

void dispatch_wake::attach(caf::actor dispatcher) {
  std::lock_guard<std::mutex> guard{mtx_};
  target_ = dispatcher.address();
}

void dispatch_wake::poke() {
  if (queued_.exchange(true))
    return; // one is on its way
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto target = caf::actor_cast<caf::actor>(target_))
    caf::anon_send(target, ready_atom::value);
  else
    queued_ = false;
}

caf::actor spawn_dispatcher(service_context& ctx, const webhooks_settings& settings,
                            std::shared_ptr<dispatch_wake> wake) {
  auto owner = ctx.node_name + ":" + events::new_uuid_v7();
  auto h = ctx.system.spawn<caf::detached>(dispatcher, ctx.data.open_session("webhooks-dispatch"),
                                           settings, owner, ctx.bus, &ctx.node_metrics, wake);
  wake->attach(caf::actor_cast<caf::actor>(h));
  return caf::actor_cast<caf::actor>(h);
}

} // namespace weft::webhooks
