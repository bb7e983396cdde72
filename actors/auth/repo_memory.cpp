#include <map>

#include "actors/auth/repo.hpp"
#include "adapters/memory/memory_store.hpp"
#include "runtime/api_error.hpp"

// The auth repository in the memory store. Maps ordered by id, so keyset
// paging is an `upper_bound`; every change registers its undo with the unit.
namespace weft::auth {

namespace {

struct auth_tables {
  std::map<std::string, user_record, std::less<>> users;
  std::map<std::string, std::string, std::less<>> user_by_email;
  std::map<std::string, refresh_record, std::less<>> refresh;
  std::map<std::string, api_key_record, std::less<>> keys;
  std::map<std::string, std::string, std::less<>> key_by_hash;
};

template <class Map>
std::vector<typename Map::mapped_type> page(const Map& m, std::string_view after,
                                            std::size_t limit) {
  std::vector<typename Map::mapped_type> out;
  auto i = after.empty() ? m.begin() : m.upper_bound(after);
  for (; i != m.end() && out.size() < limit; ++i)
    out.push_back(i->second);
  return out;
}

template <class T>
std::optional<T> found(const T* x) {
  return x == nullptr ? std::optional<T>{} : std::optional<T>{*x};
}

class memory_auth_repository final : public auth_repository {
public:
  explicit memory_auth_repository(memory::memory_tables& t)
    : tables_(t), d_(t.get<auth_tables>("auth")) {}

  caf::expected<std::optional<user_record>> find_user(std::string_view id) override {
    auto i = d_.users.find(id);
    return found(i == d_.users.end() ? nullptr : &i->second);
  }

  caf::expected<std::optional<user_record>>
  find_user_by_email(std::string_view email) override {
    auto i = d_.user_by_email.find(email);
    if (i == d_.user_by_email.end())
      return std::optional<user_record>{};
    return find_user(i->second);
  }

  caf::error insert_user(const user_record& u) override {
    if (d_.user_by_email.count(u.email) != 0)
      return api_error(api_errc::conflict, "email already registered", "/email");
    d_.users.emplace(u.id, u);
    d_.user_by_email.emplace(u.email, u.id);
    undo([d = &d_, id = u.id, email = u.email] {
      d->users.erase(id);
      d->user_by_email.erase(email);
    });
    return {};
  }

  caf::error update_roles(std::string_view user_id,
                          const std::vector<std::string>& roles) override {
    auto i = d_.users.find(user_id);
    if (i == d_.users.end())
      return api_error(api_errc::not_found, "no such user");
    undo([d = &d_, id = i->first, before = i->second.roles] { d->users[id].roles = before; });
    i->second.roles = roles;
    return {};
  }

  caf::expected<std::vector<user_record>> list_users(std::string_view after,
                                                     std::size_t limit) override {
    return page(d_.users, after, limit);
  }

  caf::error insert_refresh(const refresh_record& r) override {
    d_.refresh.emplace(r.token_hash, r);
    undo([d = &d_, h = r.token_hash] { d->refresh.erase(h); });
    return {};
  }

  caf::expected<std::optional<refresh_record>> find_refresh(std::string_view hash) override {
    auto i = d_.refresh.find(hash);
    return found(i == d_.refresh.end() ? nullptr : &i->second);
  }

  caf::expected<bool> rotate_refresh(std::string_view used_hash,
                                     const refresh_record& next) override {
    auto i = d_.refresh.find(used_hash);
    if (i == d_.refresh.end() || i->second.used)
      return false;
    i->second.used = true;
    undo([d = &d_, h = i->first] {
      if (auto j = d->refresh.find(h); j != d->refresh.end())
        j->second.used = false;
    });
    if (auto err = insert_refresh(next))
      return err;
    return true;
  }

  caf::error revoke_family(std::string_view family_id) override {
    std::vector<refresh_record> gone;
    for (auto i = d_.refresh.begin(); i != d_.refresh.end();) {
      if (i->second.family_id == family_id) {
        gone.push_back(i->second);
        i = d_.refresh.erase(i);
      } else {
        ++i;
      }
    }
    undo([d = &d_, gone = std::move(gone)] {
      for (const auto& r : gone)
        d->refresh.emplace(r.token_hash, r);
    });
    return {};
  }

  caf::expected<int64_t> prune_expired_refresh(int64_t now, int64_t limit) override {
    std::vector<refresh_record> gone;
    for (auto i = d_.refresh.begin();
         i != d_.refresh.end() && static_cast<int64_t>(gone.size()) < limit;) {
      if (i->second.expires_at < now) {
        gone.push_back(i->second);
        i = d_.refresh.erase(i);
      } else {
        ++i;
      }
    }
    auto n = static_cast<int64_t>(gone.size());
    undo([d = &d_, gone = std::move(gone)] {
      for (const auto& r : gone)
        d->refresh.emplace(r.token_hash, r);
    });
    return n;
  }

  caf::error insert_api_key(const api_key_record& k) override {
    d_.keys.emplace(k.id, k);
    d_.key_by_hash.emplace(k.key_hash, k.id);
    undo([d = &d_, id = k.id, h = k.key_hash] {
      d->keys.erase(id);
      d->key_by_hash.erase(h);
    });
    return {};
  }

  caf::expected<std::optional<api_key_record>>
  find_api_key_by_hash(std::string_view hash) override {
    auto i = d_.key_by_hash.find(hash);
    if (i == d_.key_by_hash.end())
      return std::optional<api_key_record>{};
    return std::optional<api_key_record>{d_.keys.at(i->second)};
  }

  caf::expected<bool> delete_api_key(std::string_view id) override {
    auto i = d_.keys.find(id);
    if (i == d_.keys.end())
      return false;
    auto k = i->second;
    d_.key_by_hash.erase(k.key_hash);
    d_.keys.erase(i);
    undo([d = &d_, k] {
      d->keys.emplace(k.id, k);
      d->key_by_hash.emplace(k.key_hash, k.id);
    });
    return true;
  }

  caf::expected<std::vector<api_key_record>> list_api_keys(std::string_view after,
                                                           std::size_t limit) override {
    return page(d_.keys, after, limit);
  }

private:
  template <class F>
  void undo(F fn) {
    tables_.on_rollback(std::move(fn));
  }

  memory::memory_tables& tables_;
  auth_tables& d_;
};

} // namespace

std::unique_ptr<auth_repository> open_memory_repository(unit_of_work& w) {
  return std::make_unique<memory_auth_repository>(*memory::tables_of(w));
}

} // namespace weft::auth
