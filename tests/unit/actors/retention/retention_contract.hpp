#pragma once

#include <catch2/catch.hpp>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <string>
#include <vector>

#include "actors/audit/module.hpp"
#include "actors/audit/repo.hpp"
#include "actors/audit/settings.hpp"
#include "actors/auth/module.hpp"
#include "actors/auth/repo.hpp"
#include "actors/modules.hpp"
#include "actors/retention/retention_sweeper.hpp"
#include "actors/webhooks/module.hpp"
#include "actors/webhooks/repo.hpp"
#include "config/loader.hpp"
#include "events/ids.hpp"
#include "runtime/metrics.hpp"

// What the retention sweeper must do on either store: each rule prunes what
// is past retention and nothing younger, in batches, and counts it.
namespace weft::retention::test {

using namespace std::chrono_literals;

inline int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// The settings of a node with every module, the audit trail kept a day.
inline config::settings day_of_audit() {
  auto s = config::defaults(schema_extension_of(service_modules()));
  s.section<audit::audit_settings>("audit").retention_s = 86400;
  return s;
}

/// Every rule of such a node: the services', then the node's.
inline std::vector<retention_rule> all_rules(const config::settings& s) {
  std::vector<retention_rule> rules;
  for (auto& m : {auth::module(), audit::module(), webhooks::module()}) {
    auto d = m.declare(s);
    rules.insert(rules.end(), d.retention.begin(), d.retention.end());
  }
  auto node = node_rules(s);
  rules.insert(rules.end(), node.begin(), node.end());
  return rules;
}

inline int64_t pruned(const sweep_result& r, const std::string& what) {
  for (auto& [w, n] : r)
    if (w == what)
      return n;
  FAIL("no rule " << what);
  return -1;
}

inline events::envelope audit_event(std::string time) {
  events::envelope ev;
  ev.id = events::new_uuid_v7();
  ev.source = "/weft/test";
  ev.type = "test.retention";
  ev.subject = "s";
  ev.time = std::move(time);
  return ev;
}

inline void ok(caf::error err) {
  REQUIRE_FALSE(err);
}

/// Writes old and young rows of every kind, sweeps, and checks that exactly
/// the old ones went (`old_inbox` inbox records were made old by the caller's
/// `age_inbox`, which the memory store cannot do: it passes 0).
template <class AgeInbox>
void prunes_the_old_and_keeps_the_young(store& data, int64_t old_inbox, AgeInbox age_inbox) {
  auto session = data.open_session("test");
  const auto now = unix_now();
  const auto user_id = events::new_uuid_v7();
  // 5 expired refresh tokens, 2 live; 3 expired idempotency answers, 2
  // live; 4 audit events two days old, 3 of now; 6 inbox records.
  ok(session->transact([&](unit_of_work& w) -> caf::error {
    auto auth = auth::open_repository(w);
    if (auto e = auth->insert_user({user_id, user_id + "@example.org", "x", {"user"}, events::now_rfc3339_ms()}))
      return e;
    for (int i = 0; i < 7; ++i)
      if (auto e = auth->insert_refresh({"h" + std::to_string(i), user_id, events::new_uuid_v7(),
                                         i < 5 ? now - 10 : now + 3600, i % 2 == 0}))
        return e;
    for (int i = 0; i < 5; ++i)
      if (auto e = w.record_answer({"k" + std::to_string(i), "op", "hash", "{}",
                                    i < 3 ? now - 10 : now + 3600}))
        return e;
    auto trail = audit::open_repository(w);
    auto two_days_ago = events::format_rfc3339_ms(std::chrono::system_clock::now() - 48h);
    for (int i = 0; i < 7; ++i)
      if (auto r = trail->append(audit_event(i < 4 ? two_days_ago : events::now_rfc3339_ms())); !r)
        return r.error();
    for (int i = 0; i < 6; ++i)
      if (auto r = w.record_delivery("audit", events::new_uuid_v7()); !r)
        return r.error();
    return {};
  }));
  age_inbox();

  weft::metrics m;
  auto settings = day_of_audit();
  auto opts = options_from(settings, &m);
  opts.batch = 2; // several batches per rule
  auto result = sweep(*session, all_rules(settings), opts);
  CHECK(pruned(result, "auth.refresh_tokens") == 5);
  CHECK(pruned(result, "http.idempotency_keys") == 3);
  CHECK(pruned(result, "audit.trail") == 4);
  CHECK(pruned(result, "inbox.records") == old_inbox);
  CHECK(prometheus::TextSerializer{}.Serialize(m.registry()->Collect()).find("weft_retention_pruned_total{what=\"audit.trail\"} 4") != std::string::npos);

  // The young ones are all there.
  ok(session->transact([&](unit_of_work& w) -> caf::error {
    auto auth = auth::open_repository(w);
    for (int i = 0; i < 7; ++i) {
      auto r = auth->find_refresh("h" + std::to_string(i));
      REQUIRE(r);
      CHECK(r->has_value() == (i >= 5));
    }
    for (int i = 3; i < 5; ++i) {
      auto a = w.find_answer("k" + std::to_string(i), "op");
      REQUIRE(a);
      CHECK(a->has_value());
    }
    audit::audit_query q;
    q.type = "test.retention";
    q.limit = 100;
    auto page = audit::open_repository(w)->query(q);
    REQUIRE(page);
    CHECK(page->items.size() == 3);
    return {};
  }));
  // Nothing more is due: a second sweep prunes nothing.
  auto again = sweep(*session, all_rules(settings), opts);
  for (auto& [what, n] : again)
    CHECK(n == 0);
  // An inbox record is forgotten only when old enough: then the same event
  // counts as new (which is why records must outlive the stream's copy).
  std::string key = events::new_uuid_v7();
  ok(session->transact([&](unit_of_work& w) -> caf::error {
    auto r = w.record_delivery("audit", key);
    REQUIRE(r);
    CHECK(*r);
    auto young = w.prune_deliveries(now - 3600, 100);
    REQUIRE(young);
    CHECK(*young == 0);
    return {};
  }));
  ok(session->transact([&](unit_of_work& w) -> caf::error {
    auto n = w.prune_deliveries(unix_now() + 2, 1000);
    REQUIRE(n);
    CHECK(*n == 6 - old_inbox + 1);
    auto r = w.record_delivery("audit", key);
    REQUIRE(r);
    CHECK(*r);
    return {};
  }));
}

/// Settled webhook deliveries (each its sink's record of an event) go by
/// age, in creation order and batches; pending ones stay whatever their age.
/// The rows are new, so the cut moves instead of the rows: a cut an hour
/// back prunes none, a cut past now prunes every settled one.
inline void prunes_settled_webhook_deliveries(store& data) {
  auto session = data.open_session("test");
  const auto sub = events::new_uuid_v7();
  ok(session->transact([&](unit_of_work& w) -> caf::error {
    auto d = webhooks::open_delivery_repository(w);
    for (int i = 0; i < 5; ++i) {
      webhooks::delivery_record r;
      r.subscription_id = sub;
      r.event_id = "e" + std::to_string(i);
      r.type = "test.retention";
      r.subject = "s";
      r.body = "{}";
      r.status = "pending";
      if (auto e = d->add(r))
        return e;
    }
    auto rows = d->list(sub, 0, 100);
    REQUIRE(rows);
    REQUIRE(rows->size() == 5);
    // e0 delivered, e1 gone, e2 exhausted, e3 pending (retrying), e4 delivered.
    std::vector<std::pair<int64_t, webhooks::delivery_outcome>> ends;
    const char* status[] = {"delivered", "gone", "exhausted", "pending", "delivered"};
    for (int i = 0; i < 5; ++i) {
      webhooks::delivery_outcome o;
      o.status = status[i];
      o.next_at = events::now_rfc3339_ms();
      ends.emplace_back((*rows)[i].id, o);
    }
    return d->settle_all(ends);
  }));
  auto prune = [&](int64_t before, int64_t limit) {
    int64_t n = -1;
    ok(session->transact([&](unit_of_work& w) -> caf::error {
      auto r = webhooks::open_delivery_repository(w)->prune_settled(before, limit);
      if (!r)
        return r.error();
      n = *r;
      return {};
    }));
    return n;
  };
  CHECK(prune(unix_now() - 3600, 100) == 0); // all young
  CHECK(prune(unix_now() + 10, 2) == 2);     // a batch
  CHECK(prune(unix_now() + 10, 2) == 2);
  CHECK(prune(unix_now() + 10, 2) == 0);     // only the pending one is left
  ok(session->transact([&](unit_of_work& w) -> caf::error {
    auto rows = webhooks::open_delivery_repository(w)->list(sub, 0, 100);
    REQUIRE(rows);
    REQUIRE(rows->size() == 1);
    CHECK(rows->front().event_id == "e3");
    CHECK(rows->front().status == "pending");
    return {};
  }));
}

} // namespace weft::retention::test
