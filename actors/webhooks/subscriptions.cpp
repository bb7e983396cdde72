#include "actors/webhooks/subscriptions.hpp"

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "actors/webhooks/dispatcher.hpp"
#include "actors/webhooks/repo.hpp"
#include "actors/webhooks/signature.hpp"
#include "actors/webhooks/sink_policy.hpp"
#include "events/codec.hpp"
#include "events/ids.hpp"
#include "events/routes.hpp"
#include "runtime/api_error.hpp"
#include "runtime/event_feed.hpp"
#include "runtime/service_kit.hpp"

namespace weft::webhooks {

namespace {

/// The problem with a subscription's fields, or none.
caf::error check(const std::string& sink, const std::vector<std::string>& types,
                 const subscription_filters& filters, const webhooks_settings& s) {
  if (auto why = check_sink(sink, s.allow_hosts); !why.empty())
    return api_error(api_errc::unprocessable, "sink refused: " + why, "/sink");
  for (size_t i = 0; i < types.size(); ++i)
    if (!events::valid_type_pattern(types[i]))
      return api_error(api_errc::unprocessable,
                       "not an event type or `prefix.*`: '" + types[i] + "'",
                       "/types/" + std::to_string(i));
  const auto& f = filters.subject;
  int set = !f.exact.empty() + !f.prefix.empty() + !f.suffix.empty();
  if (set > 1)
    return api_error(api_errc::unprocessable, "a subject filter takes one of exact, prefix, suffix",
                     "/filters/subject");
  return {};
}

std::string to_json(const subscription_filters& f) {
  nlohmann::json subject = nlohmann::json::object();
  if (!f.subject.exact.empty())
    subject["exact"] = f.subject.exact;
  if (!f.subject.prefix.empty())
    subject["prefix"] = f.subject.prefix;
  if (!f.subject.suffix.empty())
    subject["suffix"] = f.subject.suffix;
  nlohmann::json j = nlohmann::json::object();
  if (!subject.empty())
    j["subject"] = std::move(subject);
  return j.dump();
}

subscription_filters filters_of(const std::string& text) {
  subscription_filters f;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object() && j.contains("subject") && j["subject"].is_object()) {
    const auto& s = j["subject"];
    f.subject.exact = s.value("exact", "");
    f.subject.prefix = s.value("prefix", "");
    f.subject.suffix = s.value("suffix", "");
  }
  return f;
}

std::vector<std::string> types_of(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (j.is_array())
    for (auto& t : j)
      if (t.is_string())
        out.push_back(t.get<std::string>());
  return out;
}

subscription_view to_view(const subscription_record& r) {
  subscription_view v;
  v.id = r.id;
  v.sink = r.sink;
  v.types = types_of(r.types_json);
  v.filters = filters_of(r.filters_json);
  v.ordered = r.ordered;
  v.enabled = r.enabled;
  v.paused = r.paused;
  v.created_at = r.created_at;
  v.updated_at = r.updated_at;
  v.failing_since = r.failing_since;
  v.disabled_reason = r.disabled_reason;
  return v;
}

/// Changes subscription `id` with `change` (in the unit) and answers its view.
template <class Change>
caf::expected<subscription_view> change_subscription(unit_of_work& w, const std::string& id,
                                                     Change change) {
  auto repo = open_repository(w);
  auto found = repo->find(id);
  if (!found)
    return found.error();
  if (!*found)
    return api_error(api_errc::not_found, "no subscription " + id);
  auto r = **found;
  change(r);
  r.updated_at = events::now_rfc3339_ms();
  auto ok = repo->replace(r);
  if (!ok)
    return ok.error();
  return to_view(r);
}

caf::error not_found(const std::string& id) {
  return api_error(api_errc::not_found, "no subscription " + id);
}

delivery_view delivery_view_of(const delivery_record& d) {
  return {std::to_string(d.id), d.event_id,  d.type,       d.subject,
          d.status,             d.attempts,  d.next_at,    d.last_code,
          d.last_error,         d.last_latency_ms, d.created_at, d.updated_at};
}

bool type_matches(const std::vector<std::string>& patterns, const std::string& type) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return events::type_matches(p, type); });
}

bool subject_matches(const subject_filter& f, const std::string& subject) {
  if (!f.exact.empty())
    return subject == f.exact;
  if (!f.prefix.empty())
    return subject.starts_with(f.prefix);
  if (!f.suffix.empty())
    return subject.ends_with(f.suffix);
  return true;
}

} // namespace

bool selects(const subscription_record& s, const events::envelope& ev) {
  return type_matches(types_of(s.types_json), ev.type)
         && subject_matches(filters_of(s.filters_json).subject, ev.subject);
}

