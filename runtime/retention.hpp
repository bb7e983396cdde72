#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <caf/expected.hpp>

#include "runtime/unit_of_work.hpp"

// Data kept only for a while (issue 7, "nothing grows without bound"): each
// owner names what it prunes and how, and the node's retention sweeper runs
// every rule periodically, in small batches (one unit of work each, so no
// long transaction holds locks or bloats a snapshot), counting what it
// deleted in `weft_retention_pruned_total{what}`.
namespace weft {

struct retention_rule {
  std::string what; ///< the metric's label: `auth.refresh_tokens`
  /// Deletes at most `limit` items past retention in `w`; how many. Fewer
  /// than `limit` means nothing more is due now.
  std::function<caf::expected<int64_t>(unit_of_work& w, int64_t limit)> prune;
};

} // namespace weft
