// A schema-driven collection on the binary (issue 10), [flow]: embedded and
// again on PostgreSQL + JetStream. CRUD over HTTP with the edge's checks,
// roles, hidden attributes never in an answer or an event, Idempotency-Key,
// each change in the audit trail once, and the generated routes in OpenAPI.
#include "tests/system/common.hpp"

using namespace sys;

namespace {

const char* notes_schema = R"(erDiagram
Member {
    String email UK
    String password
    String nickname
    %% @service auth.password.weft { loginField: "email", passwordField: "password" }
}
Note {
    String title
    Text body
    Integer stars
    %% @default(0)
    String owner
    %% @index
    String secret
    Array[String] tags
    DateTime due
    %% @default(null)
    %% @service crud.rest.weft { hidden: ["secret"], writeRoles: ["admin", "user"] }
    %% @service analytics.tracking.weft { eventName: "note-starred", triggerOn: ["update"], conditionalField: "stars", conditionalValue: 5, propertiesFields: ["title", "stars"] }
}
Member ||--o{ Note : writes
)";

weft_node start_with_schema(temp_dir& dir, const std::string& text) {
  write_text(dir / "app.mmd", text);
  return weft_node(node_options({{"schema", {{"file", (dir / "app.mmd").string()}}}}));
}

http_response patch(const weft_node& node, const std::string& target, const json& body,
                    http_headers h) {
  return node.send("PATCH", target, body.dump(), "application/json", std::move(h));
}

/// The audit events of `type` about `subject` (waits until `n` are there, or 20 s).
json audit_of(const weft_node& node, const http_headers& root, const std::string& type,
              const std::string& subject, size_t n) {
  json found = json::array();
  wait_until(
    [&] {
      auto r = node.get("/v1/audit?limit=500&type=" + url_encode(type) + "&subject=" + url_encode(subject), root);
      if (r.status != 200)
        return false;
      found = r.json()["items"];
      return found.size() >= n;
    },
    std::chrono::seconds(20));
  return found;
}

} // namespace

