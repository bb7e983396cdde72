#pragma once

#include "config/settings.hpp"

namespace weft {

/// Runs a node with these settings until SIGTERM or SIGINT, then drains
/// and stops it. Returns the process exit code.
int run_node(const config::settings& settings);

} // namespace weft
