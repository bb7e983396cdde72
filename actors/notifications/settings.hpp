#pragma once

#include <string>
#include <vector>

#include "config/section.hpp"

namespace weft::notifications {

/// The `notifications` config section.
struct notifications_settings {
  std::string welcome_title = "Welcome to Weft";   ///< title of the welcome on registration
  std::string api_key_title = "New API key";       ///< title of the note on an API key created
};

/// The section, with its checks.
std::vector<config::section> config_sections();

const notifications_settings& settings_of(const config::settings& s);

} // namespace weft::notifications
