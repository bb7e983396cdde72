#include "tests/unit/actors/entities/entities_contract.hpp"

#include "adapters/memory/memory_store.hpp"

using namespace weft;

TEST_CASE("entities on the memory store: create, read, update, list, remove, uniques, hidden "
          "attributes, Idempotency-Key",
          "[entities]") {
  auto data = std::make_shared<memory::memory_store>();
  entities::test::crud_works(*data);
}

TEST_CASE("entities on the memory store: an entity that declares its own id, anywhere",
          "[entities]") {
  auto data = std::make_shared<memory::memory_store>();
  entities::test::declared_id_works(*data, [](const entities::catalog&) {});
}

TEST_CASE("entities: the catalog's schemas: what a create needs, what a view shows, what a "
          "listing filters on",
          "[entities]") {
  auto cat = entities::test::every_type_catalog();
  const auto& c = cat->collections.at(0);
  CHECK(c.plural == "people");
  CHECK(c.table == "weft_e_person");
  CHECK(c.event_prefix == "person");
  auto create = c.create_schema();
  CHECK(create["additionalProperties"] == false);
  CHECK_FALSE(create["properties"].contains("id"));
  CHECK_FALSE(create["properties"].contains("password")); // the auth service's
  CHECK(create["properties"].contains("secret"));          // hidden, but writable
  auto required = create["required"].get<std::vector<std::string>>();
  CHECK(std::find(required.begin(), required.end(), "email") != required.end());
  CHECK(std::find(required.begin(), required.end(), "age") == required.end()); // @default
  CHECK(std::find(required.begin(), required.end(), "tags") == required.end()); // lists start empty
  CHECK(create["properties"]["seen"]["format"] == "date-time");
  CHECK(create["properties"]["lucky"]["items"]["type"] == "integer");
  auto view = c.view_schema();
  CHECK(view["properties"].contains("id"));
  CHECK(view["properties"].contains("created_at"));
  CHECK_FALSE(view["properties"].contains("secret"));
  CHECK_FALSE(view["properties"].contains("password"));
  auto query = c.query_schema();
  CHECK(query["properties"].contains("email"));
  CHECK(query["properties"].contains("active"));
  CHECK_FALSE(query["properties"].contains("bio"));
  CHECK(c.patch_schema()["minProperties"] == 1);
  CHECK_FALSE(c.patch_schema().contains("required"));
}
