#include "runtime/service_module.hpp"

namespace weft {

std::shared_ptr<const config::schema_extension>
schema_extension_of(std::span<const service_module> modules) {
  auto ext = std::make_shared<config::schema_extension>();
  for (const auto& m : modules) {
    ext->services.push_back(m.name);
    if (m.config)
      for (auto& sec : m.config())
        ext->sections.push_back(std::move(sec));
  }
  return ext;
}

} // namespace weft
