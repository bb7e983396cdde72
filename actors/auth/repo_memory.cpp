#include "actors/auth/repo.hpp"

#include <chrono>
#include <map>

#include <caf/send.hpp>

#include "runtime/api_error.hpp"

namespace weft::auth {

namespace {

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

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

  caf::error insert_user(const user_record& u, const unit_of_work& work) override {
    if (idempotency_taken(work))
      return api_error(api_errc::conflict, "idempotency key recorded by another request");
    if (user_by_email_.count(u.email) != 0)
      return api_error(api_errc::conflict, "email already registered", "/email");
    users_.emplace(u.id, u);
    user_by_email_.emplace(u.email, u.id);
    commit(work);
    return {};
  }

  caf::error update_roles(std::string_view user_id, const std::vector<std::string>& roles,
                          const unit_of_work& work) override {
    if (idempotency_taken(work))
      return api_error(api_errc::conflict, "idempotency key recorded by another request");
    auto i = users_.find(user_id);
    if (i == users_.end())
      return api_error(api_errc::not_found, "no such user");
    i->second.roles = roles;
    commit(work);
    return {};
  }

  caf::expected<std::vector<user_record>> list_users(std::string_view after,
                                                     std::size_t limit) override {
    return page(users_, after, limit);
  }

  caf::error insert_refresh(const refresh_record& r, const unit_of_work& work) override {
    refresh_.emplace(r.token_hash, r);
    commit(work);
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

  caf::error revoke_family(std::string_view family_id, const unit_of_work& work) override {
    std::erase_if(refresh_, [&](const auto& kv) { return kv.second.family_id == family_id; });
    commit(work);
    return {};
  }

  caf::error insert_api_key(const api_key_record& k, const unit_of_work& work) override {
    if (idempotency_taken(work))
      return api_error(api_errc::conflict, "idempotency key recorded by another request");
    keys_.emplace(k.id, k);
    key_by_hash_.emplace(k.key_hash, k.id);
    commit(work);
    return {};
  }

  caf::expected<std::optional<idempotency_record>>
  find_idempotent(std::string_view key, std::string_view operation) override {
    auto i = idempotency_.find(std::string{key} + '\n' + std::string{operation});
    if (i == idempotency_.end() || i->second.expires_at <= unix_now())
      return std::optional<idempotency_record>{};
    return std::optional<idempotency_record>{i->second};
  }

  caf::expected<std::optional<api_key_record>>
  find_api_key_by_hash(std::string_view hash) override {
    auto i = key_by_hash_.find(hash);
    if (i == key_by_hash_.end())
      return std::optional<api_key_record>{};
    return std::optional<api_key_record>{keys_.at(i->second)};
  }

  caf::expected<bool> delete_api_key(std::string_view id, const unit_of_work& work) override {
    if (idempotency_taken(work))
      return api_error(api_errc::conflict, "idempotency key recorded by another request");
    auto i = keys_.find(id);
    if (i == keys_.end())
      return false;
    key_by_hash_.erase(i->second.key_hash);
    keys_.erase(i);
    commit(work);
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

  // The change above is applied: record its answer, hand its events to the relay.
  void commit(const unit_of_work& work) {
    if (work.idempotency) {
      const auto& r = *work.idempotency;
      idempotency_[r.key + '\n' + r.operation] = r;
    }
    if (!work.events.empty())
      caf::anon_send(outbox_, publish_atom::value, work.events);
  }

  // A key taken by a live record: the caller must answer that record instead.
  bool idempotency_taken(const unit_of_work& work) {
    if (!work.idempotency)
      return false;
    auto found = find_idempotent(work.idempotency->key, work.idempotency->operation);
    return found && *found;
  }

  outbox_actor outbox_;
  std::map<std::string, user_record, std::less<>> users_;
  std::map<std::string, std::string, std::less<>> user_by_email_;
  std::map<std::string, refresh_record, std::less<>> refresh_;
  std::map<std::string, api_key_record, std::less<>> keys_;
  std::map<std::string, std::string, std::less<>> key_by_hash_;
  std::map<std::string, idempotency_record> idempotency_;
};

} // namespace

std::unique_ptr<auth_repository> make_memory_auth_repository(outbox_actor outbox) {
  return std::make_unique<memory_auth_repository>(std::move(outbox));
}

} // namespace weft::auth
