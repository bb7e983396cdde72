#include "runtime/cursor.hpp"

#include <charconv>

#include "events/base64url.hpp"
#include "events/ids.hpp"
#include "runtime/api_error.hpp"

namespace weft::cursor {

namespace {

// Positions are short; a longer cursor is not one of ours.
constexpr size_t max_cursor = 256;

caf::error not_ours() {
  return api_error(api_errc::bad_request, "cursor is not one this API gave out");
}

} // namespace

std::string encode(std::string_view position) {
  return events::base64url_encode(position.data(), position.size());
}

caf::expected<std::string> decode(std::string_view cursor) {
  if (cursor.empty())
    return std::string{};
  if (cursor.size() > max_cursor)
    return not_ours();
  std::string out(events::base64url_decoded_size(cursor.size()), '\0');
  if (!events::base64url_decode(cursor, reinterpret_cast<unsigned char*>(out.data())))
    return not_ours();
  return out;
}

caf::expected<int64_t> decode_number(std::string_view cursor) {
  auto pos = decode(cursor);
  if (!pos)
    return pos.error();
  if (pos->empty())
    return int64_t{0};
  int64_t n = 0;
  auto [end, ec] = std::from_chars(pos->data(), pos->data() + pos->size(), n);
  if (ec != std::errc{} || end != pos->data() + pos->size() || n < 0)
    return not_ours();
  return n;
}

caf::expected<std::string> decode_uuid(std::string_view cursor) {
  auto pos = decode(cursor);
  if (!pos)
    return pos.error();
  if (!pos->empty() && !events::is_uuid(*pos))
    return not_ours();
  return pos;
}

} // namespace weft::cursor
