#pragma once

#include <chrono>
#include <utility>

#include <caf/event_based_actor.hpp>

#include "runtime/route.hpp"

namespace weft {

/// The usual body of a route handler: request `dest` with `args`, and answer
/// `status` with `render(reply)` as JSON (`Reply` is the one value the
/// interface answers), or fail with the error. Include
/// this only in the files that declare routes: it pulls in CAF's actor
/// headers.
template <class Reply, class Handle, class Render, class... Ts>
void ask(caf::event_based_actor* self, const Handle& dest, std::chrono::milliseconds timeout,
         api_reply reply, api_fail fail, int status, Render render, Ts&&... args) {
  self->request(dest, timeout, std::forward<Ts>(args)...)
    .then(
      [reply = std::move(reply), status, render = std::move(render)](Reply& x) {
        api_response r;
        r.status = status;
        r.body = render(x);
        reply(std::move(r));
      },
      [fail](caf::error& err) { fail(std::move(err)); });
}

} // namespace weft
