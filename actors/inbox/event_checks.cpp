#include "actors/inbox/event_checks.hpp"

#include <string>

#include "events/errc.hpp"

namespace weft::inbox {

caf::error check_event(const events::envelope& ev) {
  auto missing = [](const char* attr) {
    return caf::make_error(events::errc::missing_attribute, std::string{attr},
                           std::string{"required attribute is missing"});
  };
  if (ev.id.empty())
    return missing("id");
  if (ev.source.empty())
    return missing("source");
  if (ev.type.empty())
    return missing("type");
  if (ev.specversion != "1.0")
    return caf::make_error(events::errc::invalid_value, std::string{"specversion"},
                           std::string{"must be 1.0, got '" + ev.specversion + "'"});
  return caf::none;
}

} // namespace weft::inbox
