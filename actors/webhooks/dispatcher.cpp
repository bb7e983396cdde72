#include "actors/webhooks/dispatcher.hpp"

#include <chrono>
#include <map>
#include <random>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/webhooks/events.hpp"
#include "actors/webhooks/http_poster.hpp"
#include "actors/webhooks/repo.hpp"
#include "actors/webhooks/signature.hpp"
#include "events/ids.hpp"
#include "runtime/atoms.hpp"
#include "runtime/store.hpp"

namespace weft::webhooks {

namespace {

using dispatcher_actor = caf::typed_actor<
  caf::reacts_to<tick_atom>,
  caf::reacts_to<posted_atom, uint64_t, int32_t, std::string, int32_t, int32_t>>;

/// An attempt under way.
struct attempt {
  delivery_record row;
  subscription_record sub;
};

struct dispatcher_state {
  static inline const char* name = "weft.webhooks.dispatcher";
  std::shared_ptr<store_session> session;
  webhooks_settings settings;
  std::string owner;
  std::unique_ptr<http_poster> poster;
  std::map<uint64_t, attempt> in_flight;
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

void tick(self_ptr self) {
  auto& st = self->state;
  auto room = st.settings.max_in_flight > st.in_flight.size()
                ? st.settings.max_in_flight - st.in_flight.size()
                : 0;
  if (room > 0) {
    std::vector<attempt> claimed;
    auto err = st.session->transact([&](unit_of_work& w) -> caf::error {
      auto subs = open_repository(w)->list({}, st.settings.max_subscriptions);
      if (!subs)
        return subs.error();
      std::map<std::string, subscription_record> by_id;
      std::vector<std::string> enabled, ordered;
      for (auto& s : *subs) {
        if (!s.enabled)
          continue;
        enabled.push_back(s.id);
        if (s.ordered)
          ordered.push_back(s.id);
        by_id.emplace(s.id, s);
      }
      if (enabled.empty())
        return {};
      auto rows =
        open_delivery_repository(w)->claim(st.owner, room, st.settings.lease_ms, enabled, ordered);
      if (!rows)
        return rows.error();
      for (auto& r : *rows)
        claimed.push_back({r, by_id.at(r.subscription_id)});
      return {};
    });
    if (err)
      spdlog::warn("webhooks: cannot claim deliveries: {}", self->system().render(err));
    for (auto& a : claimed) {
      auto id = st.next_job++;
      auto job = job_for(a, id, st.settings);
      st.in_flight.emplace(id, std::move(a));
      st.poster->submit(std::move(job));
    }
  }
  self->delayed_send(self, std::chrono::milliseconds{st.settings.poll_ms}, tick_atom::value);
}

std::string at_after(std::chrono::milliseconds d) {
  return events::format_rfc3339_ms(std::chrono::system_clock::now() + d);
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
  bool disable = false;
  if (r.code >= 200 && r.code < 300) {
    o.status = "delivered";
    o.error.clear();
  } else if (r.code == 410) {
    o.status = "gone";
    disable = true;
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
  auto err = st.session->transact([&](unit_of_work& w) -> caf::error {
    if (auto e = open_delivery_repository(w)->settle(a.row.id, o))
      return e;
    if (o.status == "exhausted")
      w.emit(event_of(attempt_exhausted{a.sub.id, a.row.event_id, a.sub.sink,
                                        static_cast<int64_t>(attempts), r.code, o.error},
                      a.sub.id, a.row.event_id));
    if (disable) {
      auto subs = open_repository(w);
      auto cur = subs->find(a.sub.id);
      if (!cur)
        return cur.error();
      if (*cur && (*cur)->enabled) {
        auto s = **cur;
        s.enabled = false;
        s.updated_at = events::now_rfc3339_ms();
        auto ok = subs->replace(s);
        if (!ok)
          return ok.error();
        w.emit(event_of(subscription_disabled{s.id, "the sink answered 410 Gone"}, s.id,
                        a.row.event_id));
      }
    }
    return {};
  });
  if (err)
    spdlog::warn("webhooks: cannot record delivery {}: {} (its lease will expire)", a.row.id,
                 self->system().render(err));
}

dispatcher_actor::behavior_type dispatcher(self_ptr self, std::shared_ptr<store_session> session,
                                           webhooks_settings settings, std::string owner) {
  auto& st = self->state;
  st.session = std::move(session);
  st.settings = std::move(settings);
  st.owner = std::move(owner);
  auto me = caf::actor_cast<caf::actor>(self);
  st.poster = std::make_unique<http_poster>(st.settings.allow_hosts, [me](post_result r) {
    caf::anon_send(me, posted_atom::value, r.id, r.code, std::move(r.error), r.latency_ms,
                   r.retry_after_s);
  });
  self->send(self, tick_atom::value);
  return {
    [self](tick_atom) { tick(self); },
    [self](posted_atom, uint64_t id, int32_t code, std::string& error, int32_t latency,
           int32_t retry_after) {
      posted(self, post_result{id, code, std::move(error), latency, retry_after});
    },
  };
}

} // namespace

caf::actor spawn_dispatcher(service_context& ctx, const webhooks_settings& settings) {
  auto owner = ctx.node_name + ":" + events::new_uuid_v7();
  auto h = ctx.system.spawn<caf::detached>(dispatcher, ctx.data.open_session("webhooks-dispatch"),
                                           settings, owner);
  return caf::actor_cast<caf::actor>(h);
}

} // namespace weft::webhooks
