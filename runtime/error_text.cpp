#include "runtime/error_text.hpp"

#include <caf/error.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace weft {

std::string reason_of(const caf::error& err) {
  if (err == caf::sec::request_timeout)
    return "ack timeout";
  std::string out;
  const auto& ctx = err.context();
  for (size_t i = 0; i < ctx.size(); ++i) {
    if (!ctx.match_element<std::string>(i))
      continue;
    const auto& s = ctx.get_as<std::string>(i);
    if (s.empty())
      continue;
    if (!out.empty())
      out += ": ";
    out += s;
  }
  return out.empty() ? caf::to_string(err) : out;
}

} // namespace weft
