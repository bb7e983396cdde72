// Idempotency-Key on a write over HTTP, on PostgreSQL and JetStream: a
// retry with the same key and body gets the recorded answer and causes no
// second effect or event, also when the node was killed between the commit
// and the answer; the same key with another body is 422.
#include "tests/system/durable_common.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace sys;

namespace {

/// Writes a whole HTTP request on a fresh connection and never reads the
/// answer: the client "loses" it. The socket stays open until destroyed.
class unread_request {
public:
  unread_request(uint16_t port, const std::string& bytes) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    size_t off = 0;
    while (ok_ && off < bytes.size()) {
      auto n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0)
        ok_ = false;
      else
        off += static_cast<size_t>(n);
    }
  }
  ~unread_request() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  bool ok() const { return ok_; }

private:
  int fd_ = -1;
  bool ok_ = false;
};

std::string raw_post(const std::string& target, const std::string& body, const http_headers& headers) {
  std::string req = "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
  for (auto& [k, v] : headers.fields())
    req += k + ": " + v + "\r\n";
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return req;
}

long long keys_named(const durable_servers& s, const std::string& name) {
  return s.sql_int("SELECT count(*) FROM weft_api_keys WHERE name = '" + name + "'");
}

long long outbox_rows_for(const durable_servers& s, const std::string& key_id) {
  return s.sql_int("SELECT count(*) FROM weft_outbox WHERE type = 'auth.apikey.created'"
                   " AND payload::jsonb->'data'->>'key_id' = '" + key_id + "'");
}

} // namespace

// Waits on the Idempotency-Key support of POST /v1/auth/api-keys (issue 3,
// "Idempotent commands over HTTP"), being added.
TEST_CASE("Idempotency-Key: a retry gets the recorded answer, another body is 422", "[durable][idempotency]") {
  durable_servers s;
  weft_node node(durable_options(s));
  auto token = login_root(node).access;
  auto headers = bearer(token);
  headers.add("Idempotency-Key", "idem-retry-1");
  const std::string body = json{{"name", "idem-retry"}, {"role", "user"}}.dump();

  auto first = node.send("POST", "/v1/auth/api-keys", body, "application/json", headers);
  INFO("first: " << first.status << " " << first.body);
  REQUIRE(first.status == 201);
  auto again = node.send("POST", "/v1/auth/api-keys", body, "application/json", headers);
  INFO("retry: " << again.status << " " << again.body);
  CHECK(again.status == 201);
  CHECK(again.json_or_null() == first.json());
  CHECK(keys_named(s, "idem-retry") == 1);

  auto other = node.send("POST", "/v1/auth/api-keys", json{{"name", "idem-other"}, {"role", "user"}}.dump(),
                         "application/json", headers);
  check_problem(other, 422);
  CHECK(keys_named(s, "idem-other") == 0);

  // Without a key, the same body makes a second key.
  auto plain = node.send("POST", "/v1/auth/api-keys", body, "application/json", bearer(token));
  CHECK(plain.status == 201);
  CHECK(keys_named(s, "idem-retry") == 2);

  auto id = first.json()["id"].get<std::string>();
  bool applied = wait_applied(s, 2, 20s);
  CHECK(applied);
  CHECK(trail_key_ids(s)[id] == 1);
  CHECK(outbox_rows_for(s, id) == 1);
}

TEST_CASE("Idempotency-Key: node killed between commit and answer, the retry after restart causes nothing twice",
          "[durable][idempotency]") {
  durable_servers s;
  weft_node node(durable_options(s));
  auto token = login_root(node).access;
  auto headers = bearer(token);
  headers.add("Idempotency-Key", "idem-crash-1");
  const std::string name = "idem-crash";
  const std::string body = json{{"name", name}, {"role", "user"}}.dump();

  {
    unread_request lost(node.http_port(), raw_post("/v1/auth/api-keys", body, headers));
    REQUIRE(lost.ok());
    // The commit is visible in the database: kill before the client reads.
    bool committed = wait_until([&] { return keys_named(s, name) == 1; }, 10s);
    node.kill();
    REQUIRE(committed);
  }
  auto stored_id = s.sql("SELECT id FROM weft_api_keys WHERE name = '" + name + "'");

  node.start();
  auto retry = node.send("POST", "/v1/auth/api-keys", body, "application/json", headers);
  INFO("retry after restart: " << retry.status << " " << retry.body);
  CHECK(retry.status == 201);
  auto j = retry.json_or_null();
  CHECK(j.value("id", "") == stored_id);
  CHECK(j.value("name", "") == name);
  // The recorded answer carries the key that was stored (hashed): it works.
  if (j.contains("key") && j["key"].is_string()) {
    auto v = node.get("/v1/auth/validate", {{"X-API-Key", j["key"].get<std::string>()}});
    CHECK(v.status == 200);
  } else {
    FAIL_CHECK("the recorded answer has no key: " << retry.body);
  }
  CHECK(keys_named(s, name) == 1);
  CHECK(outbox_rows_for(s, stored_id) == 1);
  bool applied = wait_applied(s, 1, 20s);
  CHECK(applied);
  auto trail = trail_key_ids(s);
  CHECK(trail.size() == 1);
  CHECK(trail[stored_id] == 1);
  // And a different body under the same key is still refused after the restart.
  check_problem(node.send("POST", "/v1/auth/api-keys", json{{"name", "idem-crash-2"}, {"role", "user"}}.dump(),
                          "application/json", headers),
                422);
  CHECK(keys_named(s, "idem-crash-2") == 0);
}
