#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "actors/webhooks/repo.hpp"
#include "adapters/memory/memory_store.hpp"
#include "events/ids.hpp"

// Subscriptions in the memory store, by id (UUIDv7: creation order); every
// change registers its undo with the unit.
namespace weft::webhooks {

namespace {

struct subscription_table {
  std::map<std::string, subscription_record, std::less<>> by_id;
};

class memory_subscription_repository final : public subscription_repository {
public:
  explicit memory_subscription_repository(memory::memory_tables& t)
    : tables_(t), d_(t.get<subscription_table>("webhook_subscriptions")) {}

  caf::error add(const subscription_record& s) override {
    d_.by_id.emplace(s.id, s);
    tables_.on_rollback([d = &d_, id = s.id] { d->by_id.erase(id); });
    return {};
  }

  caf::expected<std::optional<subscription_record>> find(std::string_view id) override {
    auto i = d_.by_id.find(id);
    if (i == d_.by_id.end())
      return std::optional<subscription_record>{};
    return std::optional<subscription_record>{i->second};
  }

  caf::expected<bool> replace(const subscription_record& s) override {
    auto i = d_.by_id.find(s.id);
    if (i == d_.by_id.end())
      return false;
    tables_.on_rollback([d = &d_, old = i->second] { d->by_id[old.id] = old; });
    i->second = s;
    return true;
  }

  caf::expected<bool> remove(std::string_view id) override {
    auto i = d_.by_id.find(id);
    if (i == d_.by_id.end())
      return false;
    tables_.on_rollback([d = &d_, old = i->second] { d->by_id[old.id] = old; });
    d_.by_id.erase(i);
    return true;
  }

  caf::expected<std::vector<subscription_record>> list(std::string_view after,
                                                       size_t limit) override {
    std::vector<subscription_record> out;
    auto i = after.empty() ? d_.by_id.begin() : d_.by_id.upper_bound(after);
    for (; i != d_.by_id.end() && out.size() < limit; ++i)
      out.push_back(i->second);
    return out;
  }

  caf::expected<int64_t> count() override { return static_cast<int64_t>(d_.by_id.size()); }

  caf::expected<bool> set_failing_since(std::string_view id, std::string_view since) override {
    auto i = d_.by_id.find(id);
    if (i == d_.by_id.end())
      return false;
    tables_.on_rollback([d = &d_, old = i->second] { d->by_id[old.id] = old; });
    if (since.empty() || i->second.failing_since.empty())
      i->second.failing_since = std::string{since};
    return true;
  }

private:
  memory::memory_tables& tables_;
  subscription_table& d_;
};

} // namespace

std::unique_ptr<subscription_repository> open_memory_repository(unit_of_work& w) {
  return std::make_unique<memory_subscription_repository>(*memory::tables_of(w));
}

} // namespace weft::webhooks

// Deliveries in the memory store: rows by id, a (subscription, event) index,
// and leases on the node's clock.
namespace weft::webhooks {

namespace {

struct delivery_row {
  delivery_record r;
  std::chrono::system_clock::time_point created{};
  std::chrono::system_clock::time_point next{};
  std::string locked_by;
  std::chrono::system_clock::time_point locked_until{};
};

struct delivery_table {
  std::map<int64_t, delivery_row> by_id;
  std::map<std::string, int64_t, std::less<>> by_key; ///< subscription|event
  std::set<int64_t> pending;                           ///< ids of the pending rows: what a claim reads
  int64_t next_id = 1;
};

/// Puts `row` back as it was (an undo), in the pending index too.
void restore_row(delivery_table& d, const delivery_row& row) {
  d.by_id[row.r.id] = row;
  if (row.r.status == "pending")
    d.pending.insert(row.r.id);
  else
    d.pending.erase(row.r.id);
}

class memory_delivery_repository final : public delivery_repository {
public:
  explicit memory_delivery_repository(memory::memory_tables& t)
    : tables_(t), d_(t.get<delivery_table>("webhook_deliveries")) {}

