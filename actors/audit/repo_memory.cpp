#include <algorithm>
#include <chrono>
#include <deque>
#include <string>
#include <unordered_set>
#include <vector>

#include "actors/audit/repo.hpp"
#include "adapters/memory/memory_store.hpp"
#include "events/ids.hpp"
#include "runtime/api_error.hpp"
#include "runtime/cursor.hpp"

// The trail in the memory store: arrival order plus an id index. A page's
// cursor is the arrival position after which the next page starts.
namespace weft::audit {

namespace {

struct trail_table {
  std::deque<events::envelope> trail;
  uint64_t first = 0; ///< the arrival position of trail.front() (retention removes the oldest)
  std::unordered_set<std::string> ids;
};

bool matches(const events::envelope& ev, const audit_query& q,
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

class memory_audit_repository final : public audit_repository {
public:
  explicit memory_audit_repository(memory::memory_tables& t)
    : tables_(t), data_(t.get<trail_table>("audit.trail")) {}

  caf::expected<bool> append(const events::envelope& ev) override {
    if (!data_.ids.insert(ev.id).second)
      return false;
    data_.trail.push_back(ev);
    auto* d = &data_;
    tables_.on_rollback([d, id = ev.id] {
      d->trail.pop_back();
      d->ids.erase(id);
    });
    return true;
  }

  caf::error append_batch(std::span<const events::envelope> evs) override {
    for (const auto& ev : evs)
      if (auto r = append(ev); !r)
        return r.error();
    return {};
  }

  caf::expected<audit_page> query(const audit_query& q) override {
    auto from = cursor::decode_number(q.cursor);
    if (!from)
      return from.error();
    std::chrono::system_clock::time_point since{};
    if (!q.since.empty() && !events::parse_rfc3339(q.since, since))
      return api_error(api_errc::bad_request, "since must be an RFC 3339 time");
    audit_page page;
    auto end = data_.first + data_.trail.size();
    for (auto pos = std::max<uint64_t>(*from, data_.first); pos < end; ++pos) {
      const auto& ev = data_.trail[pos - data_.first];
      if (!matches(ev, q, since))
        continue;
      if (page.items.size() == q.limit) {
        page.next = cursor::encode(std::to_string(pos));
        break;
      }
      page.items.push_back(ev);
    }
    return page;
  }

  caf::expected<int64_t> prune_before(int64_t before, int64_t limit) override {
    auto cutoff = std::chrono::system_clock::time_point{std::chrono::seconds{before}};
    int64_t n = 0;
    // In arrival order, up to the first event that is not old enough:
    // nothing younger goes, even when times arrive out of order.
    while (n < limit && !data_.trail.empty()) {
      std::chrono::system_clock::time_point t;
      if (!events::parse_rfc3339(data_.trail.front().time, t) || t >= cutoff)
        break;
      auto ev = std::move(data_.trail.front());
      data_.trail.pop_front();
      data_.ids.erase(ev.id);
      data_.first++;
      tables_.on_rollback([d = &data_, ev = std::move(ev)]() mutable {
        d->ids.insert(ev.id);
        d->trail.push_front(std::move(ev));
        d->first--;
      });
      ++n;
    }
    return n;
  }

private:
  memory::memory_tables& tables_;
  trail_table& data_;
};

} // namespace

std::unique_ptr<audit_repository> open_memory_repository(unit_of_work& w) {
  return std::make_unique<memory_audit_repository>(*memory::tables_of(w));
}

} // namespace weft::audit
