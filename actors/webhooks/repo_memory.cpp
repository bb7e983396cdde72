#include <map>

#include "actors/webhooks/repo.hpp"
#include "adapters/memory/memory_store.hpp"

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

private:
  memory::memory_tables& tables_;
  subscription_table& d_;
};

} // namespace

std::unique_ptr<subscription_repository> open_memory_repository(unit_of_work& w) {
  return std::make_unique<memory_subscription_repository>(*memory::tables_of(w));
}

} // namespace weft::webhooks