bool matches(const subscription_record& s, const events::envelope& ev) {
  return s.enabled && selects(s, ev);
}

caf::error match_events(unit_of_work& w, std::span<const events::envelope> evs,
                        const webhooks_settings& s, const std::shared_ptr<dispatch_wake>& wake) {
  // The service's own events match like any (a subscription may ask for them).
  auto subs = open_repository(w)->list({}, s.max_subscriptions);
  if (!subs)
    return subs.error();
  std::unique_ptr<delivery_repository> deliveries;
  for (const auto& ev : evs) {
    std::string body;
    for (const auto& sub : *subs) {
      if (!matches(sub, ev))
        continue;
      if (!deliveries)
        deliveries = open_delivery_repository(w);
      if (body.empty())
        body = events::encode(ev);
      delivery_record d;
      d.subscription_id = sub.id;
      d.event_id = ev.id;
      d.type = ev.type;
      d.subject = ev.subject;
      d.body = body;
      d.status = "pending";
      if (auto err = deliveries->add(d))
        return err;
    }
  }
  if (deliveries && wake)
    w.on_commit([wake] { wake->poke(); });
  return {};
}

namespace {

using front_ptr = subscriptions_actor::stateful_pointer<subscriptions_state>;

/// Stream positions read per request while replaying.
constexpr uint32_t replay_page = 500;

/// A replay from a stream position under way.
struct position_replay {
  subscription_record sub;
  uint64_t after = 0;
  int64_t replayed = 0;
  caf::typed_response_promise<replay_result> rp;
};

/// Reads the stream page by page from `job->after` and makes a pending
/// delivery of every event the subscription selects.
void replay_from(front_ptr self, std::shared_ptr<position_replay> job) {
  self->request(self->state.bus, std::chrono::seconds{30}, query_atom::value,
                stream_query{"weft.>", job->after, replay_page})
    .then(
      [self, job](std::vector<delivery>& page) {
        std::vector<delivery_record> rows;
        for (auto& d : page) {
          if (events::is_dead_letter_subject(d.message.subject) || !selects(job->sub, d.message.event))
            continue;
          delivery_record r;
          r.subscription_id = job->sub.id;
          r.event_id = d.message.event.id;
          r.type = d.message.event.type;
          r.subject = d.message.event.subject;
          r.body = events::encode(d.message.event);
          rows.push_back(std::move(r));
        }
        auto err = self->state.session->transact([&](unit_of_work& w) -> caf::error {
          auto repo = open_delivery_repository(w);
          for (auto& r : rows)
            if (auto e = repo->requeue(r))
              return e;
          return {};
        });
        if (err) {
          job->rp.deliver(std::move(err));
          return;
        }
        job->replayed += static_cast<int64_t>(rows.size());
        if (page.size() < replay_page) {
          job->rp.deliver(replay_result{job->replayed});
          return;
        }
        job->after = page.back().stream_seq;
        replay_from(self, job);
      },
      [job](caf::error& err) { job->rp.deliver(std::move(err)); });
}

} // namespace

