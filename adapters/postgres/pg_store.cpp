#include "adapters/postgres/pg_store.hpp"

#include <caf/send.hpp>

#include "adapters/postgres/outbox_table.hpp"
#include "adapters/postgres/transaction.hpp"
#include "runtime/api_error.hpp"

namespace weft::pg {

namespace {

constexpr statement find_answer_sql{
  "weft_idempotency_find",
  "SELECT key, operation, request_hash, response, extract(epoch FROM expires_at)::bigint"
  " FROM weft_idempotency_keys WHERE key = $1 AND operation = $2 AND expires_at > now()"};

// An expired record of the same key is replaced; a live one wins (0 rows).
// The status column (a route's own status) is not used: 0.
constexpr statement record_answer_sql{
  "weft_idempotency_record",
  "INSERT INTO weft_idempotency_keys (key, operation, request_hash, status, response, expires_at)"
  " VALUES ($1, $2, $3, 0, $4, to_timestamp($5))"
  " ON CONFLICT (key, operation) DO UPDATE SET request_hash = EXCLUDED.request_hash,"
  "   response = EXCLUDED.response, created_at = now(), expires_at = EXCLUDED.expires_at"
  " WHERE weft_idempotency_keys.expires_at <= now()"};

constexpr statement record_delivery_sql{
  "weft_inbox_insert_one",
  "INSERT INTO weft_inbox (consumer, event_id) VALUES ($1, $2::uuid)"
  " ON CONFLICT DO NOTHING"};

// Retention, in batches: ctid lists keep each DELETE short (no long lock,
// no huge snapshot); the inbox has a BRIN index on processed_at (cheap for
// an append-mostly table), idempotency keys a b-tree on expires_at.
constexpr statement prune_deliveries_sql{
  "weft_inbox_prune",
  "DELETE FROM weft_inbox WHERE ctid = ANY(ARRAY(SELECT ctid FROM weft_inbox"
  " WHERE processed_at < to_timestamp($1) LIMIT $2))"};

constexpr statement prune_answers_sql{
  "weft_idempotency_prune",
  "DELETE FROM weft_idempotency_keys WHERE ctid = ANY(ARRAY(SELECT ctid FROM"
  " weft_idempotency_keys WHERE expires_at <= now() LIMIT $1))"};

/// One connection, one thread at a time.
class pg_session final : public store_session {
public:
  pg_session(connect_options opts, std::shared_ptr<pg_store::relay_ref> relay)
    : conn_(std::move(opts)), relay_(std::move(relay)) {}

  caf::error transact(const work_fn& work) override {
    bool emitted = false;
    std::vector<std::function<void()>> hooks;
    auto err = in_transaction(conn_, [&](connection& c) -> caf::error {
      pg_unit unit{c};
      hooks.clear(); // (a retried transaction starts over)
      if (auto e = work(unit))
        return e;
      emitted = !unit.events().empty();
      hooks = unit.take_commit_hooks();
      return unit.append_events();
    });
    if (err)
      return err;
    if (emitted)
      wake();
    run_commit_hooks(std::move(hooks));
    return {};
  }

  caf::error read(const work_fn& work) override {
    pg_unit unit{conn_};
    auto err = work(unit);
    if (!unit.events().empty())
      return api_error(api_errc::internal, "a read emitted events");
    return err;
  }

private:
  void wake() {
    outbox_table_relay_actor relay;
    {
      std::lock_guard<std::mutex> guard{relay_->mtx};
      relay = relay_->relay;
    }
    if (relay)
      caf::anon_send(relay, wake_atom::value);
  }

  connection conn_;
  std::shared_ptr<pg_store::relay_ref> relay_;
};

} // namespace

caf::expected<std::optional<idempotency_record>>
pg_unit::find_answer(std::string_view key, std::string_view operation) {
  auto r = conn_.exec(find_answer_sql, key, operation);
  if (!r)
    return std::move(r.error());
  if (r->rows() == 0)
    return std::optional<idempotency_record>{};
  return std::optional<idempotency_record>{
    idempotency_record{r->get<std::string>(0, 0), r->get<std::string>(0, 1),
                       r->get<std::string>(0, 2), r->get<std::string>(0, 3),
                       r->get<int64_t>(0, 4)}};
}

caf::error pg_unit::record_answer(const idempotency_record& r) {
  auto ins = conn_.exec(record_answer_sql, r.key, r.operation, r.request_hash, r.response,
                        r.expires_at);
  if (!ins)
    return std::move(ins.error());
  if (ins->affected() == 0)
    return api_error(api_errc::conflict, "idempotency key recorded by another request");
  return {};
}

caf::expected<bool> pg_unit::record_delivery(std::string_view consumer,
                                             std::string_view event_key) {
  auto r = conn_.exec(record_delivery_sql, consumer, event_key);
  if (!r)
    return std::move(r.error());
  return r->affected() == 1;
}

caf::expected<int64_t> pg_unit::prune_deliveries(int64_t before, int64_t limit) {
  auto r = conn_.exec(prune_deliveries_sql, before, limit);
  if (!r)
    return std::move(r.error());
  return r->affected();
}

caf::expected<int64_t> pg_unit::prune_answers(int64_t limit) {
  auto r = conn_.exec(prune_answers_sql, limit);
  if (!r)
    return std::move(r.error());
  return r->affected();
}

caf::error pg_unit::append_events() {
  if (events_.empty())
    return {};
  return append_outbox(conn_, events_, false);
}

connection* connection_of(unit_of_work& w) {
  auto* u = dynamic_cast<pg_unit*>(&w);
  return u == nullptr ? nullptr : &u->conn();
}

pg_store::pg_store(connect_options opts, uint32_t parallelism)
  : opts_(std::move(opts)), parallelism_(parallelism == 0 ? 1 : parallelism) {
}

void pg_store::set_relay(outbox_table_relay_actor relay) {
  std::lock_guard<std::mutex> guard{relay_->mtx};
  relay_->relay = std::move(relay);
}

std::shared_ptr<store_session> pg_store::open_session(std::string purpose) {
  auto opts = opts_;
  if (!purpose.empty())
    opts.application_name += "-" + purpose;
  return std::make_shared<pg_session>(std::move(opts), relay_);
}

} // namespace weft::pg
