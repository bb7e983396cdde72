#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "schema/check.hpp"
#include "schema/format.hpp"
#include "schema/kinds.hpp"

using namespace weft::schema;

namespace {

std::string example(const std::string& name) {
  std::ifstream in{std::string{WEFT_SCHEMA_EXAMPLES} + "/" + name};
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string problems_of(const parse_result& r) {
  std::string out;
  for (const auto& p : r.problems)
    out += to_string("schema.mmd", p) + "\n";
  return out;
}

const service_binding& binding(const entity& e, const std::string& kind, const std::string& name) {
  for (const auto& b : e.services)
    if (b.kind() == kind && effective_config(e, b).value("name", "") == name)
      return b;
  FAIL("no " << kind << " named " << name);
  throw 0;
}

} // namespace

TEST_CASE("schema: the issue's two entities read, with implicit attributes, services and the "
          "relationship",
          "[schema]") {
  auto r = parse_and_check(example("events_app.mmd"));
  INFO(problems_of(r));
  REQUIRE(r.ok());
  CHECK(r.legacy.empty());
  const auto& s = r.schema;
  REQUIRE(s.entities.size() == 2);
  const auto& user = s.entities[0];
  CHECK(user.name == "User");
  std::vector<std::string> names;
  for (auto& a : user.attributes)
    names.push_back(a.name);
  CHECK(names == std::vector<std::string>{"id", "email", "password", "roles", "created_at", "updated_at"});
  CHECK(user.find("id")->primary_key);
  CHECK(user.find("id")->implicit);
  CHECK(user.find("email")->unique);
  CHECK(user.find("email")->at.line == 3);
  CHECK(user.find("email")->at.column == 12);
  CHECK(to_string(user.find("roles")->type) == "Array[String]");
  REQUIRE(user.services.size() == 2);
  CHECK(user.services[0].kind() == "auth.password");
  CHECK(user.services[0].provider == "weft");
  CHECK(user.services[0].config["loginField"] == "email");
  CHECK(user.services[1].config["hidden"] == nlohmann::json::array({"password"}));
  CHECK(effective_config(user, user.services[1])["writeRoles"] == nlohmann::json::array({"admin"}));
  const auto& event = s.entities[1];
  CHECK(effective_config(event, event.services[0])["plural"] == "events");
  CHECK(event.services[1].config["subjectTemplate"] == "{{title}} reminder");
  REQUIRE(s.relationships.size() == 1);
  CHECK(s.relationships[0].left == "User");
  CHECK(s.relationships[0].cardinality == "||--o{");
  CHECK(s.relationships[0].right == "Event");
  CHECK(s.relationships[0].label == "organizes");
  CHECK(s.hash.size() == 16);
}

TEST_CASE("schema: several auth services on one entity, a config over several %% lines, "
          "defaults, indexes, notifications and analytics",
          "[schema]") {
  auto r = parse_and_check(example("multi_auth.mmd"));
  INFO(problems_of(r));
  REQUIRE(r.ok());
  const auto& member = *r.schema.find("Member");
  CHECK(member.services.size() == 5);
  const auto& by_email = binding(member, "auth.password", "by-email");
  CHECK(by_email.config["passwordField"] == "passwordHash");
  CHECK(by_email.config["rolesField"] == "roles");
  CHECK(by_email.at.line == 12);
  CHECK(binding(member, "auth.password", "by-handle").config["loginField"] == "handle");
  CHECK(binding(member, "auth.cookies", "web").provider == "memory");
  CHECK(effective_config(member, binding(member, "auth.cookies", "web"))["cookieName"] == "weft_session");
  CHECK(member.find("plan")->default_value == nlohmann::json("free"));
  CHECK(member.find("logins")->default_value == nlohmann::json(0));
  CHECK(member.find("email")->comment == "where we write to");
  const auto& post = *r.schema.find("Post");
  CHECK(post.find("published")->indexed);
  CHECK(post.find("authorId")->foreign_key);
  CHECK(to_string(post.find("cover")->type) == "Binary");
  CHECK(effective_config(post, post.services[0])["plural"] == "posts");
}

TEST_CASE("schema: the original design's forms read, are reported as legacy, and fmt rewrites "
          "them into valid Mermaid with the same meaning",
          "[schema]") {
  auto r = parse_and_check(example("legacy.mmd"));
  INFO(problems_of(r));
  REQUIRE(r.ok());
  CHECK(r.legacy.size() == 3); // no header, two annotations at a line's end
  const auto& user = r.schema.entities.at(0);
  CHECK(user.find("email")->unique);
  CHECK(user.find("karma")->indexed);
  CHECK(user.find("karma")->default_value == nlohmann::json(10));

  auto formatted = format_schema(r.schema);
  INFO(formatted);
  CHECK(formatted.starts_with("erDiagram\n"));
  CHECK(formatted.find("String email UK\n") != std::string::npos);
  CHECK(formatted.find("%% @unique") == std::string::npos);
  auto again = parse_and_check(formatted);
  INFO(problems_of(again));
  REQUIRE(again.ok());
  CHECK(again.legacy.empty());
  CHECK(again.schema.hash == r.schema.hash);
  CHECK(format_schema(again.schema) == formatted); // fmt is idempotent
}

TEST_CASE("schema: fmt keeps every example's meaning; the hash follows the data, not the layout",
          "[schema]") {
  for (auto name : {"events_app.mmd", "multi_auth.mmd"}) {
    auto r = parse_and_check(example(name));
    REQUIRE(r.ok());
    auto again = parse_and_check(format_schema(r.schema));
    INFO(name << "\n" << format_schema(r.schema) << problems_of(again));
    REQUIRE(again.ok());
    CHECK(again.schema.hash == r.schema.hash);
    CHECK(format_schema(again.schema) == format_schema(r.schema));
  }
  auto base = parse_and_check("erDiagram\nA {\n  String x\n  %% @service crud.rest.weft { plural: 'as' }\n}\n");
  auto spaced = parse_and_check("erDiagram\n\n A {\n    String   x\n  %% @service crud.rest.weft {\n  %%   plural: \"as\",\n  %% }\n}\n");
  auto more = parse_and_check("erDiagram\nA {\n  String x\n  Integer y\n  %% @service crud.rest.weft { plural: 'as' }\n}\n");
  REQUIRE(base.ok());
  REQUIRE(spaced.ok());
  REQUIRE(more.ok());
  CHECK(base.schema.hash == spaced.schema.hash);
  CHECK(base.schema.hash != more.schema.hash);
}

namespace {

struct bad_case {
  const char* what;
  std::string text;
  const char* at; ///< line:column
  const char* says;
};

} // namespace

TEST_CASE("schema: each bad schema is reported at its line and column, and every problem at once",
          "[schema]") {
  const std::string user_head = "erDiagram\nUser {\n    String email UK\n    String password\n";
  const std::vector<bad_case> cases{
    {"unknown type", "erDiagram\nUser {\n    Strin email\n}\n", "3:5", "unknown type 'Strin'; the types are"},
    {"type in the wrong case", "erDiagram\nUser {\n    string email\n}\n", "3:5", "did you mean String?"},
    {"array of an unknown type", "erDiagram\nUser {\n    Array[Str] tags\n}\n", "3:5", "unknown type 'Array[Str]'"},
    {"unknown key", "erDiagram\nUser {\n    String email XK\n}\n", "3:18", "unknown key 'XK': PK, FK or UK"},
    {"attribute line without a name", "erDiagram\nUser {\n    String\n}\n", "3:5", "an attribute line is: type name"},
    {"bad attribute name", "erDiagram\nUser {\n    String e.mail\n}\n", "3:12", "an attribute name is a letter"},
    {"text after the comment", "erDiagram\nUser {\n    String email \"x\" PK\n}\n", "3:22", "nothing may follow the comment"},
    {"entity not closed", "erDiagram\nUser {\n    String email\n", "2:1", "entity User is not closed"},
    {"entity twice", "erDiagram\nUser {\n}\nUser {\n}\n", "4:1", "entity User is declared twice (first at line 2)"},
    {"attribute twice", "erDiagram\nUser {\n    String email\n    Text email\n}\n", "4:10", "attribute email is declared twice in User"},
    {"id of another type", "erDiagram\nUser {\n    String id\n}\n", "3:12", "id is the entity's identifier"},
    {"created_at of another type", "erDiagram\nUser {\n    Date created_at\n}\n", "3:10", "created_at is kept by Weft"},
    {"a line that is nothing", "erDiagram\nUser {\n}\nwhat is this\n", "4:1", "expected an entity"},
    {"a second header", "erDiagram\nUser {\n}\nerDiagram\n", "4:1", "a second erDiagram header"},
    {"bad cardinality", "erDiagram\nUser {\n}\nPost {\n}\nUser ||--o< Post : writes\n", "6:6", "unknown relationship '||--o<'"},
    {"relationship without a label", "erDiagram\nUser {\n}\nPost {\n}\nUser ||--o{ Post\n", "6:1", "a relationship is: A ||--o{ B : label"},
    {"relationship to nobody", "erDiagram\nUser {\n}\nUser ||--o{ Post : writes\n", "4:1", "names entity Post, which is not declared"},
    {"annotation outside an entity", "erDiagram\n%% @service crud.rest.weft {}\nUser {\n}\n", "2:4", "an annotation belongs inside an entity's braces"},
    {"unknown annotation", "erDiagram\nUser {\n    String email\n    %% @unqiue\n}\n", "4:8", "unknown annotation @unqiue; known: @service"},
    {"@index above every attribute", "erDiagram\nUser {\n    %% @index\n    String email\n}\n", "3:8", "@index applies to the attribute above it"},
    {"@default without parentheses", "erDiagram\nUser {\n    Integer n\n    %% @default 3\n}\n", "4:8", "@default takes its value in parentheses"},
    {"@default of no value", "erDiagram\nUser {\n    Integer n\n    %% @default(three)\n}\n", "4:17", "@default: unexpected word 'three'"},
    {"@service without a provider", "erDiagram\nUser {\n    %% @service crud.rest {}\n}\n", "3:17", "@service names <type>.<method>.<provider>, e.g. crud.rest.weft, got 'crud.rest'"},
    {"@service config not an object", "erDiagram\nUser {\n    %% @service crud.rest.weft plural\n}\n", "3:32", "the config of @service is an object in braces"},
    {"@service config unquoted value", "erDiagram\nUser {\n    %% @service crud.rest.weft { plural: users }\n}\n", "3:42", "config: unexpected word 'users': strings are quoted"},
    {"@service config missing a comma", "erDiagram\nUser {\n    %% @service crud.rest.weft {\n    %%   plural: \"users\"\n    %%   name: \"x\" }\n}\n", "5:10", "',' or '}' was expected"},
    {"@service config not closed", "erDiagram\nUser {\n    %% @service crud.rest.weft {\n    %%   plural: \"users\",\n}\n", "3:8", "is not closed before line 5"},
    {"@service config key twice", "erDiagram\nUser {\n    %% @service crud.rest.weft { plural: 'a', plural: 'b' }\n}\n", "3:47", "key 'plural' appears twice"},
    {"unknown kind", "erDiagram\nUser {\n    %% @service storage.blob.weft {}\n}\n", "3:8", "unknown service kind storage.blob; Weft ships crud.rest, auth.password, auth.cookies, notifications.inapp, analytics.tracking"},
    {"provider Weft does not ship", user_head + "    %% @service auth.password.redis { loginField: 'email', passwordField: 'password' }\n}\n", "5:8", "provider 'redis' is not shipped for auth.password; available: weft, postgres, memory"},
    {"unknown config key", user_head + "    %% @service crud.rest.weft { plurl: 'users' }\n}\n", "5:8", "unknown config key 'plurl'; crud.rest accepts name, plural, hidden, readRoles, writeRoles"},
    {"required key missing", user_head + "    %% @service auth.password.weft { loginField: 'email' }\n}\n", "5:8", "'passwordField' is required"},
    {"attribute that does not exist", user_head + "    %% @service auth.password.weft { loginField: 'mail', passwordField: 'password' }\n}\n", "5:8", "'loginField' names mail, which is not an attribute of User (id, email, password, created_at, updated_at)"},
    {"attribute of a type the kind cannot use", "erDiagram\nUser {\n    Integer email UK\n    String password\n    %% @service auth.password.weft { loginField: 'email', passwordField: 'password' }\n}\n", "5:8", "'loginField' names email, a Integer; it takes String, Text"},
    {"login not unique", "erDiagram\nUser {\n    String email\n    String password\n    %% @service auth.password.weft { loginField: 'email', passwordField: 'password' }\n}\n", "5:8", "loginField email must be unique (UK)"},
    {"wrong value type", user_head + "    %% @service crud.rest.weft { hidden: 'password' }\n}\n", "5:8", "'hidden' must be a list of attribute names, got \"password\""},
    {"hidden attribute unknown", user_head + "    %% @service crud.rest.weft { hidden: ['pasword'] }\n}\n", "5:8", "'hidden' names pasword, which is not an attribute of User"},
    {"bad enum", "erDiagram\nEvent {\n    String to\n    %% @service notifications.inapp.weft { recipientField: 'to', subjectTemplate: 'x', triggerOn: 'created' }\n}\n", "4:8", "'triggerOn' must be one of create, update, delete, or a list of them"},
    {"template naming no attribute", "erDiagram\nEvent {\n    String to\n    %% @service notifications.inapp.weft { recipientField: 'to', subjectTemplate: '{{title}} soon' }\n}\n", "4:8", "'subjectTemplate' names title, which is not an attribute of Event"},
    {"two services of one kind with one name", user_head + "    %% @service auth.password.weft { loginField: 'email', passwordField: 'password' }\n    %% @service auth.password.memory { loginField: 'email', passwordField: 'password' }\n}\n", "6:8", "two auth.password services on User are named 'default' (the first at line 5): give each its own name"},
    {"two collections with one plural", "erDiagram\nA {\n    %% @service crud.rest.weft { plural: 'things' }\n}\nB {\n    %% @service crud.rest.weft { plural: 'things' }\n}\n", "6:8", "two collections are named /v1/things (A at line 3)"},
    {"condition without its value", "erDiagram\nA {\n    String plan\n    %% @service analytics.tracking.weft { eventName: 'x', conditionalField: 'plan' }\n}\n", "4:8", "conditionalField and conditionalValue go together"},
    {"password that is also the login", user_head + "    %% @service auth.password.weft { loginField: 'email', passwordField: 'email' }\n}\n", "5:8", "passwordField email cannot also be the loginField"},
    {"two cookie services with one cookie", "erDiagram\nA {\n    String email UK\n    String pw\n    %% @service auth.cookies.weft { loginField: 'email', passwordField: 'pw' }\n}\nB {\n    String email UK\n    String pw\n    %% @service auth.cookies.weft { loginField: 'email', passwordField: 'pw' }\n}\n", "10:8", "two auth.cookies services use the cookie weft_session (A at line 5): set a distinct cookieName"},
    {"hidden recipients", "erDiagram\nEvent {\n    String to\n    %% @service crud.rest.weft { hidden: ['to'] }\n    %% @service notifications.inapp.weft { recipientField: 'to', subjectTemplate: 'soon' }\n}\n", "5:8", "recipientField to is hidden by crud.rest, and recipients travel in an event"},
  };
  for (const auto& c : cases) {
    auto r = parse_and_check(c.text);
    INFO(c.what << "\n" << c.text << "\n" << problems_of(r));
    REQUIRE_FALSE(r.ok());
    bool found = false;
    for (const auto& p : r.problems) {
      auto at = std::to_string(p.at.line) + ":" + std::to_string(p.at.column);
      found = found || (at == c.at && p.message.find(c.says) != std::string::npos);
    }
    CHECK(found);
    CHECK(r.schema.hash.empty());
  }

  // A postgres provider on a node without a database is refused at start.
  auto pg = parse_and_check(user_head + "    %% @service crud.rest.postgres {}\n}\n", {false});
  REQUIRE(pg.problems.size() == 1);
  CHECK(pg.problems[0].message.find("needs a database (database.url)") != std::string::npos);
  CHECK(parse_and_check(user_head + "    %% @service crud.rest.postgres {}\n}\n", {true}).ok());

  // Every problem at once, in file order.
  auto many = parse_and_check("erDiagram\nUser {\n    Strin email\n    %% @service crud.rest.weft { plurl: 'x' }\n    %% @nope\n}\nUser ||--o{ Post : writes\n");
  INFO(problems_of(many));
  REQUIRE(many.problems.size() == 4);
  CHECK(many.problems[0].at.line == 3);
  CHECK(many.problems[1].at.line == 4);
  CHECK(many.problems[2].at.line == 5);
  CHECK(many.problems[3].at.line == 7);
  CHECK(to_string("app.mmd", many.problems[0]).starts_with("app.mmd:3:5: unknown type"));
}

TEST_CASE("schema: default plurals", "[schema]") {
  CHECK(default_plural("User") == "users");
  CHECK(default_plural("Category") == "categories");
  CHECK(default_plural("Day") == "days");
  CHECK(default_plural("Box") == "boxes");
  CHECK(default_plural("Address") == "addresses");
  CHECK(default_plural("OrderLine") == "order_lines");
}
