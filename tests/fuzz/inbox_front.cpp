// The inbox's front door on arbitrary messages: what the fetcher makes of
// a NATS message (JetStream metadata from the reply subject, the subject
// without its partition, headers, the CloudEvent) and what every inbox does
// before a handler runs (the CloudEvents checks, the inbox keys, the dedupe
// id). Input: the subject, a newline, the reply subject, a newline, then
// `Key: value` header lines up to an empty line, then the payload.
// Properties: no crash; a payload that does not decode says why (it is
// dead-lettered, never handled); a decoded event yields stable keys.
#include <cstdint>
#include <string>
#include <string_view>

#include <nats/nats.h>

#include "actors/inbox/event_checks.hpp"
#include "adapters/nats/fetcher.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace weft;

namespace {

std::string_view take_line(std::string_view& in) {
  auto eol = in.find('\n');
  auto line = in.substr(0, eol);
  in.remove_prefix(eol == std::string_view::npos ? in.size() : eol + 1);
  return line;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in{reinterpret_cast<const char*>(data), size};
  std::string subject{take_line(in)};
  std::string reply{take_line(in)};
  if (subject.empty() || subject.find('\0') != std::string::npos
      || reply.find('\0') != std::string::npos)
    return 0; // NATS.c takes C strings: the server never sends these
  std::vector<std::pair<std::string, std::string>> headers;
  while (!in.empty()) {
    auto line = take_line(in);
    if (line.empty())
      break;
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
      continue;
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
    headers.emplace_back(std::string{line.substr(0, colon)}, std::string{value});
  }
  natsMsg* m = nullptr;
  if (natsMsg_Create(&m, subject.c_str(), reply.empty() ? nullptr : reply.c_str(), in.data(),
                     static_cast<int>(in.size()))
      != NATS_OK)
    return 0;
  for (auto& [k, v] : headers)
    if (k.find('\0') == std::string::npos && v.find('\0') == std::string::npos)
      natsMsgHeader_Add(m, k.c_str(), v.c_str()); // NATS.c refuses what it cannot send
  auto f = nats::decode_fetched(m);
  if (!f.event) {
    FUZZ_CHECK(!f.decode_error.empty());
    return 0;
  }
  delivery d{bus_message{f.subject, *f.event, nats::visible_headers(f.headers)}, f.stream_seq,
             f.delivered};
  auto verdict = inbox::admit(d, "fuzz", nullptr);
  FUZZ_CHECK(!verdict.drop && !verdict.fail_after); // no fault plan: no injected fault
  auto key = inbox::consumer_key_of("fuzz", d.message);
  FUZZ_CHECK(key == inbox::consumer_key_of("fuzz", d.message));
  auto event_key = inbox::event_key_of(f.event->id);
  FUZZ_CHECK(event_key.size() == 36); // a UUID, as the durable inbox keys
  FUZZ_CHECK(event_key == inbox::event_key_of(f.event->id));
  dedupe_id_of(d.message);
  return 0;
}
