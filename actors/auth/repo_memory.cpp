#include "actors/auth/repo.hpp"

#include <map>

#include <caf/send.hpp>

#include "runtime/api_error.hpp"

namespace weft::auth {

namespace {

/// Maps, ordered by id so that keyset paging is a `upper_bound`. Used by one
/// actor only, so no locking.
class memory_auth_repository final : public auth_repository {
public:
  explicit memory_auth_repository(outbox_actor outbox) : outbox_(std::move(outbox)) {
  }

  caf::expected<std::optional<user_record>> find_user(std::string_view id) override {
    auto i = users_.find(id);
    if (i == users_.end())
      return std::optional<user_record>{};
    return std::optional<user_record>{i->second};
  }

  caf::expected<std::optional<user_record>>
  find_user_by_email(std::string_view email) override {
    auto i = user_by_email_.find(email);
    if (i == user_by_email_.end())
      return std::optional<user_record>{};
    return find_user(i->second);
  }

  caf::error insert_user(const user_record& u, const outbox_events& outbox) override {
    if (user_by_email_.count(u.email) != 0)
      return api_error(api_errc::conflict, "email already registered", "/email");
    users_.emplace(u.id, u);
    user_by_email_.emplace(u.email, u.id);
    commit(outbox);
    return {};
  }

  caf::error update_roles(std::string_view user_id, const std::vector<std::string>& roles,
                          const outbox_events& outbox) override {
    auto i = users_.find(user_id);
    if (i == users_.end())
      return api_error(api_errc::not_found, "no such user");
    i->second.roles = roles;
    commit(outbox);
    return {};
  }

  caf::expected<std::vector<user_record>> list_users(std::string_view after,
                                                     std::size_t limit) override {
    return page(users_, after, limit);
  }

  caf::error insert_refresh(const refresh_record& r, const outbox_events& outbox) override {
    refresh_.emplace(r.token_hash, r);
    commit(outbox);
    return {};
  }

  caf::expected<std::optional<refresh_record>> find_refresh(std::string_view hash) override {
    auto i = refresh_.find(hash);
    if (i == refresh_.end())
      return std::optional<refresh_record>{};
    return std::optional<refresh_record>{i->second};
  }

  caf::expected<bool> rotate_refresh(std::string_view used_hash,
                                     const refresh_record& next) override {
    auto i = refresh_.find(used_hash);
    if (i == refresh_.end() || i->second.used)
      return false;
    i->second.used = true;
    refresh_.emplace(next.token_hash, next);
    return true;
  }

  caf::error revoke_family(std::string_view family_id, const outbox_events& outbox) override {
    std::erase_if(refresh_, [&](const auto& kv) { return kv.second.family_id == family_id; });
    commit(outbox);
    return {};
  }

  caf::error insert_api_key(const api_key_record& k, const outbox_events& outbox) override {
    keys_.emplace(k.id, k);
    key_by_hash_.emplace(k.key_hash, k.id);
    commit(outbox);
    return {};
  }

  caf::expected<std::optional<api_key_record>>
  find_api_key_by_hash(std::string_view hash) override {
    auto i = key_by_hash_.find(hash);
    if (i == key_by_hash_.end())
      return std::optional<api_key_record>{};
    return std::optional<api_key_record>{keys_.at(i->second)};
  }

  caf::expected<bool> delete_api_key(std::string_view id, const outbox_events& outbox) override {
    auto i = keys_.find(id);
    if (i == keys_.end())
      return false;
    key_by_hash_.erase(i->second.key_hash);
    keys_.erase(i);
    commit(outbox);
    return true;
  }

  caf::expected<std::vector<api_key_record>> list_api_keys(std::string_view after,
                                                           std::size_t limit) override {
    return page(keys_, after, limit);
  }

private:
  template <class Map>
  static std::vector<typename Map::mapped_type> page(const Map& m, std::string_view after,
                                                     std::size_t limit) {
    std::vector<typename Map::mapped_type> out;
    auto i = after.empty() ? m.begin() : m.upper_bound(after);
    for (; i != m.end() && out.size() < limit; ++i)
      out.push_back(i->second);
    return out;
  }

  // The change above is applied: hand its events to the relay.
  void commit(const outbox_events& outbox) {
    if (!outbox.empty())
      caf::anon_send(outbox_, publish_atom::value, outbox);
  }

  outbox_actor outbox_;
  std::map<std::string, user_record, std::less<>> users_;
  std::map<std::string, std::string, std::less<>> user_by_email_;
  std::map<std::string, refresh_record, std::less<>> refresh_;
  std::map<std::string, api_key_record, std::less<>> keys_;
  std::map<std::string, std::string, std::less<>> key_by_hash_;
};

} // namespace

std::unique_ptr<auth_repository> make_memory_auth_repository(outbox_actor outbox) {
  return std::make_unique<memory_auth_repository>(std::move(outbox));
}

} // namespace weft::auth