subscriptions_actor::behavior_type
subscriptions_behavior(subscriptions_actor::stateful_pointer<subscriptions_state> self,
                       std::shared_ptr<store_session> session, webhooks_settings settings,
                       caf::actor bus) {
  self->state.session = std::move(session);
  self->state.settings = std::move(settings);
  self->state.bus = caf::actor_cast<event_bus_actor>(bus);
  return {
    [self](create_atom, const subscription_request& req) -> caf::result<subscription_view> {
      const auto& s = self->state.settings;
      if (auto err = check(req.sink, req.types, req.filters, s))
        return err;
      return transact<subscription_view>(
        *self->state.session, [&](unit_of_work& w) -> caf::expected<subscription_view> {
          auto repo = open_repository(w);
          auto n = repo->count();
          if (!n)
            return n.error();
          if (*n >= s.max_subscriptions)
            return api_error(api_errc::conflict,
                             "already " + std::to_string(*n)
                               + " subscriptions (webhooks.max_subscriptions)");
          auto now = events::now_rfc3339_ms();
          subscription_record r;
          r.id = events::new_uuid_v7();
          r.sink = req.sink;
          r.types_json = nlohmann::json(req.types).dump();
          r.filters_json = to_json(req.filters);
          r.ordered = req.ordered;
          r.enabled = req.enabled;
          r.secret = new_secret();
          r.created_at = r.updated_at = now;
          if (auto err = repo->add(r))
            return err;
          auto view = to_view(r);
          view.secret = r.secret;
          return view;
        });
    },
    [self](list_atom, const page_request& p) -> caf::result<subscription_page> {
      auto after = cursor::decode_uuid(p.cursor);
      if (!after)
        return std::move(after.error());
      return read<subscription_page>(
        *self->state.session, [&](unit_of_work& w) -> caf::expected<subscription_page> {
          auto rows = open_repository(w)->list(*after, p.limit + 1);
          if (!rows)
            return rows.error();
          return cursor::page_of<subscription_page>(std::move(*rows), p.limit, to_view,
                                                    [](const auto& r) { return r.id; });
        });
    },
    [self](fetch_atom, const std::string& id) -> caf::result<subscription_view> {
      return read<subscription_view>(
        *self->state.session, [&](unit_of_work& w) -> caf::expected<subscription_view> {
          auto r = open_repository(w)->find(id);
          if (!r)
            return r.error();
          if (!*r)
            return not_found(id);
          return to_view(**r);
        });
    },
    [self](update_atom, const std::string& id, const subscription_patch& patch,
           const std::vector<std::string>& given) -> caf::result<subscription_view> {
      auto has = [&](const char* k) { return std::find(given.begin(), given.end(), k) != given.end(); };
      return transact<subscription_view>(
        *self->state.session, [&](unit_of_work& w) -> caf::expected<subscription_view> {
          auto repo = open_repository(w);
          auto found = repo->find(id);
          if (!found)
            return found.error();
          if (!*found)
            return not_found(id);
          auto r = **found;
          auto types = types_of(r.types_json);
          auto filters = filters_of(r.filters_json);
          if (has("sink"))
            r.sink = patch.sink;
          if (has("types"))
            types = patch.types;
          if (has("filters"))
            filters = patch.filters;
          if (has("ordered"))
            r.ordered = patch.ordered;
          if (has("enabled")) {
            if (patch.enabled && !r.enabled) { // enabled again: a fresh start
              r.disabled_reason.clear();
              if (auto ok = repo->set_failing_since(r.id, ""); !ok)
                return ok.error();
              r.failing_since.clear();
            }
            r.enabled = patch.enabled;
          }
          if (auto err = check(r.sink, types, filters, self->state.settings))
            return err;
          r.types_json = nlohmann::json(types).dump();
          r.filters_json = to_json(filters);
          r.updated_at = events::now_rfc3339_ms();
          auto ok = repo->replace(r);
          if (!ok)
            return ok.error();
          return to_view(r);
        });
    },
    [self](remove_atom, const std::string& id) -> caf::result<ack_atom> {
      return transact<ack_atom>(*self->state.session,
                                [&](unit_of_work& w) -> caf::expected<ack_atom> {
                                  auto gone = open_repository(w)->remove(id);
                                  if (!gone)
                                    return gone.error();
                                  if (!*gone)
                                    return not_found(id);
                                  // Its deliveries go with it (none is sent after).
                                  if (auto err = open_delivery_repository(w)->remove_for(id))
                                    return err;
                                  return ack_atom::value;
                                });
    },
    [self](list_atom, const std::string& id, const page_request& p) -> caf::result<delivery_page> {
      auto after = cursor::decode(p.cursor);
      if (!after)
        return std::move(after.error());
      int64_t from = 0;
      if (!after->empty()) {
        try {
          from = std::stoll(*after);
        } catch (const std::exception&) {
          return api_error(api_errc::bad_request, "not a cursor of this listing", "/cursor");
        }
      }
      return read<delivery_page>(
        *self->state.session, [&](unit_of_work& w) -> caf::expected<delivery_page> {
          auto sub = open_repository(w)->find(id);
          if (!sub)
            return sub.error();
          if (!*sub)
            return not_found(id);
          auto rows = open_delivery_repository(w)->list(id, from, p.limit + 1);
          if (!rows)
            return rows.error();
          return cursor::page_of<delivery_page>(std::move(*rows), p.limit, delivery_view_of,
                                                [](const auto& d) { return std::to_string(d.id); });
        });
    },
    [self](pause_atom, const std::string& id) -> caf::result<subscription_view> {
      return transact<subscription_view>(*self->state.session, [&](unit_of_work& w) {
        return change_subscription(w, id, [](subscription_record& r) { r.paused = true; });
      });
    },
    [self](resume_atom, const std::string& id) -> caf::result<subscription_view> {
      return transact<subscription_view>(*self->state.session, [&](unit_of_work& w) {
        return change_subscription(w, id, [](subscription_record& r) { r.paused = false; });
      });
    },
    [self](redeliver_atom, const std::string& id,
           const std::string& event) -> caf::result<delivery_view> {
      return transact<delivery_view>(
        *self->state.session, [&](unit_of_work& w) -> caf::expected<delivery_view> {
          auto sub = open_repository(w)->find(id);
          if (!sub)
            return sub.error();
          if (!*sub)
            return not_found(id);
          auto d = open_delivery_repository(w)->redeliver(id, event);
          if (!d)
            return d.error();
          if (!*d)
            return api_error(api_errc::not_found,
                             "no delivery of event " + event + " to subscription " + id);
          return delivery_view_of(**d);
        });
    },
    [self](replay_atom, const std::string& id,
           const replay_request& q) -> caf::result<replay_result> {
      if (q.since.empty() == q.from.empty())
        return api_error(api_errc::bad_request, "give one of since (a time) or from (a position)");
      if (!q.from.empty()) {
        auto at = stream_position_of(q.from);
        if (!at)
          return api_error(api_errc::bad_request,
                           "from: not a stream position (an event id of GET /v1/events, a "
                           "number, or earliest)",
                           "/from");
        auto found = read<subscription_record>(
          *self->state.session, [&](unit_of_work& w) -> caf::expected<subscription_record> {
            auto r = open_repository(w)->find(id);
            if (!r)
              return r.error();
            if (!*r)
              return not_found(id);
            return **r;
          });
        if (!found)
          return std::move(found.error());
        auto job = std::make_shared<position_replay>();
        job->sub = std::move(*found);
        job->after = *at;
        job->rp = self->make_response_promise<replay_result>();
        auto rp = job->rp;
        replay_from(self, job);
        return rp;
      }
      std::chrono::system_clock::time_point since;
      if (!events::parse_rfc3339(q.since, since))
        return api_error(api_errc::bad_request, "since: not an RFC 3339 date-time", "/since");
      auto since_text = events::format_rfc3339_ms(since);
      return transact<replay_result>(
        *self->state.session, [&](unit_of_work& w) -> caf::expected<replay_result> {
          auto sub = open_repository(w)->find(id);
          if (!sub)
            return sub.error();
          if (!*sub)
            return not_found(id);
          auto n = open_delivery_repository(w)->replay(id, since_text);
          if (!n)
            return n.error();
          return replay_result{*n};
        });
    },
    [self](redrive_atom, const bus_message& letter) -> caf::result<ack_atom> {
      std::string id;
      for (const auto& [k, v] : letter.headers)
        if (k == "Weft-Dlq-Subscription")
          id = v;
      return transact<ack_atom>(
        *self->state.session, [&](unit_of_work& w) -> caf::expected<ack_atom> {
          auto d = open_delivery_repository(w)->redeliver(id, letter.event.id);
          if (!d)
            return d.error();
          // No such delivery: its subscription was deleted since, and the
          // letter has nothing left to go back to.
          return ack_atom::value;
        });
    },
    [self](rotate_atom, const std::string& id) -> caf::result<secret_rotation> {
      return transact<secret_rotation>(
        *self->state.session, [&](unit_of_work& w) -> caf::expected<secret_rotation> {
          auto repo = open_repository(w);
          auto found = repo->find(id);
          if (!found)
            return found.error();
          if (!*found)
            return not_found(id);
          auto r = **found;
          auto until = std::chrono::system_clock::now()
                       + std::chrono::seconds{self->state.settings.rotation_overlap_s};
          r.previous_secret = r.secret;
          r.previous_until = events::format_rfc3339_ms(until);
          r.secret = new_secret();
          r.updated_at = events::now_rfc3339_ms();
          auto ok = repo->replace(r);
          if (!ok)
            return ok.error();
          return secret_rotation{r.secret, r.previous_until};
        });
    },
  };
}

std::unique_ptr<subscription_repository> open_repository(unit_of_work& w) {
  return w.kind() == store_kind::postgres ? open_pg_repository(w) : open_memory_repository(w);
}

std::unique_ptr<delivery_repository> open_delivery_repository(unit_of_work& w) {
  return w.kind() == store_kind::postgres ? open_pg_delivery_repository(w)
                                          : open_memory_delivery_repository(w);
}

caf::expected<service_instance> spawn_webhooks_group(service_context& ctx,
                                                     const webhooks_settings& settings,
                                                     std::shared_ptr<dispatch_wake> wake) {
  auto group =
    kit::spawn_front(ctx, "webhooks", kit::workers{2}, subscriptions_behavior, settings, ctx.bus)
      .instance();
  group.actors.push_back(spawn_dispatcher(ctx, settings, std::move(wake))); // stops with the service
  return group;
}

} // namespace weft::webhooks
