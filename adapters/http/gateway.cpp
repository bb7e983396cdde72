#include "adapters/http/gateway.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <spdlog/spdlog.h>

#include "runtime/api_error.hpp"

namespace weft::http {

outcome render(api_response resp) {
  if (resp.status < 200 || resp.status > 599) {
    spdlog::error("http: a handler answered with status {}", resp.status);
    return render(problem_for(api_error(api_errc::internal, "internal error")));
  }
  outcome out;
  out.status = resp.status;
  out.headers = std::move(resp.headers);
  if (resp.body.is_null())
    out.content_type = nullptr;
  else
    out.body = resp.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return out;
}

outcome render(const problem& p) {
  outcome out;
  out.status = p.status;
  out.content_type = "application/problem+json";
  out.body = to_json(p);
  out.headers = p.headers;
  return out;
}

void exchange::reply(api_response resp) {
  if (claim())
    deliver(render(std::move(resp)));
}

void exchange::fail(const caf::error& err) {
  if (claim())
    deliver(render(problem_for(err)));
}

caf::error authorize(access level, const principal& who) {
  switch (level) {
    case access::open:
    case access::authenticated:
      return caf::none;
    case access::management:
      if (who.has_role(role_admin) || who.has_role(role_root))
        return caf::none;
      return api_error(api_errc::forbidden, "requires the admin or root role");
    case access::root:
      if (who.has_role(role_root))
        return caf::none;
      return api_error(api_errc::forbidden, "requires the root role");
  }
  return api_error(api_errc::forbidden, "access denied");
}

namespace {

// Runs the route's handler. Exceptions stop here: they must not cross into
// CAF, where they would kill the gateway and every request it holds.
void run_handler(caf::event_based_actor* self, gateway_job& job) {
  auto ex = job.ex;
  auto& handler = job.route->decl->handler;
  if (!handler) {
    ex->fail(api_error(api_errc::internal, "route has no handler"));
    return;
  }
  try {
    handler(
      self, job.service, job.timeout, std::move(job.req),
      [ex](api_response resp) { ex->reply(std::move(resp)); },
      [ex](caf::error err) { ex->fail(err); });
  } catch (const std::exception& e) {
    spdlog::error("http: handler of {} threw: {} (request {})",
                  job.route->path_template, e.what(), ex->request_id);
    ex->fail(api_error(api_errc::internal, "internal error"));
  }
}

caf::behavior gateway(caf::event_based_actor* self, const service_slot* api_keys) {
  return {
    [=](gateway_job& job) {
      if (job.api_key.empty()) {
        run_handler(self, job);
        return;
      }
      if (api_keys == nullptr) {
        job.ex->fail(api_error(api_errc::unauthenticated, "API keys are not accepted"));
        return;
      }
      auto keys = caf::actor_cast<identity_actor>(api_keys->resolve());
      if (!keys) {
        job.ex->fail(api_error(api_errc::unavailable,
                               "cannot verify the API key now: " + api_keys->name()
                                 + " is not available",
                               {}, 1));
        return;
      }
      auto held = std::make_shared<gateway_job>(std::move(job));
      self->request(keys, held->timeout, resolve_atom::value, held->api_key)
        .then(
          [=](principal& who) {
            if (auto err = authorize(held->route->decl->who, who)) {
              held->ex->fail(err);
              return;
            }
            held->req.caller = std::move(who);
            run_handler(self, *held);
          },
          [=](caf::error& err) {
            if (err.category() == caf::atom("api"))
              held->ex->fail(api_error(api_errc::unauthenticated, "invalid API key"));
            else
              held->ex->fail(api_error(api_errc::unavailable,
                                       "cannot verify the API key now", {}, 1));
          });
    },
  };
}

struct supervisor_state {
  std::vector<caf::actor> gateways;
  static inline const char* name = "weft.http.gateway_supervisor";
};

caf::behavior supervisor(caf::stateful_actor<supervisor_state>* self,
                         std::vector<caf::actor> gateways, const service_slot* api_keys,
                         std::function<void(size_t, caf::actor)> on_replace) {
  self->state.gateways = std::move(gateways);
  for (auto& gw : self->state.gateways)
    self->monitor(gw);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& gws = self->state.gateways;
    for (size_t i = 0; i < gws.size(); ++i) {
      if (gws[i].address() != dm.source)
        continue;
      if (!dm.reason || dm.reason == caf::exit_reason::user_shutdown)
        return;
      spdlog::warn("http: gateway {} died ({}), respawning", i, to_string(dm.reason));
      gws[i] = self->spawn(gateway, api_keys);
      self->monitor(gws[i]);
      on_replace(i, gws[i]);
      return;
    }
  });
  return {
    [](caf::ok_atom) {
      // nop: the supervisor reacts to down messages only
    },
  };
}

} // namespace

caf::actor spawn_gateway(caf::actor_system& sys, const service_slot* api_keys) {
  return sys.spawn(gateway, api_keys);
}

caf::actor spawn_gateway_supervisor(caf::actor_system& sys,
                                    std::vector<caf::actor> gateways,
                                    const service_slot* api_keys,
                                    std::function<void(size_t, caf::actor)> on_replace) {
  return sys.spawn(supervisor, std::move(gateways), api_keys,
                   std::move(on_replace));
}

} // namespace weft::http
