#include "actors/notifications/repo.hpp"
#include "adapters/postgres/pg_store.hpp"
#include "adapters/postgres/postgres.hpp"
#include "events/ids.hpp"

// Notifications on PostgreSQL (migrations/0001_notifications.sql), inside
// the unit of work's transaction: the durable inbox's when writing.
namespace weft::notifications {

namespace {

using pg::statement;

#define WEFT_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

constexpr statement add_sql{
  "notifications_add",
  "INSERT INTO weft_notifications (id, user_id, kind, title, body, subject, event_id, created_at)"
  " VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8::timestamptz)"};

constexpr statement add_unread_sql{
  "notifications_add_unread",
  "INSERT INTO weft_notification_counters (user_id, unread) VALUES ($1, $2)"
  " ON CONFLICT (user_id) DO UPDATE"
  "   SET unread = weft_notification_counters.unread + EXCLUDED.unread"};

constexpr statement unread_sql{
  "notifications_unread", "SELECT unread FROM weft_notification_counters WHERE user_id = $1"};

// Newest first, keyset on id ($2 = '': from the newest).
constexpr statement list_sql{
  "notifications_list",
  "SELECT id, user_id, kind, title, body, subject, event_id, " WEFT_TS("created_at")
  ", read_at IS NOT NULL FROM weft_notifications"
  " WHERE user_id = $1 AND ($2 = '' OR id < $2::uuid) ORDER BY id DESC LIMIT $3"};

constexpr statement mark_all_sql{
  "notifications_mark_all",
  "UPDATE weft_notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL"};

constexpr statement mark_some_sql{
  "notifications_mark_some",
  "UPDATE weft_notifications SET read_at = now()"
  " WHERE user_id = $1 AND read_at IS NULL AND id = ANY($2::uuid[])"};

constexpr statement recipient_sql{
  "notifications_recipient", "SELECT user_id FROM weft_notification_recipients WHERE email = $1"};

constexpr statement remember_sql{
  "notifications_remember",
  "INSERT INTO weft_notification_recipients (email, user_id) VALUES ($1, $2)"
  " ON CONFLICT (email) DO UPDATE SET user_id = EXCLUDED.user_id"};

constexpr statement rekey_sql{
  "notifications_rekey", "UPDATE weft_notifications SET user_id = $2 WHERE user_id = $1"};

// The counter moves with the rows, added to what `to` already has.
constexpr statement rekey_counter_sql{
  "notifications_rekey_counter",
  "WITH old AS (DELETE FROM weft_notification_counters WHERE user_id = $1 RETURNING unread)"
  " INSERT INTO weft_notification_counters (user_id, unread) SELECT $2, unread FROM old"
  " ON CONFLICT (user_id) DO UPDATE"
  "   SET unread = weft_notification_counters.unread + EXCLUDED.unread"};

#undef WEFT_TS

class pg_notification_repository final : public notification_repository {
public:
  explicit pg_notification_repository(pg::connection& c) : conn_(c) {}

  caf::error add(const notification_record& n) override {
    auto r = conn_.exec(add_sql, n.id, n.user_id, n.kind, n.title, n.body, n.subject, n.event_id,
                        n.created_at);
    return r ? caf::error{} : std::move(r.error());
  }

  caf::error add_unread(std::string_view user_id, int64_t delta) override {
    auto r = conn_.exec(add_unread_sql, user_id, delta);
    return r ? caf::error{} : std::move(r.error());
  }

  caf::expected<int64_t> unread(std::string_view user_id) override {
    auto r = conn_.exec(unread_sql, user_id);
    if (!r)
      return std::move(r.error());
    return r->rows() == 0 ? int64_t{0} : r->get<int64_t>(0, 0);
  }

  caf::expected<std::vector<notification_record>>
  list(std::string_view user_id, std::string_view before, size_t limit) override {
    auto r = conn_.exec(list_sql, user_id, before, static_cast<int64_t>(limit));
    if (!r)
      return std::move(r.error());
    std::vector<notification_record> out;
    out.reserve(static_cast<size_t>(r->rows()));
    for (int i = 0; i < r->rows(); ++i)
      out.push_back({r->get<std::string>(i, 0), r->get<std::string>(i, 1),
                     r->get<std::string>(i, 2), r->get<std::string>(i, 3),
                     r->get<std::string>(i, 4), r->get<std::string>(i, 5),
                     r->get<std::string>(i, 6), r->get<std::string>(i, 7),
                     r->get<bool>(i, 8)});
    return out;
  }

  caf::expected<int64_t> mark_read(std::string_view user_id,
                                   const std::vector<std::string>& ids) override {
    if (ids.empty())
      return affected(conn_.exec(mark_all_sql, user_id));
    // Ids that are no UUID name no notification.
    std::vector<std::string> valid;
    for (const auto& id : ids)
      if (events::is_uuid(id))
        valid.push_back(id);
    if (valid.empty())
      return int64_t{0};
    return affected(conn_.exec(mark_some_sql, user_id, pg::text_array(valid)));
  }

  caf::expected<std::string> recipient(std::string_view email) override {
    auto r = conn_.exec(recipient_sql, email);
    if (!r)
      return std::move(r.error());
    return r->rows() == 0 ? std::string{} : r->get<std::string>(0, 0);
  }

  caf::error remember(std::string_view email, std::string_view user_id) override {
    auto r = conn_.exec(remember_sql, email, user_id);
    return r ? caf::error{} : std::move(r.error());
  }

  caf::expected<int64_t> rekey(std::string_view from, std::string_view to) override {
    auto moved = affected(conn_.exec(rekey_sql, from, to));
    if (!moved || *moved == 0)
      return moved;
    if (auto r = conn_.exec(rekey_counter_sql, from, to); !r)
      return std::move(r.error());
    return moved;
  }

private:
  static caf::expected<int64_t> affected(caf::expected<pg::result> r) {
    if (!r)
      return std::move(r.error());
    return r->affected();
  }

  pg::connection& conn_;
};

} // namespace

std::unique_ptr<notification_repository> open_pg_repository(unit_of_work& w) {
  return std::make_unique<pg_notification_repository>(*pg::connection_of(w));
}

} // namespace weft::notifications
