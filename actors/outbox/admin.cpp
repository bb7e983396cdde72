#include "actors/outbox/admin.hpp"

#include <chrono>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "adapters/postgres/outbox_table.hpp"
#include "events/ids.hpp"
#include "runtime/api_error.hpp"
#include "runtime/route_kit.hpp"

namespace weft::outbox {

namespace {

constexpr auto job_timeout = std::chrono::seconds{30};

outbox_admin_actor::behavior_type admin(outbox_admin_actor::pointer self, pg::pool pool) {
  return {
    [self, pool](republish_atom, const republish_request& req) -> caf::result<republish_result> {
      std::chrono::system_clock::time_point since;
      if (!events::parse_rfc3339(req.since, since))
        return api_error(api_errc::bad_request, "since must be an RFC 3339 time", "/since");
      auto rp = self->make_response_promise<republish_result>();
      pg::run<int64_t>(self, pool, job_timeout,
                       [since](pg::connection& c) { return pg::republish_since(c, since); })
        .then([rp](int64_t n) mutable { rp.deliver(republish_result{n}); },
              [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
  };
}

} // namespace

outbox_admin_actor spawn_outbox_admin(caf::actor_system& sys, pg::pool pool) {
  return sys.spawn(admin, std::move(pool));
}

service_decl outbox_admin_decl() {
  using namespace route_kit;
  service_decl d;
  d.name = "outbox";
  d.routes.push_back(
    post("/outbox/republish", "outbox.republish",
         "Publish the retained outbox rows published since a time again")
      .who(access::root)
      .body<republish_request>()
      .answers<republish_result>(200, [](const api_request&, republish_request r) {
        return caf::make_message(republish_atom::value, std::move(r));
      }));
  return d;
}

} // namespace weft::outbox
