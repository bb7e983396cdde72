#pragma once

#include <vector>

#include "adapters/postgres/pool.hpp"
#include "runtime/route.hpp"

namespace weft::outbox {

/// `POST /v1/outbox/republish` {"since": "<RFC 3339>"} for root: makes the
/// retained outbox rows published at or after `since` pending again, so the
/// relays publish them once more (after a broker lost acknowledged data);
/// answers {"republished": n}. Runs pg::republish_since on `pool`.
std::vector<route_decl> outbox_routes(pg::pool pool);

} // namespace weft::outbox
