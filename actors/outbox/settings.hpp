#pragma once

#include <string>

#include "actors/outbox/pg_outbox_relay.hpp"
#include "config/settings.hpp"

// From the `outbox` config section to the relay's options, so the node never
// translates keys by hand.
namespace weft::outbox {

/// The relay's options from `outbox.*`; the caller adds what is not config:
/// the pool, the LISTEN connection, the bus, the metrics and the name.
pg_relay_options pg_relay_options_from(const config::outbox_section& s);

} // namespace weft::outbox
