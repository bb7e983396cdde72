#include <catch2/catch.hpp>

#include "runtime/faults.hpp"

using weft::fault_action;
using weft::fault_plan;
using weft::config::fault_rule;

namespace {

fault_rule rule(std::string handler, std::string mode, uint32_t first, double fraction = 0.0,
                std::string type = {}) {
  fault_rule r;
  r.handler = std::move(handler);
  r.mode = std::move(mode);
  r.first = first;
  r.fraction = fraction;
  r.type = std::move(type);
  return r;
}

} // namespace

TEST_CASE("fault plan: empty plan never injects", "[faults]") {
  fault_plan plan;
  CHECK(plan.empty());
  for (int i = 0; i < 10; ++i)
    CHECK(plan.next("audit", "auth.user.created") == fault_action::none);
}

TEST_CASE("fault plan: the first N deliveries to a handler fail, then none", "[faults]") {
  fault_plan plan{{rule("audit", "fail", 2)}};
  CHECK_FALSE(plan.empty());
  CHECK(plan.next("auth", "auth.user.created") == fault_action::none);
  CHECK(plan.next("audit", "auth.user.created") == fault_action::fail);
  CHECK(plan.next("audit", "auth.user.deleted") == fault_action::fail);
  CHECK(plan.next("audit", "auth.user.created") == fault_action::none);
  CHECK(plan.next("audit", "auth.user.created") == fault_action::none);
}

TEST_CASE("fault plan: no_ack mode and a type restriction", "[faults]") {
  fault_plan plan{{rule("audit", "no_ack", 1, 0.0, "auth.user.deleted")}};
  CHECK(plan.next("audit", "auth.user.created") == fault_action::none);
  CHECK(plan.next("audit", "auth.user.deleted") == fault_action::no_ack);
  CHECK(plan.next("audit", "auth.user.deleted") == fault_action::none);
}

TEST_CASE("fault plan: a fraction of the rest, deterministically", "[faults]") {
  fault_plan a{{rule("svc", "fail", 0, 0.25)}};
  fault_plan b{{rule("svc", "fail", 0, 0.25)}};
  int failed = 0;
  for (int i = 0; i < 10000; ++i) {
    auto x = a.next("svc", "t");
    CHECK(x == b.next("svc", "t"));
    failed += x == fault_action::fail;
  }
  CHECK(failed > 2200);
  CHECK(failed < 2800);
}

TEST_CASE("fault plan: fraction 1 fails everything, fraction 0 nothing after first",
          "[faults]") {
  fault_plan all{{rule("svc", "fail", 0, 1.0)}};
  fault_plan first_only{{rule("svc", "fail", 3, 0.0)}};
  int all_failed = 0, first_failed = 0;
  for (int i = 0; i < 100; ++i) {
    all_failed += all.next("svc", "t") == fault_action::fail;
    first_failed += first_only.next("svc", "t") == fault_action::fail;
  }
  CHECK(all_failed == 100);
  CHECK(first_failed == 3);
}

TEST_CASE("fault plan: every matching rule counts, the first decision wins", "[faults]") {
  fault_plan plan{{rule("svc", "no_ack", 1), rule("svc", "fail", 2)}};
  CHECK(plan.next("svc", "t") == fault_action::no_ack); // rule 1: 1st, rule 2: 1st
  CHECK(plan.next("svc", "t") == fault_action::fail);   // rule 2: 2nd
  CHECK(plan.next("svc", "t") == fault_action::none);
}
