#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support.hpp"

using namespace weft::config;
using weft::config::test::printed;

namespace {

// Tests are compiled with absolute source paths, so __FILE__ finds the tree.
std::string source_root() {
  std::string here = __FILE__;
  return here.substr(0, here.rfind("/tests/unit/config/"));
}

std::string read(const std::string& path) {
  std::ifstream in{path};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

} // namespace

TEST_CASE("examples/weft.json holds every key at its default", "[config][examples]") {
  auto path = source_root() + "/config/examples/weft.json";
  auto r = load_file(path, {});
  INFO(printed(r));
  REQUIRE(r.ok());
  CHECK(dump(r.value, false) == dump(settings{}, false));
  // Every key present: the file equals the full dump.
  CHECK(nlohmann::json::parse(read(path)) == nlohmann::json::parse(dump(settings{}, false)));
}

TEST_CASE("examples/README.md documents every key", "[config][examples]") {
  auto text = read(source_root() + "/config/examples/README.md");
  REQUIRE_FALSE(text.empty());
  for (const auto& k : key_paths()) {
    INFO(k);
    CHECK(text.find("| `" + k + "` |") != std::string::npos);
  }
  for (auto k : {"handler", "mode", "first", "fraction", "type"}) {
    INFO(k);
    CHECK(text.find(std::string{"| `"} + k + "` |") != std::string::npos);
  }
}

TEST_CASE("examples/faults.json loads", "[config][examples]") {
  auto r = load_file(source_root() + "/config/examples/faults.json", {});
  INFO(printed(r));
  REQUIRE(r.ok());
  CHECK(r.value.faults.rules.size() == 2);
}

TEST_CASE("load_file reports an unreadable file and names it", "[config]") {
  auto r = load_file("/nonexistent/weft.json", {});
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].path.empty());
  CHECK(r.problems[0].source == "/nonexistent/weft.json");
  CHECK(to_string(r.problems[0]).find("cannot read") != std::string::npos);
}

TEST_CASE("dump redacts secrets and reads back", "[config]") {
  settings s;
  s.auth.jwt_secret = std::string(40, 'k');
  s.root.email = "root@example.com";
  s.root.password = "correct horse";
  s.database.url = "postgresql://u:secret@db/weft";
  s.http.port = 1234;
  auto redacted = dump(s);
  CHECK(redacted.find("secret@") == std::string::npos);
  CHECK(redacted.find("correct horse") == std::string::npos);
  CHECK(redacted.find("<redacted>") != std::string::npos);
  auto r = load(dump(s, false), {});
  INFO(printed(r));
  REQUIRE(r.ok());
  CHECK(dump(r.value, false) == dump(s, false));
}