TEST_CASE("entities: CRUD over HTTP from a schema, hidden attributes never shown, roles, "
          "Idempotency-Key, each change in the audit trail once",
          "[system][flow][entities]") {
  temp_dir dir;
  auto node = start_with_schema(dir, notes_schema);
  auto root = bearer(login_root(node).access);

  // Create: 201, the view without the hidden attribute; defaults fill in.
  json note{{"title", "Groceries"}, {"body", "milk, eggs"}, {"owner", "ann"}, {"secret", "s3cret"},
            {"tags", {"home"}}, {"due", "2026-12-24T18:00:00.000Z"}};
  auto created = node.post("/v1/notes", note, root);
  INFO(created.status << " " << created.body);
  REQUIRE(created.status == 201);
  auto view = created.json();
  auto id = view["id"].get<std::string>();
  CHECK(view["title"] == "Groceries");
  CHECK(view["stars"] == 0);
  CHECK(view["tags"] == json{"home"});
  CHECK(view["due"] == "2026-12-24T18:00:00.000Z");
  CHECK_FALSE(view.contains("secret"));
  CHECK(created.body.find("s3cret") == std::string::npos);

  // Read, list, filter on the indexed attribute.
  auto read = node.get("/v1/notes/" + id, root);
  REQUIRE(read.status == 200);
  CHECK(read.json() == view);
  REQUIRE(node.post("/v1/notes", {{"title", "Other"}, {"body", ""}, {"owner", "bob"}, {"secret", "x"}}, root).status == 201);
  auto annes = node.get("/v1/notes?owner=ann", root);
  REQUIRE(annes.status == 200);
  REQUIRE(annes.json()["items"].size() == 1);
  CHECK(annes.json()["items"][0]["id"] == id);
  CHECK(get_all_pages(node, "/v1/notes", root, 1).size() == 2);

  // Change: 200 with the new view; the trail gets created, then updated.
  auto changed = patch(node, "/v1/notes/" + id, {{"stars", 5}, {"secret", "new-secret"}}, root);
  INFO(changed.body);
  REQUIRE(changed.status == 200);
  CHECK(changed.json()["stars"] == 5);
  CHECK(changed.body.find("new-secret") == std::string::npos);

  // Bad input: the edge's checks from the attribute types, and the service's.
  check_problem(node.post("/v1/notes", {{"title", 3}, {"body", ""}, {"owner", "x"}, {"secret", ""}}, root), 400);
  check_problem(node.post("/v1/notes", {{"body", ""}, {"owner", "x"}, {"secret", ""}}, root), 400); // no title
  check_problem(node.post("/v1/notes", {{"title", "t"}, {"body", ""}, {"owner", "x"}, {"secret", ""}, {"color", "red"}}, root), 400);
  check_problem(node.post("/v1/notes", {{"title", "t"}, {"body", ""}, {"owner", "x"}, {"secret", ""}, {"due", "tomorrow"}}, root), 400);
  check_problem(patch(node, "/v1/notes/" + id, json::object(), root), 400);
  check_problem(node.get("/v1/notes/0190a5a0-0000-7000-8000-0000000000ff", root), 404);
  check_problem(node.get("/v1/notes?color=red", root), 400);
  check_problem(node.get("/v1/notes"), 401);

  // Roles: a user reads and writes notes (writeRoles admin, user); the
  // Member collection is not served (no crud binding), its password never.
  auto email = unique_email("notes");
  register_user(node, email);
  auto user = bearer(login(node, email).access);
  CHECK(node.get("/v1/notes/" + id, user).status == 200);
  CHECK(node.post("/v1/notes", {{"title", "Mine"}, {"body", ""}, {"owner", "me"}, {"secret", ""}}, user).status == 201);
  check_problem(node.get("/v1/members"), 404);

  // Idempotency-Key: one effect, the same answer.
  auto keyed = root;
  keyed.add("Idempotency-Key", "note-" + std::to_string(::getpid()));
  json once{{"title", "Once"}, {"body", ""}, {"owner", "idem"}, {"secret", "x"}};
  auto first = node.post("/v1/notes", once, keyed);
  auto second = node.post("/v1/notes", once, keyed);
  REQUIRE(first.status == 201);
  CHECK(second.json() == first.json());
  CHECK(node.get("/v1/notes?owner=idem", root).json()["items"].size() == 1);

  // Delete: 204, then 404.
  CHECK(node.del("/v1/notes/" + id, root).status == 204);
  check_problem(node.get("/v1/notes/" + id, root), 404);
  check_problem(node.del("/v1/notes/" + id, root), 404);

  // The trail: created, updated, deleted, each once; no hidden value anywhere.
  for (const char* type : {"note.created", "note.updated", "note.deleted"}) {
    auto events = audit_of(node, root, type, id, 1);
    INFO(type << ": " << events.dump());
    REQUIRE(events.size() == 1);
    CHECK(events[0]["source"] == "/weft/entities");
    CHECK(events[0]["dataversion"].get<std::string>().size() == 16);
    CHECK(events[0].dump().find("s3cret") == std::string::npos);
    CHECK(events[0].dump().find("new-secret") == std::string::npos);
  }
  auto updated = audit_of(node, root, "note.updated", id, 1);
  CHECK(updated[0]["data"]["changed"] == json{"stars"}); // the hidden change is not named
  // Tracking: the update to 5 stars met the condition, once; nothing else did.
  auto tracked = audit_of(node, root, "analytics.tracked", id, 1);
  INFO(tracked.dump());
  REQUIRE(tracked.size() == 1);
  CHECK(tracked[0]["data"]["eventName"] == "note-starred");
  CHECK(tracked[0]["data"]["trigger"] == "update");
  CHECK(tracked[0]["data"]["properties"] == json{{"title", "Groceries"}, {"stars", 5}});

  // GET /v1/services: every service, the schema's with its bindings.
  auto services = node.get("/v1/services");
  REQUIRE(services.status == 200);
  json entities, auth;
  auto listed = services.json();
  for (auto& s : listed["services"]) {
    if (s["name"] == "entities")
      entities = s;
    if (s["name"] == "auth")
      auth = s;
  }
  INFO(services.body);
  REQUIRE(entities.is_object());
  // Member's auth.password, Note's crud.rest and analytics.tracking.
  REQUIRE(entities["bindings"].size() == 3);
  json crud, sign_in;
  for (const auto& b : entities["bindings"]) {
    if (b["kind"] == "crud.rest")
      crud = b;
    if (b["kind"] == "auth.password")
      sign_in = b;
  }
  REQUIRE(crud.is_object());
  CHECK(crud["entity"] == "Note");
  CHECK(crud["provider"] == "weft");
  CHECK(crud["operations"].size() == 5);
  REQUIRE(sign_in.is_object());
  CHECK(sign_in["entity"] == "Member");
  CHECK(sign_in["operations"].size() == 5); // register, login, refresh, logout, me
  CHECK(contains(entities["publishes"], "note.created"));
  CHECK(contains(entities["publishes"], "member.signed_in"));
  CHECK(entities["routes"].size() == 10);
  REQUIRE(auth.is_object());
  CHECK(contains(auth["publishes"], "auth.user.created"));
  CHECK(auth["bindings"].empty());

  // OpenAPI shows the generated routes with their schemas.
  auto api = node.get("/v1/openapi.json");
  REQUIRE(api.status == 200);
  auto doc = api.json();
  REQUIRE(doc["paths"].contains("/v1/notes"));
  REQUIRE(doc["paths"].contains("/v1/notes/{id}"));
  CHECK(doc.dump().find("entities.notes.create") != std::string::npos);
}

TEST_CASE("entities: a bad schema file stops the start with exit 2, naming schema.file and the "
          "file's line and column",
          "[system][entities]") {
  temp_dir dir;
  write_text(dir / "bad.mmd", "erDiagram\nNote {\n    Strin title\n    %% @service crud.rest.redis {}\n}\n");
  write_text(dir / "weft.json", json({{"schema", {{"file", (dir / "bad.mmd").string()}}}}).dump());
  auto r = run_weft(WEFT_BINARY, {"config", "check", (dir / "weft.json").string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("schema.file") != std::string::npos);
  CHECK(r.err.find("bad.mmd:3:5: unknown type 'Strin'") != std::string::npos);
  CHECK(r.err.find("bad.mmd:4:8: provider 'redis' is not shipped for crud.rest") != std::string::npos);
  auto run = run_weft(WEFT_BINARY, {"run", "--schema", (dir / "bad.mmd").string()});
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("bad.mmd:3:5") != std::string::npos);
}
