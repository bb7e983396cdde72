#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/unit_of_work.hpp"

// The subscriptions repository port, opened on a unit of work.
namespace weft::webhooks {

struct subscription_record {
  std::string id;                 ///< UUIDv7: oldest has the least
  std::string sink;
  std::string types_json;         ///< JSON array of patterns
  std::string filters_json;       ///< JSON object
  bool ordered = false;
  bool enabled = true;
  std::string secret;             ///< whsec_...
  std::string previous_secret;    ///< signs too until previous_until (empty: none)
  std::string previous_until;     ///< RFC 3339
  std::string created_at;
  std::string updated_at;
};

class subscription_repository {
public:
  virtual ~subscription_repository() = default;

  virtual caf::error add(const subscription_record& s) = 0;

  /// The subscription, or nullopt.
  virtual caf::expected<std::optional<subscription_record>> find(std::string_view id) = 0;

  /// Replaces the stored record of `s.id`; false if there is none.
  virtual caf::expected<bool> replace(const subscription_record& s) = 0;

  /// False if there was none.
  virtual caf::expected<bool> remove(std::string_view id) = 0;

  /// Oldest first, with id > `after` ("" : from the first), at most `limit`.
  virtual caf::expected<std::vector<subscription_record>> list(std::string_view after,
                                                               size_t limit) = 0;

  virtual caf::expected<int64_t> count() = 0;
};

/// The repository on the unit of work's store.
std::unique_ptr<subscription_repository> open_repository(unit_of_work& w);

std::unique_ptr<subscription_repository> open_memory_repository(unit_of_work& w);
std::unique_ptr<subscription_repository> open_pg_repository(unit_of_work& w);

} // namespace weft::webhooks
