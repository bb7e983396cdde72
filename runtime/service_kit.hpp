#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_pool.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_execution_unit.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "events/typed_event.hpp"
#include "events/wire.hpp"
#include "runtime/service.hpp"
#include "runtime/store.hpp"

// What a service folder uses to assemble itself from the kit: its front
// actors with store sessions of the right kind, its published events, its
// message types, and typed dispatch of the events it subscribes to. Include
// it in a service's group and module sources only (CAF's actor headers).
namespace weft::kit {

template <class List>
struct publishes_of;

template <events::typed_event... Ts>
struct publishes_of<events::event_list<Ts...>> {
  static std::vector<event_decl> decls() {
    return {event_decl{std::string{Ts::type_name}, Ts::version, wire::schema_of<Ts>()}...};
  }
};

/// The declarations of the typed events of an `events::event_list`.
template <class List>
std::vector<event_decl> publishes() {
  return publishes_of<List>::decls();
}

/// Registers wire types with CAF under their wire names (what lets them
/// cross nodes).
template <class... Ts>
void register_types(caf::actor_system_config& cfg) {
  (cfg.add_message_type<Ts>(wire::name_of<Ts>()), ...);
}

/// A service's front actors: the handle requests go to, and every actor to
/// stop with it.
template <class Handle>
struct front {
  Handle handle;
  std::vector<caf::actor> actors;

  service_instance instance() const {
    return service_instance{caf::actor_cast<caf::actor>(handle), actors};
  }
};

/// At most this many actors for a front on a blocking store (0: as many as
/// the store suggests).
struct workers {
  uint32_t n = 0;
};

/// Spawns `fn(self, session, args...)` as the service's front. On a store
/// that does not block (memory), one event-based actor with one session. On
/// a blocking store (PostgreSQL), `ctx.data.parallelism()` (at most
/// `limit.n`) detached actors, each with its own session (its own connection
/// and thread: libpq blocks them, never CAF's workers), behind a round-robin
/// pool.
template <class Fn, class... Ts>
auto spawn_front(service_context& ctx, const std::string& purpose, workers limit, Fn fn,
                 const Ts&... args) {
  using handle_type = decltype(ctx.system.spawn(fn, std::shared_ptr<store_session>{}, args...));
  front<handle_type> out;
  if (!ctx.data.blocking()) {
    out.handle = ctx.system.spawn(fn, ctx.data.open_session(purpose), args...);
    out.actors.push_back(caf::actor_cast<caf::actor>(out.handle));
    return out;
  }
  std::vector<caf::actor> workers;
  auto n = std::max<uint32_t>(1, ctx.data.parallelism());
  if (limit.n > 0)
    n = std::min(n, limit.n);
  for (uint32_t i = 0; i < n; ++i)
    workers.push_back(caf::actor_cast<caf::actor>(ctx.system.template spawn<caf::detached>(
      fn, ctx.data.open_session(purpose + "-" + std::to_string(i + 1)), args...)));
  caf::scoped_execution_unit unit{&ctx.system};
  size_t next = 0;
  auto pool = caf::actor_pool::make(
    &unit, workers.size(), [&] { return workers[next++]; }, caf::actor_pool::round_robin());
  out.handle = caf::actor_cast<handle_type>(pool);
  out.actors = std::move(workers);
  out.actors.push_back(pool);
  return out;
}

/// `spawn_front` with as many actors as the store suggests.
template <class Fn, class... Ts>
auto spawn_front(service_context& ctx, const std::string& purpose, Fn fn, const Ts&... args) {
  return spawn_front(ctx, purpose, workers{}, std::move(fn), args...);
}

/// A subscriber's handler by event type: decodes `data` as the typed event
/// and calls the handler registered for it. Events of other types are
/// acknowledged untouched (a filter such as `weft.auth.>` brings more than a
/// service wants); `data` that does not decode is an `events` error, which
/// dead-letters the event.
class event_dispatch {
public:
  /// `fn(unit_of_work&, const T&, const events::envelope&) -> caf::error`.
  template <events::typed_event T, class F>
  event_dispatch& on(F fn) {
    handlers_[std::string{T::type_name}] = [fn = std::move(fn)](unit_of_work& w,
                                                                const events::envelope& ev) {
      auto x = events::data_as<T>(ev);
      if (!x)
        return std::move(x.error());
      return fn(w, *x, ev);
    };
    return *this;
  }

  /// The filters a consumer needs for the types handled (one per type).
  std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const auto& [type, h] : handlers_)
      out.push_back(type);
    return out;
  }

  caf::error operator()(unit_of_work& w, const events::envelope& ev) const {
    auto i = handlers_.find(ev.type);
    if (i == handlers_.end())
      return {};
    return i->second(w, ev);
  }

private:
  std::map<std::string, event_handler_fn, std::less<>> handlers_;
};

} // namespace weft::kit
