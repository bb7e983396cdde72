// GET /v1/events on PostgreSQL + JetStream: a position is the stream's
// sequence under the stream's epoch, the same on every node, so a reader
// resumes on another node or after a restart (the node's history is filled
// from the stream at start), with nothing missing and nothing repeated.
#include "tests/system/durable_common.hpp"

#include <set>

#include "tests/support/sse_client.hpp"

using namespace sys;

namespace {

std::string email_of(const sse_event& e) {
  auto j = json::parse(e.data, nullptr, false);
  if (!j.is_object() || !j.contains("data"))
    return {};
  return j["data"].value("email", "");
}

/// Our e-mails among the next events, until `n` of them or the deadline.
std::vector<std::string> read_ours(sse_client& c, const std::set<std::string>& ours, size_t n,
                                   std::string* last_id = nullptr,
                                   std::chrono::milliseconds deadline = 15s) {
  std::vector<std::string> out;
  auto until = std::chrono::steady_clock::now() + deadline;
  while (out.size() < n) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      break;
    auto e = c.next(left);
    if (!e)
      break;
    auto email = email_of(*e);
    if (ours.count(email)) {
      out.push_back(email);
      if (last_id != nullptr)
        *last_id = e->id;
    }
  }
  return out;
}

} // namespace

TEST_CASE("events: a reader resumes on another node, and on a restarted one, from the stream",
          "[system][durable][events]") {
  durable_servers s;
  weft_node a(durable_options(s, {{"node", {{"name", "sse-a"}}}}));
  weft_node b(durable_options(s, {{"node", {{"name", "sse-b"}}}}));
  auto root = login_root(a);
  std::vector<std::string> emails;
  for (int i = 0; i < 9; ++i)
    emails.push_back(unique_email("sse-durable"));
  std::set<std::string> ours(emails.begin(), emails.end());
  const std::string target = "/v1/events?types=auth.user.created";

  std::string last;
  {
    sse_client c(a.http_port(), target, bearer(root.access));
    REQUIRE(c.open());
    for (int i = 0; i < 3; ++i)
      register_user(a, emails[i]);
    CHECK(read_ours(c, ours, 3, &last) == std::vector<std::string>(emails.begin(), emails.begin() + 3));
  }
  // Written through a, read on b from where a's reader stopped.
  for (int i = 3; i < 6; ++i)
    register_user(a, emails[i]);
  {
    auto h = bearer(root.access);
    h.add("Last-Event-ID", last);
    sse_client c(b.http_port(), target, h);
    REQUIRE(c.open());
    CHECK(read_ours(c, ours, 3, &last) == std::vector<std::string>(emails.begin() + 3, emails.begin() + 6));
    CHECK(read_ours(c, ours, 1, nullptr, 500ms).empty()); // nothing repeated
  }
  // b restarts; meanwhile more is written; b's history comes from the stream.
  CHECK(b.stop() == 0);
  for (int i = 6; i < 9; ++i)
    register_user(a, emails[i]);
  b.start();
  auto h = bearer(root.access);
  h.add("Last-Event-ID", last);
  sse_client c(b.http_port(), target, h);
  REQUIRE(c.open());
  CHECK(read_ours(c, ours, 3) == std::vector<std::string>(emails.begin() + 6, emails.end()));
}
