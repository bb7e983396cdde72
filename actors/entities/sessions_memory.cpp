#include <map>
#include <vector>

#include "actors/entities/sessions.hpp"
#include "adapters/memory/memory_store.hpp"

// Sign-in sessions in the memory store, by token hash; every change
// registers its undo with the unit.
namespace weft::entities {

namespace {

struct session_table {
  std::map<std::string, session_record, std::less<>> by_hash;
};

class memory_session_repository final : public session_repository {
public:
  explicit memory_session_repository(memory::memory_tables& t)
    : tables_(t), d_(t.get<session_table>("entities.sessions")) {}

  caf::error insert(const session_record& r) override {
    d_.by_hash.emplace(r.token_hash, r);
    tables_.on_rollback([d = &d_, h = r.token_hash] { d->by_hash.erase(h); });
    return {};
  }

  caf::expected<std::optional<session_record>> find(std::string_view token_hash) override {
    auto i = d_.by_hash.find(token_hash);
    if (i == d_.by_hash.end())
      return std::optional<session_record>{};
    return std::optional<session_record>{i->second};
  }

  caf::expected<bool> rotate(std::string_view used_hash, const session_record& next) override {
    auto i = d_.by_hash.find(used_hash);
    if (i == d_.by_hash.end() || i->second.used)
      return false;
    i->second.used = true;
    tables_.on_rollback([d = &d_, h = i->first] {
      if (auto j = d->by_hash.find(h); j != d->by_hash.end())
        j->second.used = false;
    });
    if (auto err = insert(next))
      return err;
    return true;
  }

  caf::error revoke_family(std::string_view family_id) override {
    drop_if([&](const session_record& r) { return r.family_id == family_id; }, INT64_MAX);
    return {};
  }

  caf::expected<int64_t> prune_expired(int64_t now, int64_t limit) override {
    return drop_if([&](const session_record& r) { return r.expires_at < now; }, limit);
  }

private:
  template <class Pred>
  int64_t drop_if(Pred pred, int64_t limit) {
    std::vector<session_record> gone;
    for (auto i = d_.by_hash.begin();
         i != d_.by_hash.end() && static_cast<int64_t>(gone.size()) < limit;) {
      if (pred(i->second)) {
        gone.push_back(i->second);
        i = d_.by_hash.erase(i);
      } else {
        ++i;
      }
    }
    auto n = static_cast<int64_t>(gone.size());
    tables_.on_rollback([d = &d_, gone = std::move(gone)] {
      for (const auto& r : gone)
        d->by_hash.emplace(r.token_hash, r);
    });
    return n;
  }

  memory::memory_tables& tables_;
  session_table& d_;
};

} // namespace

std::unique_ptr<session_repository> open_memory_sessions(unit_of_work& w) {
  return std::make_unique<memory_session_repository>(*memory::tables_of(w));
}

std::unique_ptr<session_repository> open_sessions(unit_of_work& w) {
  return w.kind() == store_kind::postgres ? open_pg_sessions(w) : open_memory_sessions(w);
}

} // namespace weft::entities
