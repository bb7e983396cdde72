#include <chrono>

#include "actors/auth/events.hpp"
#include "actors/auth/handlers.hpp"
#include "actors/auth/idempotency.hpp"
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

} // namespace

caf::expected<token_grant> issue_tokens(auth_state& st, const user_record& u,
                                        const std::string& family_id,
                                        const outbox_events& outbox,
                                        const std::string& rotated_hash) {
  auto claims = st.deps.jwt->make_claims(u.id, u.email, u.roles, system_clock::now());
  auto refresh_token = random_token(32);
  refresh_record rec{secret_hash(refresh_token), u.id, family_id,
                     unix_now() + st.deps.settings.refresh_ttl_s, false};
  if (rotated_hash.empty()) {
    if (auto err = st.deps.repo->insert_refresh(rec, unit_of_work{outbox, std::nullopt}))
      return err;
  } else {
    auto rotated = st.deps.repo->rotate_refresh(rotated_hash, rec);
    if (!rotated)
      return rotated.error();
    if (!*rotated) // a concurrent refresh used it first
      return invalid_refresh();
  }
  return token_grant{st.deps.jwt->sign(claims),
                     static_cast<uint32_t>(st.deps.jwt->access_ttl().count()),
                     std::move(refresh_token)};
}

caf::result<user_view> register_user(auth_pointer self, credentials c) {
  auto& st = self->state;
  static const std::string operation = "auth.register";
  auto prior = replay<user_view>(st, c.meta, operation);
  if (!prior)
    return std::move(prior.error());
  if (*prior)
    return std::move(**prior);
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
  auto existing = st.deps.repo->find_user_by_email(email);
  if (!existing)
    return existing.error();
  if (*existing)
    return api_error(api_errc::conflict, "email already registered", "/email");
  auto rp = self->make_response_promise<user_view>();
  self->request(st.deps.hasher, hash_timeout, hash_atom::value, std::move(c.password))
    .then(
      [self, rp, email, meta = c.meta](std::string& phc) mutable {
        auto& st = self->state;
        user_record u{events::new_uuid_v7(), email, std::move(phc), {role_user},
                      events::now_rfc3339_ms()};
        auto view = to_view(u);
        unit_of_work work{{st.event(user_created{u.id, u.email, u.roles}, u.id, meta)},
                          record_of(st, meta, operation, view)};
        // Inserting checks the email again: another registration may have won.
        if (auto err = st.deps.repo->insert_user(u, work)) {
          auto answer = answer_after_failure<user_view>(st, meta, operation, std::move(err));
          if (answer)
            rp.deliver(std::move(*answer));
          else
            rp.deliver(std::move(answer.error()));
        } else {
          rp.deliver(std::move(view));
        }
      },
      [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

caf::result<token_grant> login(auth_pointer self, credentials c) {
  auto& st = self->state;
  auto now = steady_clock::now();
  auto email = normalize_email(c.email);
  if (auto wait = st.deps.limits->hit_ip(c.meta.client_ip, now))
    return api_error(api_errc::rate_limited, "too many login attempts from this address", {},
                     wait);
  if (auto wait = st.deps.limits->hit_account(email.empty() ? c.email : email, now))
    return api_error(api_errc::rate_limited, "too many login attempts for this account", {},
                     wait);
  if (email.empty() || c.password.size() > max_password_bytes)
    return invalid_credentials();
  auto found = st.deps.repo->find_user_by_email(email);
  if (!found)
    return found.error();
  // Unknown accounts are verified against a dummy hash: same cost, same answer.
  auto phc = *found ? (*found)->password_hash
                    : dummy_hash(password_params{st.deps.settings.password_memlimit_kib,
                                                 st.deps.settings.password_opslimit});
  auto rp = self->make_response_promise<token_grant>();
  self->request(st.deps.hasher, hash_timeout, verify_atom::value, std::move(c.password), phc)
    .then(
      [self, rp, email, known = found->has_value(), meta = c.meta](bool ok) mutable {
        auto& st = self->state;
        if (!ok || !known) {
          rp.deliver(invalid_credentials());
          return;
        }
        // Reload: roles may have changed while the hash was checked.
        auto user = st.deps.repo->find_user_by_email(email);
        if (!user || !*user) {
          rp.deliver(user ? invalid_credentials() : user.error());
          return;
        }
        st.deps.limits->reset_account(email);
        const auto& u = **user;
        auto ev = st.event(user_login{u.id, meta.client_ip}, u.id, meta);
        auto grant = issue_tokens(st, u, events::new_uuid_v7(), {ev});
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
  auto rec = st.deps.repo->find_refresh(hash);
  if (!rec)
    return rec.error();
  if (!*rec)
    return invalid_refresh();
  const auto& r = **rec;
  if (r.used) {
    // A rotated token came back: someone holds a copy. Revoke the family.
    auto ev = st.event(user_logout{r.user_id, "refresh_token_reuse"}, r.user_id, meta);
    if (auto err = st.deps.repo->revoke_family(r.family_id, unit_of_work{{ev}, std::nullopt}))
      return err;
    return api_error(api_errc::unauthenticated, "refresh token reuse detected; session revoked");
  }
  if (r.expires_at <= unix_now())
    return invalid_refresh();
  auto user = st.deps.repo->find_user(r.user_id);
  if (!user)
    return user.error();
  if (!*user)
    return invalid_refresh();
  auto grant = issue_tokens(st, **user, r.family_id, {}, hash);
  if (!grant)
    return grant.error();
  return std::move(*grant);
}

caf::result<ack_atom> logout(auth_pointer self, const std::string& token,
                             const request_meta& meta) {
  auto& st = self->state;
  auto rec = st.deps.repo->find_refresh(secret_hash(token));
  if (!rec)
    return rec.error();
  if (!*rec)
    return invalid_refresh();
  const auto& r = **rec;
  auto ev = st.event(user_logout{r.user_id, "logout"}, r.user_id, meta);
  if (auto err = st.deps.repo->revoke_family(r.family_id, unit_of_work{{ev}, std::nullopt}))
    return err;
  return ack_atom::value;
}

caf::result<user_view> me(auth_pointer self, const principal& who) {
  if (who.via == "api_key")
    return user_view{who.id, {}, who.roles, {}};
  auto user = self->state.deps.repo->find_user(who.id);
  if (!user)
    return user.error();
  if (!*user)
    return api_error(api_errc::unauthenticated, "the account no longer exists");
  return to_view(**user);
}

} // namespace weft::auth
