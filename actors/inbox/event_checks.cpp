#include "actors/inbox/event_checks.hpp"

#include <openssl/evp.h>

#include <algorithm>

#include <string>

#include "actors/inbox/inbox_consumer.hpp"
#include "events/errc.hpp"
#include "events/ids.hpp"
#include "events/routes.hpp"

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

admission admit(const delivery& d, std::string_view consumer, fault_plan* faults) {
  admission out;
  const auto& ev = d.message.event;
  if (!events::is_dead_letter_subject(d.message.subject))
    if ((out.refuse = check_event(ev)))
      return out;
  auto action = faults != nullptr ? faults->next(consumer, ev.type) : fault_action::none;
  switch (action) {
    case fault_action::fail:
      out.refuse = caf::make_error(errc::injected_failure, std::string{"injected failure"});
      break;
    case fault_action::no_ack:
      out.drop = true;
      break;
    case fault_action::fail_after:
      out.fail_after = true;
      break;
    case fault_action::none:
      break;
  }
  return out;
}

std::string consumer_key_of(const std::string& consumer, const bus_message& m) {
  if (events::is_dead_letter_subject(m.subject))
    return consumer + "|" + m.subject;
  return consumer;
}

std::string event_key_of(std::string_view id) {
  if (events::is_uuid(id)) {
    std::string out{id};
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char ch) { return ch >= 'A' && ch <= 'F' ? static_cast<char>(ch + 32) : ch; });
    return out;
  }
  // RFC 9562 version 5 in a namespace of Weft's own (a fixed random UUID).
  static constexpr unsigned char ns[16] = {0x3b, 0x6e, 0x0f, 0x52, 0x9a, 0x4d, 0x4c, 0x1e,
                                           0x8f, 0x27, 0x5d, 0x90, 0xc4, 0x11, 0x7a, 0xe3};
  std::string input(reinterpret_cast<const char*>(ns), sizeof ns);
  input.append(id);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), md, &len, EVP_sha1(), nullptr);
  md[6] = static_cast<unsigned char>((md[6] & 0x0f) | 0x50);
  md[8] = static_cast<unsigned char>((md[8] & 0x3f) | 0x80);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      out += '-';
    out += hex[md[i] >> 4];
    out += hex[md[i] & 0x0f];
  }
  return out;
}

} // namespace weft::inbox
