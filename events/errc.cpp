#include "events/errc.hpp"

#include <caf/atom.hpp>
#include <caf/message.hpp>

namespace weft::events {

const char* to_string(errc x) {
  switch (x) {
    case errc::malformed_json:
      return "malformed_json";
    case errc::missing_attribute:
      return "missing_attribute";
    case errc::wrong_type:
      return "wrong_type";
    case errc::invalid_value:
      return "invalid_value";
    case errc::unknown_type:
      return "unknown_type";
    case errc::invalid_data:
      return "invalid_data";
  }
  return "unknown_errc";
}

bool is_events_error(const caf::error& err) {
  return err && err.category() == caf::atom("events");
}

bool is(const caf::error& err, errc x) {
  return is_events_error(err) && err.code() == static_cast<uint8_t>(x);
}

namespace {

// The context of an events error is (attribute, message); data_as() and
// older call sites may give a single string instead.
std::string context_string(const caf::error& err, size_t pos) {
  const auto& ctx = err.context();
  if (pos < ctx.size() && ctx.match_element<std::string>(pos))
    return ctx.get_as<std::string>(pos);
  return {};
}

} // namespace

std::string error_attribute(const caf::error& err) {
  if (!is_events_error(err) || err.context().size() < 2)
    return {};
  return context_string(err, 0);
}

std::string error_message(const caf::error& err) {
  if (!is_events_error(err))
    return {};
  return context_string(err, err.context().size() < 2 ? 0 : 1);
}

std::string describe(const caf::error& err) {
  if (!err)
    return "no error";
  if (!is_events_error(err))
    return caf::to_string(err);
  std::string out = "events: ";
  out += to_string(static_cast<errc>(err.code()));
  auto attr = error_attribute(err);
  auto msg = error_message(err);
  if (!attr.empty())
    out += " (" + attr + ")";
  if (!msg.empty())
    out += ": " + msg;
  return out;
}

} // namespace weft::events