  caf::error add(const delivery_record& in) override {
    auto key = in.subscription_id + "|" + in.event_id;
    if (d_.by_key.count(key))
      return {};
    delivery_row row;
    row.r = in;
    row.r.id = d_.next_id++;
    row.created = row.next = std::chrono::system_clock::now();
    row.r.next_at = row.r.created_at = row.r.updated_at = events::format_rfc3339_ms(row.next);
    d_.by_key.emplace(key, row.r.id);
    auto id = row.r.id;
    if (row.r.status.empty() || row.r.status == "pending") {
      row.r.status = "pending";
      d_.pending.insert(id);
    }
    d_.by_id.emplace(id, std::move(row));
    tables_.on_rollback([d = &d_, id, key] {
      d->by_id.erase(id);
      d->by_key.erase(key);
      d->pending.erase(id);
    });
    return {};
  }

  caf::expected<std::vector<delivery_record>>
  claim(std::string_view owner, size_t limit, uint32_t lease_ms,
        const std::vector<std::string>& enabled, const std::vector<std::string>& ordered) override {
    auto now = std::chrono::system_clock::now();
    std::vector<delivery_record> out;
    std::set<std::string_view> is_enabled(enabled.begin(), enabled.end());
    std::set<std::string_view> is_ordered_sub(ordered.begin(), ordered.end());
    std::map<std::string, bool, std::less<>> subject_taken; ///< ordered: sub|subject seen pending
    for (auto id : d_.pending) {
      if (out.size() >= limit)
        break;
      auto& row = d_.by_id.at(id);
      if (!is_enabled.contains(row.r.subscription_id))
        continue;
      bool is_ordered = is_ordered_sub.contains(row.r.subscription_id);
      if (is_ordered) {
        auto key = row.r.subscription_id + "|" + row.r.subject;
        if (subject_taken.count(key))
          continue; // an older pending row of this subject goes first
        subject_taken[key] = true;
      }
      if (row.next > now || (!row.locked_by.empty() && row.locked_until > now))
        continue;
      row.locked_by = std::string{owner};
      row.locked_until = now + std::chrono::milliseconds{lease_ms};
      out.push_back(row.r);
    }
    return out; // leases are not undone by a rollback: they expire
  }

  caf::error settle_all(const std::vector<std::pair<int64_t, delivery_outcome>>& ends) override {
    for (const auto& [id, o] : ends)
      settle_one(id, o);
    return {};
  }



  caf::expected<std::optional<delivery_record>>
  redeliver(std::string_view subscription_id, std::string_view event_id) override {
    auto key = std::string{subscription_id} + "|" + std::string{event_id};
    auto k = d_.by_key.find(key);
    if (k == d_.by_key.end())
      return std::optional<delivery_record>{};
    auto& row = d_.by_id.at(k->second);
    again(row);
    return std::optional<delivery_record>{row.r};
  }

  caf::error requeue(const delivery_record& d) override {
    auto k = d_.by_key.find(d.subscription_id + "|" + d.event_id);
    if (k == d_.by_key.end())
      return add(d);
    again(d_.by_id.at(k->second));
    return {};
  }

  caf::expected<int64_t> replay(std::string_view subscription_id, std::string_view since) override {
    std::chrono::system_clock::time_point from;
    if (!events::parse_rfc3339(since, from))
      return int64_t{0};
    int64_t n = 0;
    for (auto& [id, row] : d_.by_id) {
      std::chrono::system_clock::time_point created;
      if (row.r.subscription_id != subscription_id || row.r.status == "pending"
          || !events::parse_rfc3339(row.r.created_at, created) || created < from)
        continue;
      again(row);
      ++n;
    }
    return n;
  }

