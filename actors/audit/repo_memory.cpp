#include "actors/audit/repo.hpp"

#include <charconv>
#include <chrono>
#include <unordered_set>
#include <vector>

#include "events/ids.hpp"
#include "runtime/api_error.hpp"

namespace weft::audit {

namespace {

/// The cursor is the arrival position after which the next page starts.
class memory_audit_repository final : public audit_repository {
public:
  caf::expected<bool> append(const events::envelope& ev) override {
    if (!ids_.insert(ev.id).second)
      return false;
    trail_.push_back(ev);
    return true;
  }

  caf::expected<audit_page> query(const audit_query& q) override {
    size_t pos = 0;
    if (!q.cursor.empty()) {
      auto [end, ec] = std::from_chars(q.cursor.data(), q.cursor.data() + q.cursor.size(), pos);
      if (ec != std::errc{} || end != q.cursor.data() + q.cursor.size())
        return api_error(api_errc::bad_request, "cursor is not one this API gave out");
    }
    std::chrono::system_clock::time_point since{};
    if (!q.since.empty() && !events::parse_rfc3339(q.since, since))
      return api_error(api_errc::bad_request, "since must be an RFC 3339 time");
    audit_page page;
    for (; pos < trail_.size(); ++pos) {
      const auto& ev = trail_[pos];
      if (!matches(ev, q, since))
        continue;
      if (page.items.size() == q.limit) {
        page.next = std::to_string(pos);
        break;
      }
      page.items.push_back(ev);
    }
    return page;
  }

private:
  static bool matches(const events::envelope& ev, const audit_query& q,
                      std::chrono::system_clock::time_point since) {
    if (!q.type.empty() && ev.type != q.type)
      return false;
    if (!q.subject.empty() && ev.subject != q.subject)
      return false;
    if (!q.since.empty()) {
      std::chrono::system_clock::time_point t;
      if (!events::parse_rfc3339(ev.time, t) || t < since)
        return false;
    }
    return true;
  }

  std::vector<events::envelope> trail_;
  std::unordered_set<std::string> ids_;
};

} // namespace

std::unique_ptr<audit_repository> make_memory_audit_repository() {
  return std::make_unique<memory_audit_repository>();
}

} // namespace weft::audit
