#include <catch2/catch.hpp>

#include <set>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>

#include "runtime/registry.hpp"

// Where a request goes: this node's instance first, else the remote replica
// with the fewest requests in flight below the bound; a replica found dead
// or whose node left is never picked again.
using namespace weft;

namespace {

caf::actor dummy(caf::actor_system& sys) {
  return sys.spawn([] { return caf::behavior{[](int) {}}; });
}

} // namespace

TEST_CASE("a slot prefers its local instance, then the least busy remote replica",
          "[registry][cluster]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  service_slot slot{"auth"};
  CHECK_FALSE(slot.pick());
  CHECK_FALSE(slot.available());

  auto local = dummy(sys);
  auto a = dummy(sys);
  auto b = dummy(sys);
  slot.add_remote("node-a", a);
  slot.add_remote("node-b", b);
  CHECK(slot.available());
  CHECK(slot.nodes() == std::vector<std::string>{"node-a", "node-b"});

  // Idle replicas share the work.
  std::set<std::string> seen;
  for (int i = 0; i < 4; ++i)
    seen.insert(slot.pick().node);
  CHECK(seen == std::set<std::string>{"node-a", "node-b"});

  // The busier one is avoided.
  auto ra = slot.pick();
  if (ra.node != "node-a")
    ra = slot.pick();
  REQUIRE(ra.node == "node-a");
  ra.in_flight->store(3);
  for (int i = 0; i < 4; ++i)
    CHECK(slot.pick().node == "node-b");

  // At the bound a replica takes no more; all at the bound: none.
  slot.set_max_in_flight(3);
  auto rb = slot.pick();
  rb.in_flight->store(3);
  CHECK_FALSE(slot.pick());
  rb.in_flight->store(0);

  // This node's instance comes first whenever there is one.
  slot.bind(local);
  CHECK(slot.pick().front == local);
  CHECK_FALSE(slot.pick().remote());
  CHECK(slot.local() == local);
  // ... unless it is the one to avoid (a retry elsewhere).
  CHECK(slot.pick(local.address()).remote());
  slot.bind(caf::actor{});

  // A dead replica is dropped by whoever saw it die; a node that left, by name.
  CHECK(slot.remove_front(b.address()) == "node-b");
  CHECK(slot.remove_front(b.address()).empty());
  ra.in_flight->store(0);
  CHECK(slot.pick().node == "node-a");
  CHECK_FALSE(slot.pick(a.address()));
  slot.remove_node("node-a");
  CHECK_FALSE(slot.available());

  // A node that joins again replaces its old front.
  slot.add_remote("node-a", a);
  slot.add_remote("node-a", b);
  CHECK(slot.nodes() == std::vector<std::string>{"node-a"});
  CHECK(slot.pick().front == b);
}

TEST_CASE("the registry adds and drops a node's replicas across services", "[registry][cluster]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  service_registry reg;
  for (auto name : {"auth", "audit"}) {
    service_decl d;
    d.name = name;
    reg.declare(d);
  }
  auto x = dummy(sys);
  auto y = dummy(sys);
  reg.add_remote("auth", "n2", x);
  reg.add_remote("audit", "n2", y);
  reg.add_remote("nope", "n2", y); // a service this node does not know: ignored
  CHECK(reg.resolve("auth") == x);
  CHECK(reg.resolve("audit") == y);
  reg.remove_node("n2");
  CHECK_FALSE(reg.resolve("auth"));
  CHECK_FALSE(reg.resolve("audit"));
  reg.add_remote("auth", "n2", x);
  reg.unbind_all();
  CHECK_FALSE(reg.slot("auth")->available());
}
