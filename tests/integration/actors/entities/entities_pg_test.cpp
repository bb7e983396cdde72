#include "tests/unit/actors/entities/entities_contract.hpp"

#include "adapters/postgres/migrations.hpp"
#include "adapters/postgres/pg_store.hpp"
#include "tests/integration/adapters/postgres/pg_support.hpp"

using namespace weft;

namespace {

caf::expected<std::vector<std::string>> sync(pg::pg_store& data, const char* text,
                                             bool destructive = false) {
  auto r = schema::parse_and_check(text);
  REQUIRE(r.ok());
  auto cat = entities::build_catalog(r.schema);
  auto s = data.open_session("sync");
  return transact<std::vector<std::string>>(*s, [&](unit_of_work& w) {
    return entities::sync_tables(w, *cat, destructive);
  });
}

} // namespace

TEST_CASE("entities on PostgreSQL: create, read, update, list, remove, uniques, hidden "
          "attributes, Idempotency-Key",
          "[entities]") {
  auto url = pg::test::fresh_database();
  auto c = pg::test::open_or_fail(url);
  REQUIRE(pg::apply_migrations(c));
  pg::pg_store data{pg::test::test_options(url), 1};
  auto done = sync(data, entities::test::every_type_schema);
  REQUIRE(done);
  CHECK(done->front() == "created table weft_e_person (Person)");
  entities::test::crud_works(data);
}

TEST_CASE("entities on PostgreSQL: additive schema changes migrate at start, destructive ones "
          "are refused unless allowed",
          "[entities]") {
  auto url = pg::test::fresh_database();
  auto c = pg::test::open_or_fail(url);
  REQUIRE(pg::apply_migrations(c));
  pg::pg_store data{pg::test::test_options(url), 1};
  const char* v1 = "erDiagram\nNote {\n  String title\n  %% @service crud.rest.weft {}\n}\n";
  const char* v2 = "erDiagram\nNote {\n  String title\n  Integer stars\n  %% @index\n"
                   "  String slug UK\n  %% @service crud.rest.weft {}\n}\n"
                   "Tag {\n  String name UK\n  %% @service crud.rest.weft {}\n}\n";
  const char* dropped = "erDiagram\nNote {\n  String title\n  %% @service crud.rest.weft {}\n}\n"
                        "Tag {\n  String name UK\n  %% @service crud.rest.weft {}\n}\n";
  const char* retyped = "erDiagram\nNote {\n  Integer title\n  Integer stars\n  String slug UK\n"
                        "  %% @service crud.rest.weft {}\n}\nTag {\n  String name UK\n"
                        "  %% @service crud.rest.weft {}\n}\n";
  REQUIRE(sync(data, v1));
  REQUIRE(c.exec("INSERT INTO weft_e_note (id, title, created_at, updated_at) VALUES"
                 " ('0190a5a0-0000-7000-8000-000000000001', 'kept', now(), now())"));
  auto added = sync(data, v2);
  REQUIRE(added);
  CHECK(std::find(added->begin(), added->end(), "added column weft_e_note.stars") != added->end());
  CHECK(std::find(added->begin(), added->end(), "added column weft_e_note.slug") != added->end());
  CHECK(std::find(added->begin(), added->end(), "created table weft_e_tag (Tag)") != added->end());
  auto indexes = c.exec("SELECT indexname FROM pg_indexes WHERE tablename = 'weft_e_note' ORDER BY 1");
  REQUIRE(indexes);
  std::vector<std::string> names;
  for (int i = 0; i < indexes->rows(); ++i)
    names.emplace_back(indexes->text(i, 0));
  CHECK(names == std::vector<std::string>{"weft_e_note_pkey", "weft_e_note_slug_key", "weft_e_note_stars_idx"});
  auto again = sync(data, v2);
  REQUIRE(again);
  CHECK(again->empty()); // nothing left to do

  auto refused = sync(data, dropped);
  REQUIRE_FALSE(refused);
  auto why = caf::to_string(refused.error());
  INFO(why);
  CHECK(why.find("Note.stars is in the database, not in the schema (dropped)") != std::string::npos);
  CHECK(why.find("Note.slug") != std::string::npos);
  CHECK(why.find("--allow-destructive") != std::string::npos);
  auto retype = sync(data, retyped);
  REQUIRE_FALSE(retype);
  CHECK(caf::to_string(retype.error()).find("Note.title is text in the database, Integer (int8) in the schema")
        != std::string::npos);
  // Refused means untouched: the column and its row are there.
  auto kept = c.exec("SELECT title, stars FROM weft_e_note");
  REQUIRE(kept);
  CHECK(kept->rows() == 1);
  CHECK(kept->text(0, 0) == "kept");

  auto allowed = sync(data, dropped, true);
  REQUIRE(allowed);
  CHECK(std::find(allowed->begin(), allowed->end(), "dropped column weft_e_note.stars") != allowed->end());
  auto cols = c.exec("SELECT count(*) FROM information_schema.columns WHERE table_name = 'weft_e_note'");
  REQUIRE(cols);
  CHECK(cols->text(0, 0) == "4"); // id, title, created_at, updated_at
}

TEST_CASE("entities on PostgreSQL: an entity that declares its own id, anywhere", "[entities]") {
  auto url = pg::test::fresh_database();
  auto c = pg::test::open_or_fail(url);
  REQUIRE(pg::apply_migrations(c));
  pg::pg_store data{pg::test::test_options(url), 1};
  entities::test::declared_id_works(data, [&](const entities::catalog& cat) {
    auto s = data.open_session("sync");
    REQUIRE(transact<std::vector<std::string>>(*s, [&](unit_of_work& w) {
      return entities::sync_tables(w, cat, false);
    }));
  });
}
