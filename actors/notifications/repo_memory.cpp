#include <map>
#include <optional>

#include "actors/notifications/repo.hpp"
#include "adapters/memory/memory_store.hpp"

// Notifications in the memory store: per user, a map by id (UUIDv7, so in
// creation order); every change registers its undo with the unit.
namespace weft::notifications {

namespace {

struct notification_tables {
  std::map<std::string, std::map<std::string, notification_record>, std::less<>> by_user;
  std::map<std::string, int64_t, std::less<>> unread;
  std::map<std::string, std::string, std::less<>> recipients; ///< email -> user id
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

  caf::expected<std::string> recipient(std::string_view email) override {
    auto i = d_.recipients.find(email);
    return i == d_.recipients.end() ? std::string{} : i->second;
  }

  caf::error remember(std::string_view email, std::string_view user_id) override {
    auto key = std::string{email};
    auto before = d_.recipients.find(key);
    std::optional<std::string> old;
    if (before != d_.recipients.end())
      old = before->second;
    d_.recipients[key] = std::string{user_id};
    tables_.on_rollback([d = &d_, key, old] {
      if (old)
        d->recipients[key] = *old;
      else
        d->recipients.erase(key);
    });
    return {};
  }

  caf::expected<int64_t> rekey(std::string_view from, std::string_view to) override {
    auto u = d_.by_user.find(from);
    if (u == d_.by_user.end())
      return int64_t{0};
    auto moved = std::move(u->second);
    d_.by_user.erase(u);
    std::vector<std::string> ids;
    for (auto& [id, n] : moved) {
      n.user_id = std::string{to};
      ids.push_back(id);
      d_.by_user[std::string{to}].emplace(id, n);
    }
    int64_t unread = 0;
    if (auto c = d_.unread.find(from); c != d_.unread.end()) {
      unread = c->second;
      d_.unread.erase(c);
    }
    d_.unread[std::string{to}] += unread;
    tables_.on_rollback([d = &d_, from = std::string{from}, to = std::string{to}, ids, unread] {
      auto& back = d->by_user[from];
      for (const auto& id : ids) {
        auto n = d->by_user[to].extract(id);
        n.mapped().user_id = from;
        back.insert(std::move(n));
      }
      d->unread[to] -= unread;
      d->unread[from] = unread;
    });
    return static_cast<int64_t>(ids.size());
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
