#pragma once

// What the durable system tests share: a nats-server and a PostgreSQL
// cluster of their own, a node configured with both, and counting in the
// database (reading its tables is a public interface of a durable service
// for these counts). Events are generated cheaply with POST
// /v1/auth/api-keys (no password hashing), which emits auth.apikey.created.

#include "tests/system/common.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/support/nats_raw.hpp"
#include "tests/support/servers.hpp"

namespace sys {

using steady = std::chrono::steady_clock;

/// A nats-server (JetStream, temp store) and a PostgreSQL cluster with a
/// database `weft`, each on a free port, stopped at the end.
struct durable_servers {
  nats_server nats;
  postgres_cluster pg;
  std::string db = "weft";

  durable_servers() { pg.create_database(db); }

  std::string db_url() const { return pg.url(db); }

  /// Runs SQL on the test database; stdout, trimmed.
  std::string sql(const std::string& q) const {
    auto out = pg.psql(q, db);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
      out.pop_back();
    return out;
  }
  /// A single integer answer.
  long long sql_int(const std::string& q) const {
    auto out = sql(q);
    return out.empty() ? 0 : std::stoll(out);
  }
  /// One line per row.
  std::vector<std::string> sql_lines(const std::string& q) const {
    std::vector<std::string> lines;
    std::istringstream in(sql(q));
    for (std::string l; std::getline(in, l);)
      if (!l.empty())
        lines.push_back(l);
    return lines;
  }
};

/// The durable part of a node's config, with short timings for tests.
inline json durable_config(const durable_servers& s, const json& extra = json::object()) {
  json c = {
    {"database", {{"url", s.db_url()}, {"health_interval_ms", 200}, {"connect_timeout_ms", 2000},
                  {"idle_in_transaction_timeout_ms", 2000}}},
    {"nats", {{"url", s.nats.url()}, {"reconnect_wait_ms", 100}}},
    {"bus", {{"backoff_ms", {20, 50}}, {"ack_wait_ms", 2000}, {"max_deliver", 10}}},
    // A crashed relay's claimed rows come back after lease_ms (30 s by default).
    {"outbox", {{"lease_ms", 3000}, {"publish_timeout_ms", 1500}, {"backoff_ms", {50, 200, 500}}}},
    {"log", {{"level", "warn"}}},
  };
  c.merge_patch(extra);
  return c;
}

/// node_options() of common.hpp (jwt secret, root from the environment)
/// with the durable config merged over it.
inline weft_node_options durable_options(const durable_servers& s, const json& extra = json::object()) {
  auto o = node_options(durable_config(s, extra));
  o.ready_deadline = 30s;
  return o;
}

/// A valid structured CloudEvent.
inline json cloud_event(const std::string& id, const std::string& type, const std::string& subject,
                        const json& data = json::object()) {
  return {{"specversion", "1.0"},    {"id", id},
          {"source", "/weft/tests"}, {"type", type},
          {"subject", subject},      {"time", "2026-01-01T00:00:00.000Z"},
          {"datacontenttype", "application/json"}, {"data", data}};
}

/// Counts of the audit trail (of one event type, or all).
struct trail_counts {
  long long total = 0;
  long long distinct = 0;
};

inline trail_counts audit_counts(const durable_servers& s, const std::string& type = {}) {
  std::string where = type.empty() ? "" : " WHERE type = '" + type + "'";
  auto out = s.sql("SELECT count(*) || ' ' || count(DISTINCT event_id) FROM weft_audit_trail" + where);
  trail_counts c;
  std::istringstream in(out);
  in >> c.total >> c.distinct;
  return c;
}

inline long long outbox_pending(const durable_servers& s) {
  return s.sql_int("SELECT count(*) FROM weft_outbox WHERE published_at IS NULL");
}

/// key_id -> how many auth.apikey.created events of the trail name it.
inline std::map<std::string, int> trail_key_ids(const durable_servers& s) {
  std::map<std::string, int> out;
  for (auto& l : s.sql_lines("SELECT envelope->'data'->>'key_id' FROM weft_audit_trail"
                             " WHERE type = 'auth.apikey.created'"))
    ++out[l];
  return out;
}

/// Every API key id in the database.
inline std::set<std::string> stored_key_ids(const durable_servers& s) {
  auto lines = s.sql_lines("SELECT id FROM weft_api_keys");
  return {lines.begin(), lines.end()};
}

/// The notifications service's view of a burst of API keys, read in its
/// tables: one notification per key (its subject) for the key's creator,
/// and unread counters that the inbox increments once per notification
/// (deliberately not idempotent: a double application would show here, no
/// UNIQUE constraint hides it).
struct notification_counts {
  std::map<std::string, int> by_key;     ///< key id -> api_key notifications about it
  long long creator_rows = 0;            ///< notifications of the creator
  long long creator_unread = -1;         ///< the creator's counter
  long long rows = 0;                    ///< every notification
  long long counters = 0;                ///< the sum of every counter
};

inline notification_counts notifications_of(const durable_servers& s, const std::string& creator) {
  notification_counts c;
  for (auto& l : s.sql_lines("SELECT subject FROM weft_notifications WHERE kind = 'api_key'"))
    ++c.by_key[l];
  c.creator_rows = s.sql_int("SELECT count(*) FROM weft_notifications WHERE user_id = '" + creator + "'");
  auto unread = s.sql("SELECT unread FROM weft_notification_counters WHERE user_id = '" + creator + "'");
  c.creator_unread = unread.empty() ? 0 : std::stoll(unread);
  c.rows = s.sql_int("SELECT count(*) FROM weft_notifications");
  c.counters = s.sql_int("SELECT coalesce(sum(unread), 0) FROM weft_notification_counters");
  return c;
}

/// The id of the account a token belongs to.
inline std::string account_id(const weft_node& node, const std::string& token) {
  auto r = node.get("/v1/auth/me", bearer(token));
  REQUIRE(r.status == 200);
  return r.json()["id"].get<std::string>();
}

/// Waits until every stored API key has its notification, then checks each
/// has exactly one and every counter equals its notifications (nothing was
/// marked read in these tests).
inline void check_notifications_once(const durable_servers& s, const std::string& creator,
                                     std::chrono::milliseconds deadline = std::chrono::seconds(60)) {
  auto stored = stored_key_ids(s);
  bool caught_up = wait_until(
    [&] {
      return s.sql_int("SELECT count(*) FROM weft_notifications WHERE kind = 'api_key'")
             >= static_cast<long long>(stored.size());
    },
    deadline);
  auto c = notifications_of(s, creator);
  INFO("keys " << stored.size() << ", api_key notifications " << c.by_key.size() << " distinct; creator has "
               << c.creator_rows << " notifications, unread " << c.creator_unread << "; all rows " << c.rows
               << ", counters sum " << c.counters);
  CHECK(caught_up);
  int missing = 0, twice = 0;
  for (auto& id : stored) {
    auto it = c.by_key.find(id);
    if (it == c.by_key.end())
      ++missing;
    else if (it->second != 1)
      ++twice;
  }
  CHECK(missing == 0);
  CHECK(twice == 0);
  CHECK(c.by_key.size() == stored.size());
  CHECK(c.creator_unread == c.creator_rows);
  CHECK(c.counters == c.rows);
}

/// What a burst of POST /v1/auth/api-keys got back.
struct burst_result {
  std::mutex mtx;
  std::vector<std::string> created_ids; ///< ids of 201 answers
  std::map<int, int> statuses;          ///< status -> count (0 = transport failure)
  std::vector<std::string> unexpected;  ///< a sample of answers other than 201/503/transport failure
  std::atomic<int> sent{0};
  std::atomic<int> created{0};
};

/// Creates `n` API keys named `<tag>-<i>` from `threads` keep-alive
/// connections; stops early when `stop` becomes true. Transport failures
/// (the node killed) are counted as status 0; a refused connection is not
/// retried (that index is skipped).
inline void create_keys(const weft_node& node, const std::string& token, const std::string& tag, int n,
                        int threads, burst_result& out, const std::atomic<bool>* stop = nullptr,
                        const http_headers& extra = {}) {
  std::atomic<int> next{0};
  auto work = [&] {
    http_client c("127.0.0.1", node.http_port(), true, std::chrono::seconds(10));
    for (;;) {
      if (stop && stop->load())
        return;
      int i = next.fetch_add(1);
      if (i >= n)
        return;
      http_headers h = bearer(token);
      for (auto& [k, v] : extra.fields())
        h.add(k, v);
      out.sent++;
      auto r = c.post("/v1/auth/api-keys", {{"name", tag + "-" + std::to_string(i)}, {"role", "user"}}, h);
      std::lock_guard<std::mutex> lk(out.mtx);
      out.statuses[r.status]++;
      if (r.status == 201) {
        auto j = r.json_or_null();
        if (j.is_object() && j.contains("id") && j["id"].is_string())
          out.created_ids.push_back(j["id"].get<std::string>());
        out.created++;
      } else if (r.status != 0 && r.status != 503 && out.unexpected.size() < 5) {
        out.unexpected.push_back(std::to_string(r.status) + " " + r.body);
      }
    }
  };
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back(work);
  for (auto& t : ts)
    t.join();
}

inline std::string describe_statuses(const std::map<int, int>& m) {
  std::string s;
  for (auto& [k, v] : m)
    s += std::to_string(k) + ":" + std::to_string(v) + " ";
  return s;
}

/// Waits until the audit trail holds `want` auth.apikey.created events and
/// the outbox has nothing pending; true if it did by the deadline.
inline bool wait_trail(const durable_servers& s, long long want, std::chrono::milliseconds deadline) {
  return wait_until(
    [&] {
      auto c = audit_counts(s, "auth.apikey.created");
      return c.total >= want && outbox_pending(s) == 0;
    },
    deadline);
}

/// Waits until the node has done everything the events so far cause:
/// nothing pending in the outbox, every event of the outbox in the trail,
/// every auth event that notifies with its notification (whose own event is
/// then in the outbox; unless the node does not host `notifications`).
/// Counts taken after it do not move under the test.
inline bool wait_settled(const durable_servers& s, std::chrono::milliseconds deadline,
                         bool notifications = true) {
  return wait_until(
    [&] {
      return outbox_pending(s) == 0
             && s.sql_int("SELECT count(*) FROM weft_outbox o WHERE NOT EXISTS"
                          " (SELECT 1 FROM weft_audit_trail a WHERE a.event_id = o.event_id)")
                  == 0
             && (!notifications || s.sql_int("SELECT count(*) FROM weft_outbox o"
                          " WHERE o.type IN ('auth.apikey.created', 'auth.user.created')"
                          " AND NOT EXISTS (SELECT 1 FROM weft_notifications n"
                          " WHERE n.event_id = o.event_id::text)")
                                     == 0)
             && outbox_pending(s) == 0;
    },
    deadline);
}

/// Both: `want` keys in the trail, then everything they cause applied.
inline bool wait_applied(const durable_servers& s, long long want, std::chrono::milliseconds deadline) {
  return wait_trail(s, want, deadline) && wait_settled(s, deadline);
}

} // namespace sys
