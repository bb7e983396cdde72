#include "actors/inbox/pg_inbox_batch.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "adapters/postgres/errors.hpp"
#include "actors/inbox/inbox_consumer.hpp"
#include "adapters/postgres/pg_store.hpp"
#include "adapters/postgres/pipeline.hpp"
#include "adapters/postgres/transaction.hpp"
#include "events/ids.hpp"

namespace weft::inbox {

namespace {

using clock = std::chrono::steady_clock;

// All records of a batch in one statement; RETURNING names the new ones.
constexpr pg::statement insert_records{
  "weft_inbox_insert_many",
  "INSERT INTO weft_inbox (consumer, event_id)"
  " SELECT c, e FROM unnest($1::text[], $2::uuid[]) AS t(c, e)"
  " ON CONFLICT DO NOTHING RETURNING consumer, event_id"};

// One record, for the careful path (affected() says whether it is new).
constexpr pg::statement insert_record{
  "weft_inbox_insert_one",
  "INSERT INTO weft_inbox (consumer, event_id) VALUES ($1, $2::uuid)"
  " ON CONFLICT DO NOTHING"};

std::string key_of(std::string_view consumer, std::string_view event) {
  std::string k;
  k.reserve(consumer.size() + 1 + event.size());
  k.append(consumer).push_back('\n'); // '\n' occurs in neither half
  k.append(event);
  return k;
}

std::string key_of(const batch_item& x) {
  return key_of(x.consumer_key, x.event_key);
}

/// The transaction failed as a whole: every unique item not failed yet
/// fails with `err`.
void fail(std::vector<batch_item>& items, const std::vector<size_t>& uniques,
          const caf::error& err, batch_report& rep) {
  rep.fatal = err;
  for (auto i : uniques) {
    if (items[i].result != outcome::failed) {
      items[i].result = outcome::failed;
      items[i].error = err;
    }
  }
}

caf::error injected_after() {
  return caf::make_error(errc::injected_failure,
                         std::string{"injected failure after the handler"});
}

/// Runs the handler on `evs` through `unit`, timed; exceptions and a
/// transaction the handler left aborted (it swallowed an SQL error) become
/// its error, and so does the fault plan's `fail_after`. A failed call's
/// events are dropped from the unit.
caf::error call(pg::pg_unit& unit, const batch_handlers& h,
                std::span<const events::envelope> evs, bool fail_after, batch_report& rep) {
  auto& c = unit.conn();
  auto emitted_before = unit.events().size();
  auto hooks_before = unit.commit_hook_count();
  auto start = clock::now();
  caf::error err;
  try {
    if (h.many) {
      err = h.many(unit, evs);
    } else {
      for (const auto& ev : evs)
        if ((err = h.one(unit, ev)))
          break;
    }
  } catch (const std::exception& e) {
    err = caf::make_error(caf::sec::runtime_error, std::string{"handler threw: "} + e.what());
  } catch (...) {
    err = caf::make_error(caf::sec::runtime_error, std::string{"handler threw"});
  }
  rep.handler_seconds.push_back(std::chrono::duration<double>(clock::now() - start).count());
  if (!err && c.native() != nullptr && PQtransactionStatus(c.native()) == PQTRANS_INERROR)
    err = pg::make_pg_error(api_errc::internal, "database error", "25P02",
                            "the handler returned success with its transaction aborted");
  if (!err && fail_after)
    err = injected_after();
  if (err) {
    unit.events().resize(emitted_before);
    unit.drop_commit_hooks(hooks_before);
  }
  return err;
}

/// The unit's events become outbox rows, then COMMIT.
caf::error commit(pg::transaction& tx, pg::pg_unit& unit, batch_report& rep) {
  if (auto err = unit.append_events())
    return err;
  auto hooks = unit.take_commit_hooks();
  if (auto err = tx.commit())
    return err;
  rep.emitted = rep.emitted || !unit.events().empty();
  run_commit_hooks(std::move(hooks));
  return {};
}

/// INSERT ... RETURNING for `uniques`; the keys inserted. Rows go in in key
/// order: two transactions with some of the same ids (two workers, two
/// nodes) then wait for each other instead of deadlocking.
caf::expected<std::unordered_set<std::string>>
insert_all(pg::connection& c, const std::vector<batch_item>& items,
           const std::vector<size_t>& uniques) {
  auto sorted = uniques;
  std::sort(sorted.begin(), sorted.end(), [&](size_t a, size_t b) {
    const auto& x = items[a];
    const auto& y = items[b];
    return std::tie(x.consumer_key, x.event_key) < std::tie(y.consumer_key, y.event_key);
  });
  std::vector<std::string> consumers;
  consumers.reserve(sorted.size());
  std::string ids = "{";
  ids.reserve(2 + sorted.size() * 37);
  for (auto i : sorted) {
    consumers.push_back(items[i].consumer_key);
    if (ids.size() > 1)
      ids += ',';
    ids += items[i].event_key; // a validated UUID: nothing to quote
  }
  ids += '}';
  auto r = c.exec(insert_records, pg::text_array(consumers), ids);
  if (!r)
    return std::move(r.error());
  std::unordered_set<std::string> out;
  out.reserve(static_cast<size_t>(r->rows()));
  for (int row = 0; row < r->rows(); ++row)
    out.insert(key_of(r->text(row, 0), r->text(row, 1)));
  return out;
}

enum class fast_result { done, careful };

fast_result fast_path(pg::connection& c, const batch_handlers& h,
                      std::vector<batch_item>& items, const std::vector<size_t>& uniques,
                      batch_report& rep) {
  auto tx = pg::transaction::begin(c);
  if (!tx) {
    fail(items, uniques, tx.error(), rep);
    return fast_result::done;
  }
  pg::pg_unit unit{c};
  auto inserted = insert_all(c, items, uniques);
  if (!inserted) {
    fail(items, uniques, inserted.error(), rep);
    return fast_result::done; // ~transaction rolls back
  }
  std::vector<size_t> fresh;
  fresh.reserve(uniques.size());
  for (auto i : uniques) {
    if (inserted->count(key_of(items[i])) > 0)
      fresh.push_back(i);
    else
      items[i].result = outcome::duplicate;
  }
  auto back_off = [&] {
    tx->rollback();
    for (auto i : uniques)
      items[i].result = outcome::pending;
    return fast_result::careful;
  };
  if (!fresh.empty() && h.many) {
    // The batch handler wants a contiguous span: borrow the events.
    std::vector<events::envelope> evs;
    evs.reserve(fresh.size());
    bool fail_after = false;
    for (auto i : fresh) {
      evs.push_back(std::move(items[i].event));
      fail_after = fail_after || items[i].fail_after;
    }
    auto err = call(unit, h, evs, fail_after, rep);
    for (size_t k = 0; k < fresh.size(); ++k)
      items[fresh[k]].event = std::move(evs[k]);
    if (err)
      return back_off();
  } else {
    for (auto i : fresh) {
      if (auto err = call(unit, h, {&items[i].event, 1}, items[i].fail_after, rep)) {
        back_off();
        // This delivery failed: it is not run again on the careful path.
        items[i].result = outcome::failed;
        items[i].error = std::move(err);
        return fast_result::careful;
      }
    }
  }
  if (auto err = commit(*tx, unit, rep)) {
    fail(items, uniques, err, rep);
    return fast_result::done;
  }
  for (auto i : fresh)
    items[i].result = outcome::applied;
  return fast_result::done;
}

void careful_path(pg::connection& c, const batch_handlers& h, std::vector<batch_item>& items,
                  const std::vector<size_t>& uniques, batch_report& rep) {
  rep.careful = true;
  auto tx = pg::transaction::begin(c);
  if (!tx) {
    fail(items, uniques, tx.error(), rep);
    return;
  }
  pg::pg_unit unit{c};
  bool release = false; // the previous item's savepoint, released with the next trip
  for (auto i : uniques) {
    auto& x = items[i];
    if (x.result != outcome::pending)
      continue;
    pg::pipeline p{c};
    if (release)
      p.add("RELEASE SAVEPOINT weft_inbox_item");
    p.add("SAVEPOINT weft_inbox_item");
    p.add(insert_record, x.consumer_key, x.event_key);
    auto r = p.run();
    if (!r) {
      fail(items, uniques, r.error(), rep);
      return;
    }
    release = true;
    if (r->back().affected() == 0) {
      x.result = outcome::duplicate;
      continue;
    }
    if (auto err = call(unit, h, {&x.event, 1}, x.fail_after, rep)) {
      if (auto undo = c.exec("ROLLBACK TO SAVEPOINT weft_inbox_item"); !undo) {
        fail(items, uniques, undo.error(), rep);
        return;
      }
      x.result = outcome::failed;
      x.error = std::move(err);
      continue;
    }
    x.result = outcome::applied; // once committed
  }
  if (auto err = commit(*tx, unit, rep))
    fail(items, uniques, err, rep);
}

} // namespace

batch_report apply_batch(pg::connection& c, const batch_handlers& h,
                         std::vector<batch_item>& items) {
  batch_report rep;
  // A redelivery can land in the batch of its first delivery: the later
  // copies follow the first one's outcome.
  std::unordered_map<std::string, int> seen;
  seen.reserve(items.size());
  std::vector<size_t> uniques; // in delivery order: handlers run in that order
  uniques.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    auto& x = items[i];
    if (x.result != outcome::pending)
      continue;
    auto [it, added] = seen.emplace(key_of(x), static_cast<int>(i));
    if (added)
      uniques.push_back(i);
    else
      x.first = it->second;
  }
  if (!uniques.empty() && fast_path(c, h, items, uniques, rep) == fast_result::careful)
    careful_path(c, h, items, uniques, rep);
  for (auto& x : items) {
    if (x.first >= 0) {
      const auto& f = items[static_cast<size_t>(x.first)];
      x.result = f.result == outcome::failed ? outcome::failed : outcome::duplicate;
      x.error = f.error;
    }
    switch (x.result) {
      case outcome::applied: ++rep.applied; break;
      case outcome::duplicate: ++rep.duplicates; break;
      default: ++rep.failed; break;
    }
  }
  return rep;
}

} // namespace weft::inbox
