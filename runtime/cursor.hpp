#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "events/wire.hpp"

// Keyset paging, once for every listing (`{"items", "next"}`): a page ends
// at a position (an id, a sequence number), and its `next` cursor names that
// position opaquely (base64url), so clients pass it back without reading it
// and a listing can change what its positions are without breaking them.
namespace weft {

/// The query of a keyset-paged listing: `?limit=&cursor=`.
struct page_request {
  uint32_t limit = 50;
  std::string cursor;

  static auto describe() {
    return wire::object<page_request>(
      "weft.page_request", "A page of a listing",
      wire::field("limit", &page_request::limit).optional().minimum(1).maximum(500)
        .doc("items on the page at most"),
      wire::field("cursor", &page_request::cursor).optional()
        .doc("the `next` of the previous page"));
  }
};
WEFT_WIRE(page_request)

} // namespace weft

namespace weft::cursor {

/// The cursor of a page that ended at `position`.
std::string encode(std::string_view position);

/// The position a cursor names; `api_errc::bad_request` ("cursor is not one
/// this API gave out") for anything `encode` did not make. Empty: from the
/// start.
caf::expected<std::string> decode(std::string_view cursor);

/// `decode` for listings keyed by a sequence number (0: from the start).
caf::expected<int64_t> decode_number(std::string_view cursor);

/// `decode` for listings keyed by a UUID ("" : from the start).
caf::expected<std::string> decode_uuid(std::string_view cursor);

/// One page out of `limit + 1` rows read after the cursor: at most `limit`
/// items, and the cursor of the last one when there were more rows.
template <class Page, class Row, class View, class Key>
Page page_of(std::vector<Row> rows, uint32_t limit, View view, Key key) {
  Page out;
  for (size_t i = 0; i < rows.size() && i < limit; ++i)
    out.items.push_back(view(rows[i]));
  if (rows.size() > limit && limit > 0)
    out.next = encode(key(rows[limit - 1]));
  return out;
}

} // namespace weft::cursor
