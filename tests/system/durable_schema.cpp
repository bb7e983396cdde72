// Issue 10 on the binary with real servers: a schema changed between two
// starts. An additive change migrates at start and the data stays; a
// destructive one stops the start (exit 1, naming the column) and leaves the
// table alone; `weft schema migrate --allow-destructive` then applies it.
#include "tests/system/durable_common.hpp"

using namespace sys;

namespace {

const char* v1 = "erDiagram\nNote {\n    String title\n    %% @service crud.rest.weft {}\n}\n";
const char* v2 = "erDiagram\nNote {\n    String title\n    Integer stars\n    %% @default(0)\n"
                 "    %% @service crud.rest.weft {}\n}\n";

} // namespace

TEST_CASE("schema: a change between two starts migrates, a destructive one is refused until "
          "weft schema migrate --allow-destructive",
          "[durable][schema]") {
  durable_servers s;
  temp_dir dir;
  auto file = dir / "app.mmd";
  write_text(file, v1);
  weft_node node(durable_options(s, {{"schema", {{"file", file.string()}}}}));
  auto root = bearer(login_root(node).access);
  auto created = node.post("/v1/notes", {{"title", "kept"}}, root);
  REQUIRE(created.status == 201);
  auto id = created.json()["id"].get<std::string>();
  REQUIRE(node.stop() == 0);

  // Additive: a new attribute, its column added at start; the row stays.
  write_text(file, v2);
  node.start();
  REQUIRE(node.wait_ready(30s));
  root = bearer(login_root(node).access);
  auto read = node.get("/v1/notes/" + id, root);
  INFO(read.body);
  REQUIRE(read.status == 200);
  CHECK(read.json()["title"] == "kept");
  CHECK(read.json()["stars"].is_null()); // added after the row: no value
  CHECK(node.post("/v1/notes", {{"title", "new"}, {"stars", 4}}, root).status == 201);
  REQUIRE(node.stop() == 0);

  // Destructive: stars dropped from the schema. The start is refused.
  write_text(file, v1);
  auto refused = run_weft(WEFT_BINARY, {"run", "--config", node.config_path().string()},
                          {{"WEFT_ROOT_EMAIL", root_email}, {"WEFT_ROOT_PASSWORD", root_password}},
                          60s);
  INFO(refused.out << refused.err);
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("Note.stars is in the database, not in the schema (dropped)") != std::string::npos);
  CHECK(s.sql("SELECT count(*) FROM weft_e_note WHERE stars = 4") == "1"); // untouched

  // The operator's decision: migrate, allowing it; then the node starts.
  auto migrate = run_weft(WEFT_BINARY, {"schema", "migrate", file.string(), "--allow-destructive",
                                        "--config", node.config_path().string()},
                          {}, 60s);
  INFO(migrate.out << migrate.err);
  CHECK(migrate.exit_code == 0);
  CHECK(migrate.out.find("dropped column weft_e_note.stars") != std::string::npos);
  node.start();
  REQUIRE(node.wait_ready(30s));
  root = bearer(login_root(node).access);
  CHECK(node.get("/v1/notes/" + id, root).json()["title"] == "kept");
}

TEST_CASE("schema: crud.rest.memory beside PostgreSQL: served from memory, no table, its events "
          "in the trail, gone after a restart while the durable collection stays",
          "[durable][schema]") {
  durable_servers s;
  temp_dir dir;
  auto file = dir / "app.mmd";
  write_text(file, "erDiagram\nNote {\n    String title\n    %% @service crud.rest.weft {}\n}\n"
                   "Draft {\n    String title\n    %% @service crud.rest.memory {}\n}\n");
  weft_node node(durable_options(s, {{"schema", {{"file", file.string()}}}}));
  auto root = bearer(login_root(node).access);
  auto note = node.post("/v1/notes", {{"title", "kept"}}, root);
  auto draft = node.post("/v1/drafts", {{"title", "fleeting"}}, root);
  INFO(note.body << " / " << draft.body);
  REQUIRE(note.status == 201);
  REQUIRE(draft.status == 201);
  auto note_id = note.json()["id"].get<std::string>();
  auto draft_id = draft.json()["id"].get<std::string>();
  CHECK(node.get("/v1/drafts/" + draft_id, root).json()["title"] == "fleeting");
  CHECK(node.get("/v1/drafts", root).json()["items"].size() == 1);
  CHECK(s.sql("SELECT count(*) FROM information_schema.tables WHERE table_name = 'weft_e_draft'") == "0");

  // Both writes' events reach the trail through JetStream. (The trail keeps
  // one row per event id: this counts what was emitted, not deliveries.)
  auto count_of = [&](const std::string& type, const std::string& subject) {
    auto r = node.get("/v1/audit?limit=100&type=" + type + "&subject=" + subject, root);
    return r.status == 200 ? r.json()["items"].size() : size_t{0};
  };
  CHECK(wait_until([&] { return count_of("draft.created", draft_id) == 1
                                && count_of("note.created", note_id) == 1; },
                   30s));

  REQUIRE(node.stop() == 0);
  node.start();
  REQUIRE(node.wait_ready(30s));
  root = bearer(login_root(node).access);
  CHECK(node.get("/v1/notes/" + note_id, root).status == 200);
  CHECK(node.get("/v1/drafts/" + draft_id, root).status == 404);
  CHECK(count_of("draft.created", draft_id) == 1); // the trail is durable
}
