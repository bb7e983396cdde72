#include "adapters/http/gateway.hpp"

#include <map>

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
  if (!resp.json_text.empty())
    out.body = std::move(resp.json_text);
  else if (resp.body.is_null())
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
      if (who.has_node_role(role_admin) || who.has_node_role(role_root))
        return caf::none;
      return api_error(api_errc::forbidden, who.realm.empty()
                                              ? "requires the admin or root role"
                                              : "requires an account of the node with the admin "
                                                "or root role");
    case access::root:
      if (who.has_node_role(role_root))
        return caf::none;
      return api_error(api_errc::forbidden, "requires the root role");
  }
  return api_error(api_errc::forbidden, "access denied");
}

namespace {

// A request sent to a remote replica, kept until answered: CAF 0.17 fails
// no request when the peer dies (it waits for its own timeout), so the
// gateway answers them itself when the replica's down message comes.
struct remote_call {
  gateway_job job; ///< the request, kept whole for a second attempt
  int attempts = 0;
};

struct gateway_state {
  uint64_t next_id = 0;
  /// What waits on each remote replica (calls, API-key checks), by id: what
  /// to do instead when the replica goes.
  std::map<caf::actor_addr, std::map<uint64_t, std::function<void()>>> waiting;
  /// Remote replicas this gateway monitors, with the slot each belongs to.
  std::map<caf::actor_addr, const service_slot*> monitored;
  static inline const char* name = "weft.http.gateway";
};

using gateway_actor = caf::stateful_actor<gateway_state>;

// Runs a route's handler against `target`, answering through `reply` and
// `fail`. Exceptions stop here: they must not cross into CAF, where they
// would kill the gateway and every request it holds.
void invoke(caf::event_based_actor* self, const gateway_job& job, const caf::actor& target,
            api_request req, api_reply reply, api_fail fail) {
  auto& handler = job.route->decl->handler;
  if (!handler) {
    fail(api_error(api_errc::internal, "route has no handler"));
    return;
  }
  try {
    handler(self, target, job.timeout, std::move(req), std::move(reply), fail);
  } catch (const std::exception& e) {
    spdlog::error("http: handler of {} threw: {} (request {})", job.route->path_template,
                  e.what(), job.ex->request_id);
    fail(api_error(api_errc::internal, "internal error"));
  }
}

// Registers `on_gone` as what to do if the remote replica `target` goes
// before the work sent to it is answered (monitoring it on first use); the
// returned settle() is true once: for the answer, or for on_gone, whichever
// comes first.
std::function<bool()> wait_on(gateway_actor* self, const replica& target,
                              const service_slot* slot, std::function<void()> on_gone) {
  auto& st = self->state;
  auto addr = target.front.address();
  if (st.monitored.emplace(addr, slot).second)
    self->monitor(target.front);
  auto id = ++st.next_id;
  auto live = std::make_shared<bool>(true);
  st.waiting[addr][id] = [live, on_gone = std::move(on_gone)] {
    *live = false;
    on_gone();
  };
  return [self, addr, id, live] {
    if (!*live)
      return false;
    *live = false;
    auto& waiting = self->state.waiting;
    if (auto i = waiting.find(addr); i != waiting.end()) {
      i->second.erase(id);
      if (i->second.empty())
        waiting.erase(i);
    }
    return true;
  };
}

// A request is safe to send again when repeating it changes nothing: a read,
// or a write the service deduplicates by its Idempotency-Key.
bool repeatable(const api_request& req) {
  return req.method == http_method::get || !req.idempotency_key.empty();
}

void send_remote(gateway_actor* self, std::shared_ptr<remote_call> call);
void run_handler(gateway_actor* self, gateway_job& job);

// True for the errors that say the replica, not the request, failed: the
// actor is gone (its node stopped its services) or its node is unreachable.
bool replica_gone(const caf::error& err) {
  return err == caf::sec::request_receiver_down || err == caf::sec::no_route_to_receiving_node
         || err == caf::exit_reason::remote_link_unreachable;
}

// The replica `gone` of a call's attempt is no more: send the call to
// another replica when repeating it is safe, else answer 503 with
// Retry-After (the client decides).
void fail_over(gateway_actor* self, const std::shared_ptr<remote_call>& call,
               const caf::actor_addr& gone) {
  const service_slot* slot = call->job.route->slot;
  replica next;
  if (slot != nullptr && repeatable(call->job.req) && call->attempts < 3)
    next = slot->pick(gone);
  if (!next) {
    call->job.ex->fail(api_error(api_errc::unavailable,
                                 "the node serving " + call->job.route->service
                                   + " went away during the request; retry",
                                 {}, 1));
    return;
  }
  call->job.target = std::move(next);
  if (call->job.target.remote()) {
    send_remote(self, call);
  } else {
    auto job = call->job;
    run_handler(self, job);
  }
}

void send_remote(gateway_actor* self, std::shared_ptr<remote_call> call) {
  auto target = call->job.target;
  auto addr = target.front.address();
  auto counter = target.in_flight;
  call->attempts += 1;
  counter->fetch_add(1, std::memory_order_relaxed);
  auto once = wait_on(self, target, call->job.route->slot, [self, call, addr, counter] {
    counter->fetch_sub(1, std::memory_order_relaxed);
    fail_over(self, call, addr);
  });
  auto settle = [once, counter] {
    if (!once())
      return false;
    counter->fetch_sub(1, std::memory_order_relaxed);
    return true;
  };
  auto ex = call->job.ex;
  invoke(
    self, call->job, target.front, call->job.req,
    [settle, ex](api_response resp) {
      if (settle())
        ex->reply(std::move(resp));
    },
    [self, settle, call, addr](caf::error err) {
      if (!settle())
        return;
      if (replica_gone(err)) {
        if (auto* slot = call->job.route->slot)
          slot->remove_front(addr);
        fail_over(self, call, addr);
        return;
      }
      call->job.ex->fail(err);
    });
}

void run_handler(gateway_actor* self, gateway_job& job) {
  if (job.target.remote()) {
    auto call = std::make_shared<remote_call>();
    call->job = std::move(job);
    send_remote(self, std::move(call));
    return;
  }
  auto ex = job.ex;
  auto req = std::move(job.req);
  invoke(
    self, job, job.target.front, std::move(req),
    [ex](api_response resp) { ex->reply(std::move(resp)); }, [ex](caf::error err) { ex->fail(err); });
}

// A remote replica is gone (its node died, hung past the heartbeat timeout,
// or left): no new request goes there, and those it held are answered now.
void on_replica_down(gateway_actor* self, const caf::down_msg& dm) {
  auto& st = self->state;
  auto m = st.monitored.find(dm.source);
  if (m == st.monitored.end())
    return;
  const service_slot* slot = m->second;
  st.monitored.erase(m);
  auto node = slot != nullptr ? slot->remove_front(dm.source) : std::string{};
  auto i = st.waiting.find(dm.source);
  if (i == st.waiting.end())
    return;
  auto gone = std::move(i->second);
  st.waiting.erase(i);
  spdlog::warn("http: a replica of {}{} is gone ({}); {} requests in flight fail over",
               slot != nullptr ? slot->name() : "a service", node.empty() ? "" : " on " + node,
               to_string(dm.reason), gone.size());
  for (auto& [id, on_gone] : gone)
    on_gone();
}

// Resolves the job's API key on a replica of the service that issues keys,
// then runs the route; a replica that dies meanwhile is replaced by another.
void resolve_key(gateway_actor* self, std::shared_ptr<gateway_job> held,
                 const service_slot* api_keys, caf::actor_addr avoid, int attempts) {
  auto target = api_keys->pick(avoid);
  if (!target || attempts >= 3) {
    held->ex->fail(api_error(api_errc::unavailable,
                             "cannot verify the API key now: " + api_keys->name()
                               + " is not available",
                             {}, 1));
    return;
  }
  auto addr = target.front.address();
  std::function<bool()> settle = [] { return true; };
  if (target.remote())
    settle = wait_on(self, target, api_keys, [=] {
      resolve_key(self, held, api_keys, addr, attempts + 1); // a read: safe to repeat
    });
  self->request(caf::actor_cast<identity_actor>(target.front), held->timeout, resolve_atom::value,
                held->api_key)
    .then(
      [=](principal& who) {
        if (!settle())
          return;
        if (auto err = authorize(held->route->decl->who, who)) {
          held->ex->fail(err);
          return;
        }
        held->req.caller = std::move(who);
        run_handler(self, *held);
      },
      [=](caf::error& err) {
        if (!settle())
          return;
        if (err.category() == caf::atom("api"))
          held->ex->fail(api_error(api_errc::unauthenticated, "invalid API key"));
        else if (replica_gone(err))
          resolve_key(self, held, api_keys, addr, attempts + 1);
        else
          held->ex->fail(api_error(api_errc::unavailable, "cannot verify the API key now", {}, 1));
      });
}

caf::behavior gateway(gateway_actor* self, const service_slot* api_keys) {
  self->set_down_handler([self](caf::down_msg& dm) { on_replica_down(self, dm); });
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
      resolve_key(self, std::make_shared<gateway_job>(std::move(job)), api_keys, {}, 0);
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
