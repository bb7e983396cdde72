#pragma once

#include <caf/error.hpp>

#include "events/envelope.hpp"

// Checks both inboxes (memory and PostgreSQL) make before anything else.
namespace weft::inbox {

/// The checks the CloudEvents decoder makes on required attributes (id,
/// source, type, specversion 1.0): an event failing them can never be
/// handled, so the error is of category `events` and the bus dead-letters it
/// at once. None if the event passes.
caf::error check_event(const events::envelope& ev);

} // namespace weft::inbox