  caf::expected<std::vector<pending_summary>> pending() override {
    std::map<std::string, pending_summary, std::less<>> by_sub;
    for (auto id : d_.pending) {
      const auto& row = d_.by_id.at(id);
      auto& p = by_sub[row.r.subscription_id];
      if (p.pending++ == 0) { // rows are in creation order: the first is the oldest
        p.subscription_id = row.r.subscription_id;
        p.oldest_created_at = row.r.created_at;
      }
    }
    std::vector<pending_summary> out;
    for (auto& [k, p] : by_sub)
      out.push_back(std::move(p));
    return out;
  }

  caf::error commit_lazily() override { return {}; } // nothing waits for a disk here

  caf::expected<int64_t> prune_settled(int64_t before, int64_t limit) override {
    const auto cut = std::chrono::system_clock::time_point{std::chrono::seconds{before}};
    int64_t n = 0;
    // Rows by id are in creation order: the first young one ends the search.
    for (auto i = d_.by_id.begin(); i != d_.by_id.end() && n < limit;) {
      if (i->second.created >= cut)
        break;
      if (i->second.r.status == "pending") {
        ++i;
        continue;
      }
      auto old = i->second;
      auto key = old.r.subscription_id + "|" + old.r.event_id;
      d_.by_key.erase(key);
      i = d_.by_id.erase(i);
      tables_.on_rollback([d = &d_, old, key] {
        restore_row(*d, old);
        d->by_key[key] = old.r.id;
      });
      ++n;
    }
    return n;
  }

  caf::error remove_for(std::string_view subscription_id) override {
    for (auto i = d_.by_id.begin(); i != d_.by_id.end();) {
      if (i->second.r.subscription_id != subscription_id) {
        ++i;
        continue;
      }
      auto old = i->second;
      auto key = old.r.subscription_id + "|" + old.r.event_id;
      d_.by_key.erase(key);
      d_.pending.erase(old.r.id);
      tables_.on_rollback([d = &d_, old, key] {
        restore_row(*d, old);
        d->by_key[key] = old.r.id;
      });
      i = d_.by_id.erase(i);
    }
    return {};
  }

  caf::expected<std::vector<delivery_record>> list(std::string_view subscription_id, int64_t after,
                                                   size_t limit) override {
    std::vector<delivery_record> out;
    for (auto i = d_.by_id.upper_bound(after); i != d_.by_id.end() && out.size() < limit; ++i)
      if (i->second.r.subscription_id == subscription_id)
        out.push_back(i->second.r);
    return out;
  }

private:
  /// One attempt's end recorded, its lease released.
  void settle_one(int64_t id, const delivery_outcome& o) {
    auto i = d_.by_id.find(id);
    if (i == d_.by_id.end())
      return;
    auto old = i->second;
    tables_.on_rollback([d = &d_, old] { restore_row(*d, old); });
    auto& row = i->second;
    row.r.status = o.status;
    if (o.status != "pending")
      d_.pending.erase(row.r.id);
    row.r.attempts++;
    if (!o.next_at.empty()) {
      std::chrono::system_clock::time_point t;
      if (events::parse_rfc3339(o.next_at, t))
        row.next = t;
      row.r.next_at = o.next_at;
    }
    row.r.last_code = o.code;
    row.r.last_error = o.error;
    row.r.last_latency_ms = o.latency_ms;
    row.r.updated_at = events::now_rfc3339_ms();
    row.locked_by.clear();
  }

  /// Pending again, due now, with the whole schedule ahead.
  void again(delivery_row& row) {
    tables_.on_rollback([d = &d_, old = row] { restore_row(*d, old); });
    row.r.status = "pending";
    d_.pending.insert(row.r.id);
    row.r.attempts = 0;
    row.next = std::chrono::system_clock::now();
    row.r.next_at = row.r.updated_at = events::format_rfc3339_ms(row.next);
    row.locked_by.clear();
  }

  memory::memory_tables& tables_;
  delivery_table& d_;
};

} // namespace

std::unique_ptr<delivery_repository> open_memory_delivery_repository(unit_of_work& w) {
  return std::make_unique<memory_delivery_repository>(*memory::tables_of(w));
}

} // namespace weft::webhooks
