#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support.hpp"

using namespace weft::config;
using weft::config::test::printed;
using namespace weft::config::test;

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

/// The key paths a config file sets, `section.key`.
// Key paths of a config file; a nested object's keys are dotted
// (`cluster.tls.cert`), as the loader names them.
void keys_in(const nlohmann::json& obj, const std::string& prefix, std::vector<std::string>& out) {
  for (auto& [key, value] : obj.items()) {
    if (value.is_object() && !prefix.empty())
      keys_in(value, prefix + key + ".", out);
    else if (!prefix.empty())
      out.push_back(prefix + key);
    else
      keys_in(value, key + ".", out);
  }
}

std::vector<std::string> keys_in(const nlohmann::json& file) {
  std::vector<std::string> out;
  keys_in(file, "", out);
  return out;
}

} // namespace

TEST_CASE("examples/weft.json holds every key of the node at its default, and services' keys",
          "[config][examples]") {
  auto path = source_root() + "/config/examples/weft.json";
  auto r = mload_file(path, {});
  INFO(printed(r));
  REQUIRE(r.ok());
  // Everything it sets is at its default.
  CHECK(dump(r.value, false) == dump(mdefaults(), false));
  auto listed = keys_in(nlohmann::json::parse(read(path)));
  // The node's own keys are all there; a service's sections may be too (they
  // are documented in its folder: adding a service touches nothing here).
  for (const auto& k : key_paths()) {
    INFO(k);
    CHECK(std::find(listed.begin(), listed.end(), k) != listed.end());
  }
  for (const auto& k : {"auth.jwt_secret", "root.email", "notifications.welcome_title"}) {
    INFO(k);
    CHECK(std::find(listed.begin(), listed.end(), k) != listed.end());
  }
}

TEST_CASE("examples/README.md documents every key of weft.json", "[config][examples]") {
  auto text = read(source_root() + "/config/examples/README.md");
  REQUIRE_FALSE(text.empty());
  for (const auto& k : keys_in(nlohmann::json::parse(read(source_root() + "/config/examples/weft.json")))) {
    INFO(k);
    CHECK(text.find("| `" + k + "` |") != std::string::npos);
  }
  for (auto k : {"handler", "mode", "first", "fraction", "type"}) {
    INFO(k);
    CHECK(text.find(std::string{"| `"} + k + "` |") != std::string::npos);
  }
}

TEST_CASE("examples/faults.json loads", "[config][examples]") {
  auto r = mload_file(source_root() + "/config/examples/faults.json", {});
  INFO(printed(r));
  REQUIRE(r.ok());
  CHECK(r.value.faults.rules.size() == 2);
}

TEST_CASE("load_file reports an unreadable file and names it", "[config]") {
  auto r = mload_file("/nonexistent/weft.json", {});
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].path.empty());
  CHECK(r.problems[0].source == "/nonexistent/weft.json");
  CHECK(to_string(r.problems[0]).find("cannot read") != std::string::npos);
}

TEST_CASE("dump redacts secrets and reads back", "[config]") {
  auto s = mdefaults();
  s.section<weft::auth::auth_settings>("auth").jwt_secret = std::string(40, 'k');
  s.section<weft::auth::root_settings>("root").email = "root@example.com";
  s.section<weft::auth::root_settings>("root").password = "correct horse";
  s.database.url = "postgresql://u:secret@db/weft";
  s.http.port = 1234;
  auto redacted = dump(s);
  CHECK(redacted.find("secret@") == std::string::npos);
  CHECK(redacted.find("correct horse") == std::string::npos);
  CHECK(redacted.find("<redacted>") != std::string::npos);
  auto r = mload(dump(s, false), {});
  INFO(printed(r));
  REQUIRE(r.ok());
  CHECK(dump(r.value, false) == dump(s, false));
}
