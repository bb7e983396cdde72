#include <map>

#include "actors/notifications/repo.hpp"
#include "adapters/memory/memory_store.hpp"

// Notifications in the memory store: per user, a map by id (UUIDv7, so in
// creation order); every change registers its undo with the unit.
namespace weft::notifications {

namespace {

struct notification_tables {
  std::map<std::string, std::map<std::string, notification_record>, std::less<>> by_user;
  std::map<std::string, int64_t, std::less<>> unread;
};

class memory_notification_repository final : public notification_repository {
public:
  explicit memory_notification_repository(memory::memory_tables& t)
    : tables_(t), d_(t.get<notification_tables>("notifications")) {}

  caf::error add(const notification_record& n) override {
    d_.by_user[n.user_id].emplace(n.id, n);
    tables_.on_rollback([d = &d_, user = n.user_id, id = n.id] { d->by_user[user].erase(id); });
    return {};
  }

  caf::error add_unread(std::string_view user_id, int64_t delta) override {
    d_.unread[std::string{user_id}] += delta;
    tables_.on_rollback([d = &d_, user = std::string{user_id}, delta] { d->unread[user] -= delta; });
    return {};
  }

  caf::expected<int64_t> unread(std::string_view user_id) override {
    auto i = d_.unread.find(user_id);
    return i == d_.unread.end() ? int64_t{0} : i->second;
  }

  caf::expected<std::vector<notification_record>>
  list(std::string_view user_id, std::string_view before, size_t limit) override {
    std::vector<notification_record> out;
    auto u = d_.by_user.find(user_id);
    if (u == d_.by_user.end())
      return out;
    const auto& m = u->second;
    auto end = before.empty() ? m.end() : m.lower_bound(std::string{before});
    for (auto i = std::make_reverse_iterator(end); i != m.rend() && out.size() < limit; ++i)
      out.push_back(i->second);
    return out;
  }

  caf::expected<int64_t> mark_read(std::string_view user_id,
                                   const std::vector<std::string>& ids) override {
    auto u = d_.by_user.find(user_id);
    if (u == d_.by_user.end())
      return int64_t{0};
    std::vector<notification_record*> changed;
    auto mark = [&](notification_record& n) {
      if (!n.read) {
        n.read = true;
        changed.push_back(&n);
      }
    };
    if (ids.empty()) {
      for (auto& [id, n] : u->second)
        mark(n);
    } else {
      for (const auto& id : ids)
        if (auto i = u->second.find(id); i != u->second.end())
          mark(i->second);
    }
    tables_.on_rollback([d = &d_, user = std::string{user_id}, changed] {
      for (auto* n : changed)
        n->read = false;
    });
    return static_cast<int64_t>(changed.size());
  }

private:
  memory::memory_tables& tables_;
  notification_tables& d_;
};

} // namespace

std::unique_ptr<notification_repository> open_memory_repository(unit_of_work& w) {
  return std::make_unique<memory_notification_repository>(*memory::tables_of(w));
}

} // namespace weft::notifications
