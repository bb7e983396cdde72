#pragma once

#include <cstdint>
#include <vector>

#include "config/section.hpp"

namespace weft::audit {

/// The `audit` config section.
struct audit_settings {
  uint32_t retention_s = 0; ///< events older than this leave the trail; 0 = kept forever
};

/// The section, with its checks.
std::vector<config::section> config_sections();

const audit_settings& settings_of(const config::settings& s);

} // namespace weft::audit
