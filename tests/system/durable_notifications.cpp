// The notifications service on PostgreSQL and JetStream under handler
// faults: deliveries that fail before the handler runs, and deliveries that
// fail after it wrote (its notification and counter increment must roll
// back with the inbox record). Counted in its tables: one notification per
// event, every unread counter equal to its user's notifications. The nats
// kill, node kill and two-node scenarios of durable_delivery.cpp check the
// same for their bursts.
#include "tests/system/durable_common.hpp"
#include "tests/system/notifications_common.hpp"

using namespace sys;

TEST_CASE("notifications: faults before and after the handler's writes, each event applied once",
          "[durable][notifications]") {
  durable_servers s;
  weft_node node(durable_options(
    s, {{"bus", {{"max_deliver", 20}}},
        {"faults",
         {{"rules",
           {{{"handler", "notifications"}, {"mode", "fail"}, {"first", 5}},
            {{"handler", "notifications"}, {"mode", "fail_after"}, {"first", 40}}}}}}}));
  auto token = login_root(node).access;
  auto root_id = account_id(node, token);
  burst_result res;
  create_keys(node, token, "fault", 200, 4, res);
  REQUIRE(res.created.load() == 200);
  std::vector<std::string> users;
  for (int i = 0; i < 3; ++i)
    users.push_back(register_user(node, unique_email("dn"))["id"].get<std::string>());

  check_notifications_once(s, root_id);
  for (auto& u : users) {
    CHECK(s.sql_int("SELECT count(*) FROM weft_notifications WHERE user_id = '" + u + "' AND kind = 'welcome'")
          == 1);
    CHECK(s.sql_int("SELECT unread FROM weft_notification_counters WHERE user_id = '" + u + "'") == 1);
    // And the same through the API.
    auto n = wait_notes(node, token_for(u), 1);
    CHECK(n.welcome == 1);
    CHECK(n.unread == 1);
  }
  auto text = node.metrics_text();
  // The 35 fail_after deliveries ran the handler and were rolled back.
  CHECK(metric_sum(text, "weft_inbox_failed_total", {{"consumer", "notifications"}}).value_or(0) >= 35);
  CHECK(metric_sum(text, "weft_events_redelivered_total", {{"consumer", "notifications"}}).value_or(0) >= 40);
  CHECK(metric_sum(text, "weft_events_dead_lettered_total", {{"consumer", "notifications"}}).value_or(0) == 0);
  // Each notification's event came out of the outbox once (follow-up events
  // of rolled-back attempts are gone with them).
  CHECK(s.sql_int("SELECT count(*) FROM weft_outbox WHERE type = 'notifications.notification.created'")
        == s.sql_int("SELECT count(*) FROM weft_notifications"));
}
