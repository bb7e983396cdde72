#include "actors/auth/password_hasher.hpp"

#include <thread>

#include <caf/actor_pool.hpp>
#include <caf/actor_system.hpp>
#include <caf/scoped_execution_unit.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace weft::auth {

namespace {

password_hasher_actor::behavior_type hasher(password_hasher_actor::pointer,
                                            password_params params) {
  return {
    [params](hash_atom, const std::string& password) -> caf::result<std::string> {
      auto h = hash_password(password, params);
      if (!h)
        return std::move(h.error());
      return std::move(*h);
    },
    [](verify_atom, const std::string& password, const std::string& phc) {
      return verify_password(password, phc);
    },
  };
}

} // namespace

password_hasher_actor spawn_password_hashers(caf::actor_system& sys, unsigned threads,
                                             password_params params) {
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  caf::scoped_execution_unit ctx{&sys};
  auto factory = [&sys, params] {
    return caf::actor_cast<caf::actor>(sys.spawn<caf::detached>(hasher, params));
  };
  auto pool = caf::actor_pool::make(&ctx, threads, factory, caf::actor_pool::round_robin());
  return caf::actor_cast<password_hasher_actor>(pool);
}

} // namespace weft::auth
