#include "actors/modules.hpp"

#include "actors/audit/module.hpp"
#include "actors/auth/module.hpp"
#include "actors/entities/module.hpp"
#include "actors/notifications/module.hpp"
#include "actors/webhooks/module.hpp"

// Adding a service: its folder under actors/, one line here, one
// add_subdirectory in actors/CMakeLists.txt (README "Adding a service").
namespace weft {

std::span<const service_module> service_modules() {
  static const service_module all[] = {
    auth::module(),
    audit::module(),
    notifications::module(),
    webhooks::module(),
    entities::module(),
  };
  return all;
}

} // namespace weft
