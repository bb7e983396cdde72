#include "tests/unit/actors/retention/retention_contract.hpp"

#include "adapters/postgres/migrations.hpp"
#include "adapters/postgres/pg_store.hpp"
#include "tests/integration/adapters/postgres/pg_support.hpp"

using namespace weft;

TEST_CASE("retention on PostgreSQL: the old is pruned in batches, nothing younger, and counted",
          "[retention]") {
  auto url = pg::test::fresh_database();
  auto c = pg::test::open_or_fail(url);
  REQUIRE(pg::apply_migrations(c));
  pg::pg_store data{pg::test::test_options(url), 1};
  // Four of the six inbox records are older than the stream keeps events.
  retention::test::prunes_the_old_and_keeps_the_young(data, 4, [&] {
    auto r = c.exec("UPDATE weft_inbox SET processed_at = now() - interval '8 days'"
                    " WHERE ctid = ANY(ARRAY(SELECT ctid FROM weft_inbox LIMIT 4))");
    REQUIRE(r);
    REQUIRE(r->affected() == 4);
  });
}

TEST_CASE("retention on PostgreSQL: settled webhook deliveries go by age, pending ones stay",
          "[retention][webhooks]") {
  auto url = pg::test::fresh_database();
  auto c = pg::test::open_or_fail(url);
  std::vector<migration_set> sets{{pg::core_module, pg::embedded_migrations()},
                                  {"webhooks", webhooks::module().migrations}};
  REQUIRE(pg::apply_migrations(c, sets));
  pg::pg_store data{pg::test::test_options(url), 1};
  retention::test::prunes_settled_webhook_deliveries(data);
}
