// The webhook subscriptions API on the real binary (both modes: [flow]):
// create (the secret shown once), read, list, change, rotate the secret,
// delete; and what it refuses: sinks the SSRF guard forbids, bad type
// patterns, two subject filters, malformed bodies, callers without the role.
#include "tests/system/common.hpp"

using namespace sys;

namespace {

json subscription(const std::string& sink, json types = json::array({"auth.user.*"})) {
  return {{"sink", sink}, {"types", std::move(types)}};
}

} // namespace

TEST_CASE("webhooks: a subscription is created with its secret once, read, listed, changed, "
          "rotated and deleted",
          "[system][flow][webhooks]") {
  weft_node node(node_options());
  auto root = login_root(node);
  auto body = subscription("https://hooks.example.com/weft", json::array({"auth.user.*", "notifications.notification.created"}));
  body["filters"] = {{"subject", {{"prefix", "01"}}}};
  body["ordered"] = true;
  auto created = node.post("/v1/subscriptions", body, bearer(root.access));
  INFO(created.body);
  REQUIRE(created.status == 201);
  auto c = created.json();
  auto id = c.at("id").get<std::string>();
  auto secret = c.at("secret").get<std::string>();
  CHECK(secret.rfind("whsec_", 0) == 0);
  CHECK(c.at("sink") == "https://hooks.example.com/weft");
  CHECK(c.at("types").size() == 2);
  CHECK(c.at("filters").at("subject").at("prefix") == "01");
  CHECK(c.at("ordered") == true);
  CHECK(c.at("enabled") == true);

  auto got = node.get("/v1/subscriptions/" + id, bearer(root.access));
  REQUIRE(got.status == 200);
  CHECK(got.json().at("secret").is_null()); // shown once
  CHECK(got.json().at("types") == c.at("types"));

  auto list = node.get("/v1/subscriptions?limit=10", bearer(root.access));
  REQUIRE(list.status == 200);
  bool listed = false;
  auto page = list.json(); // a named value: the loop below must not walk a temporary
  for (auto& s : page.at("items"))
    listed = listed || s.at("id") == id;
  CHECK(listed);

  auto changed = node.client().send("PATCH", "/v1/subscriptions/" + id,
                                    json{{"enabled", false}, {"types", {"auth.apikey.created"}}}.dump(),
                                    "application/json", bearer(root.access));
  INFO(changed.body);
  REQUIRE(changed.status == 200);
  CHECK(changed.json().at("enabled") == false);
  CHECK(changed.json().at("types") == json::array({"auth.apikey.created"}));
  CHECK(changed.json().at("sink") == "https://hooks.example.com/weft"); // untouched
  CHECK(changed.json().at("ordered") == true);

  auto rotated = node.post("/v1/subscriptions/" + id + "/rotate-secret", json::object(), bearer(root.access));
  INFO(rotated.body);
  REQUIRE(rotated.status == 200);
  auto fresh = rotated.json().at("secret").get<std::string>();
  CHECK(fresh.rfind("whsec_", 0) == 0);
  CHECK(fresh != secret);
  CHECK(rotated.json().at("previous_valid_until").is_string());

  CHECK(node.client().del("/v1/subscriptions/" + id, bearer(root.access)).status == 204);
  check_problem(node.get("/v1/subscriptions/" + id, bearer(root.access)), 404);
  check_problem(node.client().del("/v1/subscriptions/" + id, bearer(root.access)), 404);
}

TEST_CASE("webhooks: sinks the SSRF guard forbids, bad patterns and bodies are refused with a "
          "problem, only admin and root manage subscriptions",
          "[system][flow][webhooks]") {
  weft_node node(node_options({{"webhooks", {{"allow_hosts", {"127.0.0.1"}}}}}));
  auto root = login_root(node);
  auto post = [&](const json& b) { return node.post("/v1/subscriptions", b, bearer(root.access)); };
  for (auto sink : {"http://localhost:9/x", "http://10.0.0.1/x", "http://169.254.169.254/latest",
                    "http://[::1]:8080/", "http://192.168.1.10/", "ftp://example.com/",
                    "http://user:pw@example.com/"}) {
    INFO(sink);
    auto r = post(subscription(sink));
    check_problem(r, 422);
    CHECK(has_error_pointer(r, "/sink"));
  }
  // Listed in webhooks.allow_hosts: allowed (how the tests reach local receivers).
  CHECK(post(subscription("http://127.0.0.1:9999/hook")).status == 201);
  check_problem(post(subscription("https://example.com/", json::array({"a..b"}))), 422);
  check_problem(post(subscription("https://example.com/", json::array({"a.*.b"}))), 422);
  auto two = subscription("https://example.com/");
  two["filters"] = {{"subject", {{"exact", "a"}, {"suffix", "b"}}}};
  check_problem(post(two), 422);
  check_problem(post({{"types", {"a.b"}}}), 400);                          // no sink
  check_problem(post({{"sink", "https://example.com/"}, {"types", json::array()}}), 400); // no types
  check_problem(node.client().send("POST", "/v1/subscriptions", "{not json", "application/json",
                                   bearer(root.access)),
                400);
  auto email = unique_email("hooks");
  register_user(node, email);
  auto user = login(node, email);
  check_problem(node.post("/v1/subscriptions", subscription("https://example.com/"), bearer(user.access)), 403);
  check_problem(node.get("/v1/subscriptions"), 401);
  check_problem(node.get("/v1/subscriptions/not-a-uuid", bearer(root.access)), 404);
  auto patch = node.client().send("PATCH", "/v1/subscriptions/01900000-0000-7000-8000-000000000000",
                                  json{{"enabled", false}}.dump(), "application/json", bearer(root.access));
  check_problem(patch, 404);
}
