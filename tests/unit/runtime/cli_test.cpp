#include <catch2/catch.hpp>

#include "runtime/cli.hpp"

using weft::command_line;
using weft::parse_command_line;
using verb = command_line::verb;

TEST_CASE("cli: the commands that call a running node, with their options", "[cli]") {
  auto c = parse_command_line({"consumers", "pause", "audit", "--url", "http://n:1", "--token", "t"});
  CHECK(c.what == verb::consumers);
  CHECK(c.action == "pause");
  CHECK(c.name == "audit");
  CHECK(c.url == "http://n:1");
  CHECK(c.token == "t");
  CHECK(parse_command_line({"consumers", "list"}).what == verb::consumers);

  c = parse_command_line({"dlq", "redrive", "auth", "--since", "2026-01-01T00:00:00Z"});
  CHECK(c.what == verb::dlq);
  CHECK(c.action == "redrive");
  CHECK(c.since == "2026-01-01T00:00:00Z");
  c = parse_command_line({"dlq", "list", "auth", "--limit", "20", "--config", "w.yaml"});
  CHECK(c.limit == 20);
  CHECK(c.config_path == "w.yaml");

  c = parse_command_line({"events", "tail", "--types", "a.*,b.c", "--from", "earliest",
                          "--subject", "s1"});
  CHECK(c.what == verb::events_tail);
  CHECK(c.types == "a.*,b.c");
  CHECK(c.from == "earliest");
  CHECK(c.subject == "s1");
}

TEST_CASE("cli: wrong words and options are refused with a reason", "[cli]") {
  auto bad = [](std::vector<std::string> args) {
    auto c = parse_command_line(args);
    INFO(c.error);
    CHECK(c.what == verb::invalid);
    CHECK_FALSE(c.error.empty());
  };
  bad({"consumers"});
  bad({"consumers", "pause"});
  bad({"consumers", "pause", "--url", "x"});
  bad({"dlq", "list"});
  bad({"dlq", "purge", "auth"});
  bad({"dlq", "list", "auth", "--id", "x"});          // --id is redrive's
  bad({"dlq", "list", "auth", "--limit", "many"});
  bad({"dlq", "redrive", "auth", "--id", "x", "--since", "2026-01-01T00:00:00Z"});
  bad({"events", "tail", "--limit", "3"});
  bad({"run", "--url", "http://x"});                  // only the node commands take --url
  bad({"outbox", "republish"});                       // needs --since
  bad({"schema", "check"});
  bad({"schema", "lint", "a.mmd"});
  bad({"schema", "openapi", "a.mmd", "--write"});
  bad({"schema", "migrate", "a.mmd", "--force"});
  bad({"schema", "check", "a.mmd", "--write"});       // --write is fmt's
  bad({"schema", "fmt", "a.mmd", "b.mmd"});
}

TEST_CASE("cli: schema check and fmt take a file; fmt may write it back", "[cli]") {
  auto c = parse_command_line({"schema", "check", "app.mmd"});
  CHECK(c.what == verb::schema_check);
  CHECK(c.schema_path == "app.mmd");
  c = parse_command_line({"schema", "fmt", "app.mmd"});
  CHECK(c.what == verb::schema_fmt);
  CHECK_FALSE(c.write);
  c = parse_command_line({"schema", "asyncapi", "app.mmd"});
  CHECK(c.what == verb::schema_doc);
  CHECK(c.document == "asyncapi");
  c = parse_command_line({"schema", "migrate", "app.mmd", "--allow-destructive", "--config", "w.json"});
  CHECK(c.what == verb::schema_migrate);
  CHECK(c.allow_destructive);
  CHECK(c.config_path == "w.json");
  c = parse_command_line({"run", "--schema", "app.mmd", "--config", "w.json"});
  CHECK(c.what == verb::run);
  CHECK(c.schema_path == "app.mmd");
  CHECK(c.config_path == "w.json");
  c = parse_command_line({"schema", "fmt", "app.mmd", "--write"});
  CHECK(c.what == verb::schema_fmt);
  CHECK(c.write);
}
