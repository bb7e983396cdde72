// Idempotency-Key on embedded defaults (memory store), as in durable mode:
// a retry gets the recorded answer, another body under the same key is 422,
// and the same key sent many times at once has one effect. Concurrent
// duplicates: each answer is either the recorded 201 (equal to the others)
// or 409 while the first is still in flight.
#include "tests/system/common.hpp"

#include <iostream>
#include <thread>

using namespace sys;

namespace {

int keys_named(const weft_node& node, const http_headers& auth, const std::string& name) {
  int n = 0;
  for (auto& k : get_all_pages(node, "/v1/auth/api-keys", auth, 100))
    if (k.value("name", "") == name)
      ++n;
  return n;
}

} // namespace

TEST_CASE("Idempotency-Key on embedded defaults: a retry gets the recorded answer, another body "
          "is 422, concurrent duplicates make one key",
          "[system][idempotency][flow]") {
  weft_node node{node_options()};
  auto root = bearer(login_root(node).access);
  auto with_key = [&](const std::string& key) {
    auto h = root;
    h.add("Idempotency-Key", key);
    return h;
  };
  const std::string body = json{{"name", "emb-retry"}, {"role", "user"}}.dump();
  auto first = node.send("POST", "/v1/auth/api-keys", body, "application/json", with_key("emb-1"));
  INFO("first: " << first.status << " " << first.body);
  REQUIRE(first.status == 201);
  auto again = node.send("POST", "/v1/auth/api-keys", body, "application/json", with_key("emb-1"));
  CHECK(again.status == 201);
  CHECK(again.json_or_null() == first.json());
  check_problem(node.send("POST", "/v1/auth/api-keys", json{{"name", "emb-other"}, {"role", "user"}}.dump(),
                          "application/json", with_key("emb-1")),
                422);
  CHECK(keys_named(node, root, "emb-retry") == 1);
  CHECK(keys_named(node, root, "emb-other") == 0);

  // Eight clients, one key, at once.
  const std::string burst = json{{"name", "emb-burst"}, {"role", "user"}}.dump();
  std::vector<http_response> answers(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < answers.size(); ++i)
    threads.emplace_back([&, i] {
      answers[i] = node.send("POST", "/v1/auth/api-keys", burst, "application/json", with_key("emb-burst"));
    });
  for (auto& t : threads)
    t.join();
  json created;
  int ok = 0, conflicts = 0;
  for (auto& a : answers) {
    INFO(a.status << " " << a.body);
    CHECK((a.status == 201 || a.status == 409));
    if (a.status == 201) {
      ++ok;
      if (created.is_null())
        created = a.json();
      CHECK(a.json_or_null() == created); // the recorded answer, every time
    } else {
      ++conflicts;
    }
  }
  std::cout << "Idempotency-Key burst of " << answers.size() << ": " << ok << " x 201 (the recorded answer), "
            << conflicts << " x 409 (in flight)" << std::endl;
  CHECK(ok >= 1);
  CHECK(keys_named(node, root, "emb-burst") == 1);
  // Once the first finished, a retry gets its answer.
  auto after = node.send("POST", "/v1/auth/api-keys", burst, "application/json", with_key("emb-burst"));
  CHECK(after.status == 201);
  CHECK(after.json_or_null() == created);
}
