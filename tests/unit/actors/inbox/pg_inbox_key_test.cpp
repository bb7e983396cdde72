#include <catch2/catch.hpp>

#include "actors/inbox/event_checks.hpp"
#include "events/ids.hpp"

// The inbox key of an event id (weft_inbox.event_id is a uuid column).
using weft::inbox::event_key_of;

TEST_CASE("a UUID event id is its own key, in lower case", "[pg_inbox]") {
  CHECK(event_key_of("0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B") == "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
  auto id = weft::events::new_uuid_v7();
  CHECK(event_key_of(id) == id);
}

TEST_CASE("any other event id maps to a stable version-5 UUID", "[pg_inbox]") {
  auto k = event_key_of("order-42");
  CHECK(weft::events::is_uuid(k));
  CHECK(k == event_key_of("order-42"));
  CHECK(k != event_key_of("order-43"));
  CHECK(k[14] == '5');                                  // version 5
  CHECK((k[19] == '8' || k[19] == '9' || k[19] == 'a' || k[19] == 'b')); // RFC variant
  CHECK(weft::events::is_uuid(event_key_of("")));
  // Not a UUID by one character: mapped, not passed through.
  CHECK(event_key_of("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5") != "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5");
}
