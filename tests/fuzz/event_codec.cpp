// The CloudEvents JSON codec on arbitrary text: no crash, and the two
// paths agree. codec_fast promises the byte-identical result of the
// general path (nlohmann::json) or to decline; here both run on every input
// and must agree whenever both accept, in both directions.
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "events/codec.hpp"
#include "events/codec_fast.hpp"
#include "events/errc.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace weft::events;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  auto fast_ev = fast::decode(text);
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  caf::expected<envelope> general = caf::make_error(errc::malformed_json);
  if (!parsed.is_discarded())
    general = decode_json(parsed);
  auto either = decode(text);
  if (fast_ev) {
    // The fast path accepted: the general one accepts the same event.
    FUZZ_CHECK(static_cast<bool>(general));
    FUZZ_CHECK(*fast_ev == *general);
  }
  FUZZ_CHECK(static_cast<bool>(either) == static_cast<bool>(general));
  if (!general)
    return 0;
  FUZZ_CHECK(*either == *general);
  // Encoding: the fast writer matches the general one byte for byte, and
  // what is written reads back as the same event.
  auto& ev = *general;
  auto slow = encode_json(ev).dump();
  if (auto quick = fast::encode(ev))
    FUZZ_CHECK(*quick == slow);
  auto text2 = encode(ev);
  FUZZ_CHECK(text2 == slow);
  auto again = decode(text2);
  FUZZ_CHECK(static_cast<bool>(again));
  // `data` that is not JSON text is embedded as a string, so it reads back
  // as that string's JSON: compare once more after one round.
  auto text3 = encode(*again);
  FUZZ_CHECK(text3 == text2);
  return 0;
}
