#include <catch2/catch.hpp>

#include "support.hpp"

// Sections owned by service modules: declared outside config/, read from the
// file and the environment, checked and dumped like the node's own.
using namespace weft::config;
using weft::config::test::has_problem;
using weft::config::test::printed;

namespace {

struct demo_settings {
  std::string title = "hello";
  uint32_t size = 3;
  std::string secret;
};

std::shared_ptr<const schema_extension> demo() {
  module_section<demo_settings> s{"demo"};
  s.key("title", &demo_settings::title, not_empty())
    .key("size", &demo_settings::size, range(1, 10))
    .key("secret", &demo_settings::secret, {}, true);
  s.check([](const demo_settings& d, const settings& all, sink& out) {
    if (d.size > 5 && all.http.threads == 1)
      out.add("demo.size", "must be at most 5 with one HTTP thread");
  });
  auto ext = std::make_shared<schema_extension>();
  ext->sections.push_back(s.build());
  ext->services = {"demo", "other"};
  return ext;
}

} // namespace

TEST_CASE("a module section has its defaults and reads file and environment", "[config][modules]") {
  auto r = load(R"({"demo": {"title": "hi"}})", {{"WEFT_DEMO_SIZE", "4"}}, demo());
  INFO(printed(r));
  REQUIRE(r.ok());
  const auto& d = r.value.section<demo_settings>("demo");
  CHECK(d.title == "hi");
  CHECK(d.size == 4);
  // node.services defaults to every service the extension names.
  CHECK(r.value.node.services == std::vector<std::string>{"demo", "other"});
  CHECK(defaults(demo()).section<demo_settings>("demo").size == 3);
}

TEST_CASE("a module section's problems are reported with the rest", "[config][modules]") {
  auto r = load(R"({"demo": {"title": "", "size": 11, "colour": 1}, "http": {"prot": 1}})",
                {{"WEFT_DEMO_SECRET", "s"}, {"WEFT_DEMO_NOPE", "x"}}, demo());
  INFO(printed(r));
  CHECK(has_problem(r, "demo.title: must not be empty"));
  CHECK(has_problem(r, "demo.size: must be in [1, 10], got 11"));
  CHECK(has_problem(r, "demo.colour: unknown key"));
  CHECK(has_problem(r, "http.prot: unknown key"));
  CHECK(has_problem(r, "WEFT_DEMO_NOPE: unknown variable (no such config key)"));
  auto cross = load(R"({"demo": {"size": 7}})", {}, demo());
  CHECK(has_problem(cross, "demo.size: must be at most 5 with one HTTP thread"));
}

TEST_CASE("node.services names services of the extension", "[config][modules]") {
  auto r = load(R"({"node": {"services": ["demo", "billing"]}})", {}, demo());
  CHECK(has_problem(r, R"(node.services[1]: must be one of {demo, other}, got "billing")"));
  // Without an extension there are no module sections at all.
  auto bare = load(R"({"demo": {}})", {});
  CHECK(has_problem(bare, "demo: unknown key"));
}

TEST_CASE("a module section is dumped, secrets redacted, and reads back", "[config][modules]") {
  auto r = load(R"({"demo": {"secret": "s3cret", "size": 2}})", {}, demo());
  REQUIRE(r.ok());
  auto text = dump(r.value);
  CHECK(text.find("s3cret") == std::string::npos);
  CHECK(text.find("\"size\": 2") != std::string::npos);
  auto back = load(dump(r.value, false), {}, demo());
  REQUIRE(back.ok());
  CHECK(back.value.section<demo_settings>("demo").secret == "s3cret");
  CHECK(key_paths(demo().get()).back() == "demo.secret");
  CHECK(env_name("demo.size") == "WEFT_DEMO_SIZE");
}
