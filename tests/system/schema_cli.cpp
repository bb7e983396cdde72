// `weft schema check` and `weft schema fmt` on the binary: the examples are
// sound, a bad schema exits 2 naming file:line:column for every problem,
// and fmt turns the original design's forms into valid Mermaid.
#include "tests/system/common.hpp"

using namespace sys;

namespace {

const std::string examples = std::string{WEFT_SOURCE_DIR} + "/schema/examples/";

} // namespace

TEST_CASE("weft schema check: 0 with a summary for each example, 2 with file:line:column for "
          "every problem of a bad one",
          "[system][cli][schema]") {
  for (auto name : {"events_app.mmd", "multi_auth.mmd", "legacy.mmd"}) {
    auto r = run_weft(WEFT_BINARY, {"schema", "check", examples + name});
    INFO(name << ": " << r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("weft: schema ok: ") != std::string::npos);
  }
  auto events = run_weft(WEFT_BINARY, {"schema", "check", examples + "events_app.mmd"});
  CHECK(events.out.find("2 entities, 4 services, version ") != std::string::npos);

  temp_dir dir;
  auto bad = dir / "bad.mmd";
  write_text(bad, "erDiagram\nUser {\n    Strin email\n    %% @service auth.password.redis {}\n"
                  "    %% @service crud.rest.weft { plural: users }\n}\n");
  auto r = run_weft(WEFT_BINARY, {"schema", "check", bad.string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(bad.string() + ":3:5: unknown type 'Strin'") != std::string::npos);
  CHECK(r.err.find(bad.string() + ":4:8: provider 'redis' is not shipped for auth.password; "
                                  "available: weft, postgres, memory")
        != std::string::npos);
  CHECK(r.err.find(bad.string() + ":5:42: ") != std::string::npos);

  auto missing = run_weft(WEFT_BINARY, {"schema", "check", (dir / "nope.mmd").string()});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("cannot read") != std::string::npos);
  CHECK(run_weft(WEFT_BINARY, {"schema", "lint", bad.string()}).exit_code == 2);
}

TEST_CASE("weft schema fmt --write rewrites the original design's forms into valid Mermaid",
          "[system][cli][schema]") {
  temp_dir dir;
  auto legacy = dir / "legacy.mmd";
  write_text(legacy, read_text(examples + "legacy.mmd"));
  auto before = run_weft(WEFT_BINARY, {"schema", "check", legacy.string()});
  CHECK(before.err.find("note: ") != std::string::npos); // no header, trailing annotations
  auto version = before.out.substr(before.out.find("version "));

  auto printed = run_weft(WEFT_BINARY, {"schema", "fmt", legacy.string()});
  CHECK(printed.exit_code == 0);
  CHECK(printed.out.starts_with("erDiagram\n"));
  CHECK(read_text(legacy) != printed.out); // printing leaves the file alone

  REQUIRE(run_weft(WEFT_BINARY, {"schema", "fmt", legacy.string(), "--write"}).exit_code == 0);
  CHECK(read_text(legacy) == printed.out);
  auto after = run_weft(WEFT_BINARY, {"schema", "check", legacy.string()});
  INFO(after.out << after.err);
  CHECK(after.exit_code == 0);
  CHECK(after.err.find("note: ") == std::string::npos);
  CHECK(after.out.substr(after.out.find("version ")) == version); // the same schema
}
