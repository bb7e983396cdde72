#include "actors/notifications/notifications.hpp"

#include <set>

#include "actors/auth/email.hpp"
#include "actors/auth/events.hpp"
#include "actors/notifications/events.hpp"
#include "actors/notifications/repo.hpp"
#include "events/ids.hpp"
#include "runtime/api_error.hpp"

namespace weft::notifications {

namespace {

/// An event of this service, caused by `cause` (or by a request).
template <class T>
events::envelope event(const T& x, std::string subject, std::string correlationid,
                       std::string causationid = {}) {
  static_assert(published_events::contains<T>,
                "notifications publishes only its published_events");
  return events::make_envelope(
    x, std::move(subject),
    events::origin{"notifications", std::move(correlationid), std::move(causationid), {}});
}

/// Writes `n` for its user: the row, one more unread, and the event that
/// says so. Deliberately not idempotent: the inbox applies each event once.
caf::error notify(unit_of_work& w, const events::envelope& cause, notification_record n) {
  auto repo = open_repository(w);
  if (auto err = repo->add(n))
    return err;
  if (auto err = repo->add_unread(n.user_id, 1))
    return err;
  w.emit(event(notification_created{n.id, n.user_id, n.kind}, n.id, cause.correlationid,
               cause.id));
  return {};
}

/// The key a recipient's notifications are kept under: a user id as it is;
/// an email (in auth's form) is its user's id once known, else
/// `email:<address>` until that user registers (user_created moves them).
/// Empty for an address auth would not accept: nobody to notify.
caf::expected<std::string> recipient_key(notification_repository& repo, std::string_view who) {
  if (who.find('@') == std::string_view::npos)
    return std::string{who};
  auto email = auth::normalize_email(who);
  if (email.empty())
    return email;
  auto user = repo.recipient(email);
  if (!user || !user->empty())
    return user;
  return "email:" + email;
}

notification_view to_view(const notification_record& n) {
  return {n.id, n.kind, n.title, n.body, n.subject, n.event_id, n.created_at, n.read};
}

} // namespace

std::unique_ptr<notification_repository> open_repository(unit_of_work& w) {
  return w.kind() == store_kind::postgres ? open_pg_repository(w) : open_memory_repository(w);
}

kit::event_dispatch event_handlers(const notifications_settings& s) {
  kit::event_dispatch d;
  d.on<auth::user_created>(
    [s](unit_of_work& w, const auth::user_created& e, const events::envelope& ev) -> caf::error {
      // Requests that named this email before the user existed are theirs
      // now (auth's events carry emails in normalize_email's form).
      auto repo = open_repository(w);
      if (auto err = repo->remember(e.email, e.user_id))
        return err;
      if (auto moved = repo->rekey("email:" + e.email, e.user_id); !moved)
        return std::move(moved.error());
      return notify(w, ev,
                    {events::new_uuid_v7(), e.user_id, "welcome", s.welcome_title,
                     "Welcome, " + e.email + ". Your account is ready.", e.user_id, ev.id,
                     events::now_rfc3339_ms(), false});
    });
  d.on<inapp_requested>(
    [](unit_of_work& w, const inapp_requested& e, const events::envelope& ev) -> caf::error {
      auto repo = open_repository(w);
      std::string past = e.trigger == "create" ? "created" : e.trigger == "update" ? "updated" : "deleted";
      auto body = e.entity + " " + e.entity_id + " was " + past + ".";
      std::set<std::string> done; // one notification per person, however often named
      for (const auto& who : e.recipients) {
        if (who.empty())
          continue;
        auto key = recipient_key(*repo, who);
        if (!key)
          return std::move(key.error());
        if (key->empty() || !done.insert(*key).second)
          continue;
        if (auto err = notify(w, ev,
                              {events::new_uuid_v7(), *key, "inapp", e.title, body, e.entity_id,
                               ev.id, events::now_rfc3339_ms(), false}))
          return err;
      }
      return {};
    });
  d.on<auth::apikey_created>(
    [s](unit_of_work& w, const auth::apikey_created& e, const events::envelope& ev) {
      return notify(w, ev,
                    {events::new_uuid_v7(), e.created_by, "api_key", s.api_key_title,
                     "API key \"" + e.name + "\" with role " + e.role + " was created.",
                     e.key_id, ev.id, events::now_rfc3339_ms(), false});
    });
  return d;
}

notifications_actor::behavior_type
notifications_behavior(notifications_actor::stateful_pointer<notifications_state> self,
                       std::shared_ptr<store_session> session) {
  self->state.session = std::move(session);
  return {
    [self](list_atom, const principal& who, const page_request& p) -> caf::result<notification_page> {
      auto before = cursor::decode_uuid(p.cursor);
      if (!before)
        return std::move(before.error());
      return read<notification_page>(*self->state.session, [&](unit_of_work& w)
                                                             -> caf::expected<notification_page> {
        auto repo = open_repository(w);
        auto unread = repo->unread(who.id);
        if (!unread)
          return unread.error();
        auto rows = repo->list(who.id, *before, p.limit + 1);
        if (!rows)
          return rows.error();
        auto page = cursor::page_of<notification_page>(std::move(*rows), p.limit, to_view,
                                                       [](const auto& n) { return n.id; });
        page.unread = *unread;
        return page;
      });
    },
    [self](mark_atom, const principal& who, const read_request& r) -> caf::result<unread_count> {
      if (r.all == !r.ids.empty())
        return api_error(api_errc::bad_request, "give either ids or all: true");
      return transact<unread_count>(*self->state.session, [&](unit_of_work& w)
                                                             -> caf::expected<unread_count> {
        auto repo = open_repository(w);
        auto changed = repo->mark_read(who.id, r.all ? std::vector<std::string>{} : r.ids);
        if (!changed)
          return changed.error();
        if (*changed > 0)
          if (auto err = repo->add_unread(who.id, -*changed))
            return err;
        auto unread = repo->unread(who.id);
        if (!unread)
          return unread.error();
        if (*changed > 0)
          w.emit(event(notifications_read{who.id, *changed, *unread}, who.id, {}));
        return unread_count{*unread};
      });
    },
  };
}

} // namespace weft::notifications
