#pragma once

#include "config/settings.hpp"

namespace weft {

/// Makes spdlog's default logger asynchronous (workers never wait on the
/// terminal) writing to stderr as text or as one JSON object a line.
/// Request-scoped lines carry `request_id=<X-Request-Id>`.
void setup_logging(const config::log_section& settings);

/// Flushes and stops the logger; call after the actor system is gone.
void shutdown_logging();

} // namespace weft
