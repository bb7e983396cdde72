#pragma once

#include <string>

#include <caf/fwd.hpp>

namespace weft {

/// A failure as one line for a person or a header (Weft-Dlq-Reason, logs):
/// the texts of the error's context joined by ": ", `ack timeout` for a
/// request that timed out, CAF's rendering when the context has no text.
std::string reason_of(const caf::error& err);

} // namespace weft
