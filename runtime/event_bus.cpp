#include "runtime/event_bus.hpp"

#include <caf/sec.hpp>

#include "events/routes.hpp"

namespace weft {

namespace {

caf::error invalid(std::string what) {
  return caf::make_error(caf::sec::invalid_argument, std::move(what));
}

} // namespace

caf::error validate(const consumer_config& cfg) {
  if (cfg.name.empty())
    return invalid("consumer name must not be empty");
  for (auto& f : cfg.filters)
    if (!events::valid_subject_filter(f))
      return invalid("invalid subject filter: " + f);
  if (cfg.max_deliver == 0)
    return invalid("max_deliver must be >= 1");
  if (cfg.max_ack_pending == 0)
    return invalid("max_ack_pending must be >= 1");
  if (cfg.ack_wait_ms == 0)
    return invalid("ack_wait_ms must be >= 1");
  return caf::none;
}

bus_message redriven(const bus_message& letter) {
  bus_message m;
  m.event = letter.event;
  m.subject = "weft." + letter.event.type;
  for (const auto& [k, v] : letter.headers) {
    if (k == "Weft-Dlq-Subject")
      m.subject = v;
    else if (!k.starts_with("Weft-Dlq-") && k != dedupe_id_header)
      m.headers.emplace_back(k, v);
  }
  return m;
}

} // namespace weft
