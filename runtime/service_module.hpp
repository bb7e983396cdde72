#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "config/section.hpp"
#include "runtime/migration.hpp"
#include "runtime/service.hpp"

// A service module (DESIGN §1): everything the node needs of one service
// folder, in one value. The node holds one list of them (actors/modules.cpp,
// one line each, as userver's component list) and names no service anywhere
// else: the loader learns the config sections from it, `weft migrate` the
// migrations, CAF the message types, and the lifecycle how to start each
// service the node hosts.
namespace weft {

struct service_module {
  std::string name;                                ///< `auth`: also its consumer and source
  std::function<std::vector<config::section>()> config; ///< its sections, with defaults and checks
  std::span<const migration> migrations;           ///< its SQL, applied under its name
  void (*register_types)(caf::actor_system_config&) = nullptr; ///< its message types, for CAF
  /// Its declaration from the settings (its own sections): routes, events,
  /// subscription, and how to start it.
  std::function<service_decl(const config::settings&)> declare;
};

/// The config sections and service names of `modules`, for the loader.
std::shared_ptr<const config::schema_extension>
schema_extension_of(std::span<const service_module> modules);

} // namespace weft
