#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "events/routes.hpp"

using namespace weft::events;

TEST_CASE("event types map to subjects under weft.", "[routes]") {
  CHECK(subject_for_type("auth.user.created") == "weft.auth.user.created");
  CHECK(type_for_subject("weft.auth.user.created") == "auth.user.created");
  CHECK(type_for_subject(subject_for_type("audit.entry.recorded")) == "audit.entry.recorded");
  CHECK(type_for_subject("other.auth.user.created").empty());
  CHECK(type_for_subject("weft.").empty());
  CHECK(type_for_subject("weft.dlq.audit").empty());
}

TEST_CASE("dead-letter subjects", "[routes]") {
  CHECK(dead_letter_subject("audit") == "weft.dlq.audit");
  CHECK(is_dead_letter_subject("weft.dlq.audit"));
  CHECK_FALSE(is_dead_letter_subject("weft.dlq."));
  CHECK_FALSE(is_dead_letter_subject("weft.auth.user.created"));
}

TEST_CASE("literal subjects match only themselves", "[routes]") {
  CHECK(subject_matches("weft.auth.user.created", "weft.auth.user.created"));
  CHECK_FALSE(subject_matches("weft.auth.user.created", "weft.auth.user.deleted"));
  CHECK_FALSE(subject_matches("weft.auth.user", "weft.auth.user.created"));
  CHECK_FALSE(subject_matches("weft.auth.user.created", "weft.auth.user"));
  CHECK_FALSE(subject_matches("", "weft"));
  CHECK_FALSE(subject_matches("weft", ""));
}

TEST_CASE("* matches exactly one token", "[routes]") {
  CHECK(subject_matches("weft.*.user.created", "weft.auth.user.created"));
  CHECK(subject_matches("weft.auth.user.*", "weft.auth.user.deleted"));
  CHECK(subject_matches("*", "weft"));
  CHECK(subject_matches("*.*", "a.b"));
  CHECK_FALSE(subject_matches("weft.*", "weft.auth.user"));
  CHECK_FALSE(subject_matches("weft.*.created", "weft.auth.user.created"));
  CHECK_FALSE(subject_matches("weft.auth.*", "weft.auth"));
  CHECK_FALSE(subject_matches("*", "a.b"));
  CHECK_FALSE(subject_matches("weft.*", "weft..x"));
}

TEST_CASE("> matches one or more trailing tokens", "[routes]") {
  CHECK(subject_matches("weft.>", "weft.auth"));
  CHECK(subject_matches("weft.>", "weft.auth.user.created"));
  CHECK(subject_matches(">", "anything.at.all"));
  CHECK(subject_matches("weft.*.>", "weft.auth.user"));
  CHECK_FALSE(subject_matches("weft.>", "weft"));
  CHECK_FALSE(subject_matches("weft.>", "other.auth"));
  CHECK_FALSE(subject_matches("weft.*.>", "weft.auth"));
  CHECK_FALSE(subject_matches("weft.>.created", "weft.auth.created"));
}

TEST_CASE("valid_subject_filter", "[routes]") {
  CHECK(valid_subject_filter("weft.>"));
  CHECK(valid_subject_filter("weft.*.user.*"));
  CHECK(valid_subject_filter("weft.dlq.audit"));
  CHECK(valid_subject_filter(">"));
  CHECK_FALSE(valid_subject_filter(""));
  CHECK_FALSE(valid_subject_filter("weft..x"));
  CHECK_FALSE(valid_subject_filter(".weft"));
  CHECK_FALSE(valid_subject_filter("weft."));
  CHECK_FALSE(valid_subject_filter("weft.>.x"));
  CHECK_FALSE(valid_subject_filter("weft.a*"));
  CHECK_FALSE(valid_subject_filter("weft.>b"));
  CHECK_FALSE(valid_subject_filter("weft.a b"));
}

TEST_CASE("partitions: a token after weft., stable, reversible") {
  using namespace weft::events;
  CHECK(partitioned_subject("weft.auth.user.created", 3) == "weft.p3.auth.user.created");
  CHECK(unpartitioned_subject("weft.p3.auth.user.created") == "weft.auth.user.created");
  CHECK(unpartitioned_subject("weft.p12.dlq.audit") == "weft.dlq.audit");
  // Not a partition token: left alone.
  CHECK(unpartitioned_subject("weft.auth.user.created") == "weft.auth.user.created");
  CHECK(unpartitioned_subject("weft.pa.x") == "weft.pa.x");
  CHECK(unpartitioned_subject("weft.p.x") == "weft.p.x");
  CHECK(unpartitioned_subject("weft.p3") == "weft.p3");
  CHECK(partition_filter("weft.auth.>", 2) == "weft.p2.auth.>");
  CHECK(partition_filter("weft.>", 0) == "weft.p0.>");
  CHECK(partition_filter("", 5) == "weft.p5.>");
  CHECK(partition_filter("other.>", 5).empty());
  CHECK(subject_matches("weft.>", partitioned_subject("weft.a.b", 1)));
  CHECK(subject_matches(partition_filter("weft.a.>", 1), partitioned_subject("weft.a.b", 1)));
  CHECK_FALSE(subject_matches(partition_filter("weft.a.>", 1), partitioned_subject("weft.a.b", 2)));
  // FNV-1a: fixed values, so every node and build agrees.
  CHECK(partition_of("user-42", 1) == 0);
  CHECK(partition_of("", 8) == 2166136261u % 8);
  CHECK(partition_of("user-42", 8) == partition_of("user-42", 8));
  std::vector<int> seen(8, 0);
  for (int i = 0; i < 800; ++i)
    seen[partition_of("agg-" + std::to_string(i), 8)]++;
  for (int n : seen)
    CHECK(n > 50); // roughly even
}

TEST_CASE("type patterns: exact, prefix.* or *", "[routes]") {
  for (auto ok : {"auth.user.created", "auth.user.*", "*", "a-b_c.d"})
    CHECK(valid_type_pattern(ok));
  for (auto bad : {"", ".a", "a.", "a..b", "a.*.b", "a*", "a b", "*.a"})
    CHECK_FALSE(valid_type_pattern(bad));
}
