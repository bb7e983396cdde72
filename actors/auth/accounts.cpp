#include <chrono>

#include "actors/auth/events.hpp"
#include "actors/auth/handlers.hpp"
#include "actors/auth/secrets.hpp"
#include "runtime/api_error.hpp"

// Accounts and tokens: register, login, refresh (rotation with reuse
// detection), logout and "who am I".
namespace weft::auth {

namespace {

using namespace std::chrono;

constexpr auto hash_timeout = seconds{30};
constexpr size_t max_password_bytes = 1024; // Argon2 input is bounded, so is the cost

int64_t unix_now() {
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

caf::error invalid_credentials() {
  // One answer for an unknown account and a wrong password.
  return api_error(api_errc::unauthenticated, "invalid email or password");
}

caf::error invalid_refresh() {
  return api_error(api_errc::unauthenticated, "invalid or expired refresh token");
}

/// Signs an access token and stores the refresh token of `family_id`: a new
/// family (with `ev`, the login event) or a rotation of `rotated_hash`.
caf::expected<token_grant> issue_tokens(auth_state& st, const user_record& u,
                                        const std::string& family_id,
                                        std::optional<events::envelope> ev,
                                        const std::string& rotated_hash = {}) {
  auto claims = st.deps.jwt->make_claims(u.id, u.email, u.roles, system_clock::now());
  auto refresh_token = random_token(32);
  refresh_record rec{secret_hash(refresh_token), u.id, family_id,
                     unix_now() + st.deps.settings.refresh_ttl_s, false};
  auto stored = st.write<bool>([&](auth_repository& repo, unit_of_work& w) -> caf::expected<bool> {
    if (!rotated_hash.empty())
      return repo.rotate_refresh(rotated_hash, rec); // false: a concurrent refresh used it first
    if (auto err = repo.insert_refresh(rec))
      return err;
    if (ev)
      w.emit(std::move(*ev));
    return true;
  });
  if (!stored)
    return stored.error();
  if (!*stored)
    return invalid_refresh();
  return token_grant{st.deps.jwt->sign(claims), "Bearer",
                     static_cast<uint32_t>(st.deps.jwt->access_ttl().count()),
                     std::move(refresh_token)};
}

} // namespace

caf::result<user_view> register_user(auth_pointer self, credentials c, request_meta meta) {
  auto& st = self->state;
  static const std::string operation = "auth.register";
  auto prior = st.replay<user_view>(meta, operation);
  if (!prior)
    return std::move(prior.error());
  if (*prior)
    return std::move(**prior);
  // The edge checked lengths against the schema; these hold for any caller.
  auto email = normalize_email(c.email);
  if (email.empty())
    return api_error(api_errc::bad_request, "email is not a valid address", "/email");
  if (c.password.size() < st.deps.settings.password_min_length)
    return api_error(api_errc::bad_request,
                     "password must have at least "
                       + std::to_string(st.deps.settings.password_min_length) + " characters",
                     "/password");
  if (c.password.size() > max_password_bytes)
    return api_error(api_errc::bad_request, "password is too long", "/password");
  auto existing = st.read<std::optional<user_record>>(
    [&](auth_repository& repo) { return repo.find_user_by_email(email); });
  if (!existing)
    return existing.error();
  if (*existing)
    return api_error(api_errc::conflict, "email already registered", "/email");
  auto rp = self->make_response_promise<user_view>();
  self->request(st.deps.hasher, hash_timeout, hash_atom::value, std::move(c.password))
    .then(
      [self, rp, email, meta](std::string& phc) mutable {
        auto& st = self->state;
        user_record u{events::new_uuid_v7(), email, std::move(phc), {role_user},
                      events::now_rfc3339_ms()};
        // Inserting checks the email again: another registration may have won.
        auto view = st.write<user_view>(
          meta, operation, [&](auth_repository& repo, unit_of_work& w) -> caf::expected<user_view> {
            if (auto err = repo.insert_user(u))
              return err;
            w.emit(st.event(user_created{u.id, u.email, u.roles}, u.id, meta));
            return to_view(u);
          });
        if (view)
          rp.deliver(std::move(*view));
        else
          rp.deliver(std::move(view.error()));
      },
      [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

caf::result<token_grant> login(auth_pointer self, credentials c, request_meta meta) {
  auto& st = self->state;
  auto now = steady_clock::now();
  auto email = normalize_email(c.email);
  if (auto wait = st.deps.limits->hit_ip(meta.client_ip, now))
    return api_error(api_errc::rate_limited, "too many login attempts from this address", {},
                     wait);
  if (auto wait = st.deps.limits->hit_account(email.empty() ? c.email : email, now))
    return api_error(api_errc::rate_limited, "too many login attempts for this account", {},
                     wait);
  if (email.empty() || c.password.size() > max_password_bytes)
    return invalid_credentials();
  auto found = st.read<std::optional<user_record>>(
    [&](auth_repository& repo) { return repo.find_user_by_email(email); });
  if (!found)
    return found.error();
  // Unknown accounts are verified against a dummy hash: same cost, same answer.
  auto phc = *found ? (*found)->password_hash
                    : dummy_hash(password_params{st.deps.settings.password_memlimit_kib,
                                                 st.deps.settings.password_opslimit});
  auto rp = self->make_response_promise<token_grant>();
  self->request(st.deps.hasher, hash_timeout, verify_atom::value, std::move(c.password), phc)
    .then(
      [self, rp, email, known = found->has_value(), meta](bool ok) mutable {
        auto& st = self->state;
        if (!ok || !known) {
          rp.deliver(invalid_credentials());
          return;
        }
        // Reload: roles may have changed while the hash was checked.
        auto user = st.read<std::optional<user_record>>(
          [&](auth_repository& repo) { return repo.find_user_by_email(email); });
        if (!user || !*user) {
          rp.deliver(user ? invalid_credentials() : user.error());
          return;
        }
        st.deps.limits->reset_account(email);
        const auto& u = **user;
        auto grant = issue_tokens(st, u, events::new_uuid_v7(),
                                  st.event(user_login{u.id, meta.client_ip}, u.id, meta));
        if (grant)
          rp.deliver(std::move(*grant));
        else
          rp.deliver(grant.error());
      },
      [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

caf::result<token_grant> refresh(auth_pointer self, const std::string& token,
                                 const request_meta& meta) {
  auto& st = self->state;
  auto hash = secret_hash(token);
  auto rec = st.read<std::optional<refresh_record>>(
    [&](auth_repository& repo) { return repo.find_refresh(hash); });
  if (!rec)
    return rec.error();
  if (!*rec)
    return invalid_refresh();
  const auto& r = **rec;
  if (r.used) {
    // A rotated token came back: someone holds a copy. Revoke the family.
    auto revoked = st.write<bool>([&](auth_repository& repo, unit_of_work& w) -> caf::expected<bool> {
      if (auto err = repo.revoke_family(r.family_id))
        return err;
      w.emit(st.event(user_logout{r.user_id, "refresh_token_reuse"}, r.user_id, meta));
      return true;
    });
    if (!revoked)
      return revoked.error();
    return api_error(api_errc::unauthenticated, "refresh token reuse detected; session revoked");
  }
  if (r.expires_at <= unix_now())
    return invalid_refresh();
  auto user = st.read<std::optional<user_record>>(
    [&](auth_repository& repo) { return repo.find_user(r.user_id); });
  if (!user)
    return user.error();
  if (!*user)
    return invalid_refresh();
  return issue_tokens(st, **user, r.family_id, std::nullopt, hash);
}

caf::result<ack_atom> logout(auth_pointer self, const std::string& token,
                             const request_meta& meta) {
  auto& st = self->state;
  auto rec = st.read<std::optional<refresh_record>>(
    [&](auth_repository& repo) { return repo.find_refresh(secret_hash(token)); });
  if (!rec)
    return rec.error();
  if (!*rec)
    return invalid_refresh();
  const auto& r = **rec;
  auto done = st.write<bool>([&](auth_repository& repo, unit_of_work& w) -> caf::expected<bool> {
    if (auto err = repo.revoke_family(r.family_id))
      return err;
    w.emit(st.event(user_logout{r.user_id, "logout"}, r.user_id, meta));
    return true;
  });
  if (!done)
    return done.error();
  return ack_atom::value;
}

caf::result<user_view> me(auth_pointer self, const principal& who) {
  if (!who.realm.empty()) { // realm `<plural>/<name>`: a schema sign-in service's account
    auto slash = who.realm.find('/');
    return api_error(api_errc::forbidden,
                     "this is an account of the schema's sign-in service " + who.realm + ": GET /v1/"
                       + who.realm.substr(0, slash) + "/auth/" + who.realm.substr(slash + 1) + "/me");
  }
  if (who.via == "api_key")
    return user_view{who.id, {}, who.roles, {}};
  auto user = self->state.read<std::optional<user_record>>(
    [&](auth_repository& repo) { return repo.find_user(who.id); });
  if (!user)
    return user.error();
  if (!*user)
    return api_error(api_errc::unauthenticated, "the account no longer exists");
  return to_view(**user);
}

} // namespace weft::auth
