#pragma once

#include <string>
#include <vector>

#include "runtime/route.hpp"

namespace weft {

/// What a service group declares about itself: the node builds the route
/// table, the OpenAPI document, its subscriptions and its registry from this.
struct service_decl {
  std::string name;                        ///< `auth`: source `/weft/auth`, consumer `auth`
  std::vector<route_decl> routes;
  std::vector<std::string> publishes;      ///< event types it emits
  std::vector<std::string> subscribes;     ///< subject filters its inbox consumes
};

} // namespace weft
