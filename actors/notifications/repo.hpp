#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "runtime/unit_of_work.hpp"

// The notifications repository port, opened on a unit of work: a
// notification and the increment of its user's counter commit with the
// inbox record of the event that caused them, or not at all.
namespace weft::notifications {

struct notification_record {
  std::string id;          ///< UUIDv7: newest has the greatest
  std::string user_id;     ///< or `email:<address>` while that address has no user
  std::string kind;
  std::string title;
  std::string body;
  std::string subject;
  std::string event_id;
  std::string created_at;
  bool read = false;
};

class notification_repository {
public:
  virtual ~notification_repository() = default;

  virtual caf::error add(const notification_record& n) = 0;

  /// Adds `delta` to the user's unread counter (creating it at 0 first).
  virtual caf::error add_unread(std::string_view user_id, int64_t delta) = 0;

  /// The user's unread counter (0 if none).
  virtual caf::expected<int64_t> unread(std::string_view user_id) = 0;

  /// The user's notifications with id < `before` ("" : the newest), newest
  /// first, at most `limit`.
  virtual caf::expected<std::vector<notification_record>>
  list(std::string_view user_id, std::string_view before, size_t limit) = 0;

  /// Marks the user's unread notifications among `ids` (all of them when
  /// `ids` is empty) read; how many changed.
  virtual caf::expected<int64_t> mark_read(std::string_view user_id,
                                           const std::vector<std::string>& ids) = 0;

  /// Who has this (lower-case) email: the user id, or "" if nobody yet.
  virtual caf::expected<std::string> recipient(std::string_view email) = 0;

  /// Remembers that `email` (lower case) is `user_id`'s.
  virtual caf::error remember(std::string_view email, std::string_view user_id) = 0;

  /// Gives every notification of `from` (and its unread count) to `to`;
  /// how many moved.
  virtual caf::expected<int64_t> rekey(std::string_view from, std::string_view to) = 0;
};

/// The repository on the unit of work's store.
std::unique_ptr<notification_repository> open_repository(unit_of_work& w);

std::unique_ptr<notification_repository> open_memory_repository(unit_of_work& w);
std::unique_ptr<notification_repository> open_pg_repository(unit_of_work& w);

} // namespace weft::notifications
