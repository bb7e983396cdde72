#include "adapters/postgres/pool.hpp"

#include <exception>

#include <caf/actor_pool.hpp>
#include <caf/actor_system.hpp>
#include <caf/scoped_execution_unit.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <spdlog/spdlog.h>

namespace weft::pg {

namespace {

struct worker_state {
  std::unique_ptr<connection> conn;
  static inline const char* name = "weft.pg.worker";
};

// A detached actor: its own thread, so blocking on libpq here is fine. A job
// that throws is logged and answered with internal; the worker lives on.
caf::behavior worker(caf::stateful_actor<worker_state>* self, connect_options opts) {
  self->state.conn = std::make_unique<connection>(std::move(opts));
  if (auto err = self->state.conn->ensure())
    spdlog::warn("postgres: pool worker could not connect yet: {}", describe(err));
  return {
    [self](job& j) {
      try {
        j.fn(*self->state.conn);
      } catch (const std::exception& e) {
        spdlog::error("postgres: pool job threw: {}", e.what());
      }
    },
    [self](task& t) -> caf::message {
      if (std::chrono::steady_clock::now() > t.deadline)
        return caf::make_message(make_pg_error(api_errc::timeout, "database did not answer in time",
                                               {}, "job expired in the pool queue"));
      try {
        return t.fn(*self->state.conn);
      } catch (const std::exception& e) {
        spdlog::error("postgres: pool task threw: {}", e.what());
        return caf::make_message(
          make_pg_error(api_errc::internal, "database error", {}, e.what()));
      }
    },
  };
}

} // namespace

pool pool::spawn(caf::actor_system& sys, pool_options opts) {
  caf::scoped_execution_unit ctx{&sys};
  auto conn = opts.conn;
  auto factory = [&sys, conn] {
    return caf::actor_cast<caf::actor>(sys.spawn<caf::detached>(worker, conn));
  };
  pool p;
  p.actor_ = caf::actor_pool::make(&ctx, std::max<size_t>(1, opts.size), factory,
                                   caf::actor_pool::round_robin());
  p.shared_ = std::make_shared<shared_state>();
  p.shared_->max_queued = std::max<size_t>(1, opts.max_queued);
  return p;
}

size_t pool::queued() const {
  return shared_ ? shared_->queued.load() : 0;
}

std::shared_ptr<void> pool::admit() const {
  if (!shared_)
    return nullptr;
  if (shared_->queued.fetch_add(1) >= shared_->max_queued) {
    shared_->queued.fetch_sub(1);
    return nullptr;
  }
  auto s = shared_;
  return std::shared_ptr<void>(s.get(), [s](void*) { s->queued.fetch_sub(1); });
}

bool pool::post(std::function<void(connection&)> fn) const {
  auto token = admit();
  if (!token)
    return false;
  caf::anon_send(actor_, job{std::move(fn), std::move(token)});
  return true;
}

void pool::stop() const {
  if (actor_)
    caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
}

caf::error translate_request_error(const caf::error& err) {
  if (err == caf::sec::request_timeout)
    return make_pg_error(api_errc::timeout, "database did not answer in time", {},
                         "no answer from the pool in time");
  if (err && err.category() == caf::atom("api"))
    return err;
  return unavailable("pool: " + caf::to_string(err));
}

} // namespace weft::pg
