#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <caf/error.hpp>

// Reading the event stream straight from NATS, as any external consumer
// would (`weft events tail --nats URL`): an ordered consumer, no acks, no
// durable state on the server. Blocks the calling thread (a command, never
// an actor).
namespace weft::nats {

struct tail_options {
  std::string url;              ///< nats://host:port
  std::string stream = "WEFT";
  std::optional<uint64_t> after; ///< none: new events only; else those after this position
};

/// Calls `print` with each event's structured CloudEvent (dead letters left
/// out), in stream order, until `stop` is set; an error if it cannot start.
caf::error tail_stream(const tail_options& opts, const std::atomic<bool>& stop,
                       const std::function<void(std::string_view cloudevent)>& print);

} // namespace weft::nats
