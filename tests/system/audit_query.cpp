// GET /v1/audit: filters (type, subject, since), limit and cursor paging,
// and who may read it.
#include "tests/system/common.hpp"

#include <ctime>

using namespace sys;

namespace {

/// Waits until an audit event with that correlationid is visible.
bool audit_has(const weft_node& node, const http_headers& root, const std::string& request_id) {
  return wait_until(
    [&] {
      auto r = node.get("/v1/audit?limit=500", root);
      for (auto& e : r.json_or_null().value("items", json::array()))
        if (e.value("correlationid", "") == request_id)
          return true;
      return false;
    },
    15s);
}

json items(const http_response& r) {
  INFO(r.status << " " << r.body);
  REQUIRE(r.status == 200);
  auto j = r.json();
  REQUIRE(j["items"].is_array());
  return j["items"];
}

} // namespace

TEST_CASE("audit: filters by type, subject and since, pages with limit and cursor", "[system][flow][audit]") {
  weft_node node(node_options());
  auto root = bearer(login_root(node).access);
  auto tag = std::to_string(::getpid());

  auto a_email = unique_email("a");
  auto a = node.post("/v1/auth/register", {{"email", a_email}, {"password", user_password}},
                     {{"X-Request-Id", "q-a-created-" + tag}});
  REQUIRE(a.status == 201);
  auto a_id = a.json()["id"].get<std::string>();
  login(node, a_email, user_password, {{"X-Request-Id", "q-a-login-" + tag}});
  auto b_email = unique_email("b");
  register_user(node, b_email);
  REQUIRE(audit_has(node, root, "q-a-login-" + tag));
  REQUIRE(audit_has(node, root, "q-a-created-" + tag));

  // Everything so far happened before `since`; what follows, after it.
  // The boundary is a whole second, so events stamped with whole seconds
  // fall on the right side of it too.
  auto since_tp = std::chrono::ceil<std::chrono::seconds>(std::chrono::system_clock::now());
  auto since = rfc3339(since_tp);
  REQUIRE(wait_until([&] { return std::chrono::system_clock::now() >= since_tp; }, 2s));
  auto c_email = unique_email("c");
  REQUIRE(node.post("/v1/auth/register", {{"email", c_email}, {"password", user_password}},
                    {{"X-Request-Id", "q-c-created-" + tag}})
            .status == 201);
  REQUIRE(audit_has(node, root, "q-c-created-" + tag));

  { // type
    auto got = items(node.get("/v1/audit?type=auth.user.created&limit=500", root));
    std::set<std::string> rids;
    for (auto& e : got) {
      CHECK(e["type"] == "auth.user.created");
      rids.insert(e.value("correlationid", ""));
    }
    CHECK(rids.count("q-a-created-" + tag) == 1);
    CHECK(rids.count("q-c-created-" + tag) == 1);
    CHECK(got.size() >= 3); // a, b, c (and root's bootstrap, if it emits one)
  }
  { // subject
    auto got = items(node.get("/v1/audit?subject=" + url_encode(a_id) + "&limit=500", root));
    std::set<std::string> types;
    for (auto& e : got) {
      CHECK(e["subject"] == a_id);
      types.insert(e.value("type", ""));
    }
    CHECK(types.count("auth.user.created") == 1);
    // type and subject together
    auto both = items(node.get("/v1/audit?type=auth.user.created&subject=" + url_encode(a_id), root));
    REQUIRE(both.size() == 1);
    CHECK(both[0]["correlationid"] == "q-a-created-" + tag);
  }
  { // since
    auto got = items(node.get("/v1/audit?limit=500&since=" + url_encode(since), root));
    std::set<std::string> rids;
    for (auto& e : got)
      rids.insert(e.value("correlationid", ""));
    INFO("since " << since);
    CHECK(rids.count("q-c-created-" + tag) == 1);
    CHECK(rids.count("q-a-created-" + tag) == 0);
    CHECK(rids.count("q-a-login-" + tag) == 0);
    // The same instant written with an offset means the same thing.
    auto offset = since.substr(0, since.size() - 1) + "+00:00";
    // (Events may still arrive meanwhile, e.g. the notifications these
    // writes cause: the answer starts with what `got` has, in order.)
    auto again = items(node.get("/v1/audit?limit=500&since=" + url_encode(offset), root));
    REQUIRE(again.size() >= got.size());
    for (size_t i = 0; i < got.size(); ++i)
      CHECK(again[i]["id"] == got[i]["id"]);
    check_problem(node.get("/v1/audit?since=yesterday", root), 400);
  }
  { // paging: limit=2 and cursors walk the same list as one big page
    // Events these writes cause may still arrive while we page (in flow
    // mode the inbox applies them concurrently). The trail only grows, so
    // when one big page reads the same before and after the walk, nothing
    // arrived meanwhile and the walk must equal it exactly.
    auto ids_of = [](const json& list) {
      std::vector<std::string> ids;
      for (auto& e : list)
        ids.push_back(e.value("id", ""));
      return ids;
    };
    std::vector<std::string> a_ids, b_ids;
    int pages = 0;
    bool quiet = wait_until(
      [&] {
        auto before = ids_of(items(node.get("/v1/audit?limit=500", root)));
        pages = 0;
        b_ids = ids_of(get_all_pages(node, "/v1/audit", root, 2, &pages));
        a_ids = ids_of(items(node.get("/v1/audit?limit=500", root)));
        return before == a_ids;
      },
      10s);
    REQUIRE(quiet);
    REQUIRE(a_ids.size() >= 6);
    CHECK(pages >= static_cast<int>((a_ids.size() + 1) / 2));
    CHECK(a_ids == b_ids);
    CHECK(std::set<std::string>(b_ids.begin(), b_ids.end()).size() == b_ids.size());
    // Filters hold across pages.
    auto typed = get_all_pages(node, "/v1/audit?type=auth.user.created", root, 1);
    for (auto& e : typed)
      CHECK(e["type"] == "auth.user.created");
    CHECK(typed.size() >= 3);
  }
  { // default limit is 50; a bad limit is 400
    auto r = node.get("/v1/audit", root);
    CHECK(items(r).size() <= 50);
    check_problem(node.get("/v1/audit?limit=abc", root), 400);
  }
}

TEST_CASE("audit is for admin and root only", "[system][flow][audit]") {
  weft_node node(node_options());
  auto email = unique_email();
  register_user(node, email);
  auto user = bearer(login(node, email).access);
  check_problem(node.get("/v1/audit", user), 403);
  check_problem(node.get("/v1/audit"), 401);
}
