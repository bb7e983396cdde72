#include <chrono>

#include <caf/typed_event_based_actor.hpp>

#include "actors/auth/email.hpp"
#include "actors/auth/secrets.hpp"
#include "actors/entities/entities.hpp"
#include "actors/entities/repo.hpp"
#include "actors/entities/sessions.hpp"
#include "events/ids.hpp"
#include "runtime/api_error.hpp"
#include "runtime/idempotency.hpp"

// The schema's sign-in services (auth.password, auth.cookies) with the auth
// service's security: Argon2id on the hashers' threads, an unknown account
// verified against a dummy hash (same cost, same answer), login limits per
// account and per client IP, short-lived access tokens from the node's
// codec and refresh tokens in rotated families whose reuse revokes the
// family. What differs: the accounts are the entity's rows, and their tokens
// carry their realm, whose roles never reach the node's management routes.
namespace weft::entities {

namespace {

using namespace std::chrono;
using nlohmann::json;

constexpr auto hash_timeout = seconds{30};
constexpr size_t max_password_bytes = 1024; // Argon2 input is bounded, so is the cost
constexpr seconds register_idempotency_ttl{86400};

int64_t unix_now() {
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

caf::error invalid_credentials(const sign_in& si) {
  // One answer for an unknown account and a wrong password.
  return api_error(api_errc::unauthenticated, "invalid " + si.login_field + " or password");
}

caf::error invalid_refresh() {
  return api_error(api_errc::unauthenticated, "invalid or expired refresh token");
}

/// A login value as stored: an email trimmed and lower-cased (as the auth
/// service keeps them), anything else trimmed. Empty: not acceptable.
std::string login_value(const sign_in& si, const json& v) {
  if (!v.is_string())
    return {};
  const auto& s = v.get_ref<const std::string&>();
  if (si.email_login)
    return auth::normalize_email(s);
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos)
    return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

/// The account whose login is `login`, if any.
caf::expected<std::optional<json>> find_account(unit_of_work& w, const collection& c,
                                                const sign_in& si, const std::string& login) {
  auto rows = open_repository(w, c)->list(json{{si.login_field, login}}, "", 1);
  if (!rows)
    return std::move(rows.error());
  if (rows->empty())
    return std::optional<json>{};
  return std::optional<json>{std::move(rows->front())};
}

std::vector<std::string> roles_of(const sign_in& si, const json& row) {
  if (si.roles_field.empty())
    return si.default_roles;
  std::vector<std::string> out;
  auto i = row.find(si.roles_field);
  if (i != row.end() && i->is_array())
    for (const auto& r : *i)
      if (r.is_string())
        out.push_back(r.get<std::string>());
  return out;
}

/// `<entity>.signed_in` or `.signed_out`, in the sessions' unit.
events::envelope session_event(const catalog& cat, const collection& c, const sign_in& si,
                               std::string_view what, const std::string& id, std::string reason,
                               const request_meta& meta) {
  json data{{"id", id}, {"realm", si.realm}, {"reason", std::move(reason)}};
  return entity_event(c, cat, what, id, std::move(data), meta);
}

/// An access token and a refresh token for the account `row`: a new family
/// (a login, with its event) or the rotation of `rotated_hash`.
caf::expected<crud_answer> issue_tokens(entities_state& st, const collection& c,
                                        const sign_in& si, const json& row,
                                        const std::string& family_id, const request_meta& meta,
                                        const std::string& rotated_hash = {}) {
  const auto& deps = *st.sign_in;
  auto id = row["id"].get<std::string>();
  std::string email;
  if (si.email_login)
    email = row.value(si.login_field, std::string{});
  else if (auto e = row.find("email"); e != row.end() && e->is_string())
    email = e->get<std::string>();
  auto claims = deps.jwt->make_claims(id, std::move(email), roles_of(si, row), system_clock::now());
  claims.realm = si.realm;
  std::string csrf;
  if (si.cookies()) {
    csrf = auth::random_token(32);
    claims.csrf = csrf;
  }
  auto refresh_token = auth::random_token(32);
  session_record rec{auth::secret_hash(refresh_token), si.realm, id, family_id,
                     unix_now() + deps.refresh_ttl_s, false};
  auto stored = transact<bool>(st.store_for(si.provider), [&](unit_of_work& w) -> caf::expected<bool> {
    auto repo = open_sessions(w);
    if (!rotated_hash.empty())
      return repo->rotate(rotated_hash, rec); // false: a concurrent refresh used it first
    if (auto err = repo->insert(rec))
      return err;
    w.emit(session_event(*st.cat, c, si, "signed_in", id, "login", meta));
    return true;
  });
  if (!stored)
    return stored.error();
  if (!*stored)
    return invalid_refresh();
  json grant{{"access_token", deps.jwt->sign(claims)},
             {"token_type", "Bearer"},
             {"expires_in", deps.jwt->access_ttl().count()},
             {"refresh_token", refresh_token}};
  if (si.cookies()) {
    grant["csrf_token"] = csrf;
    grant["refresh_expires_in"] = deps.refresh_ttl_s;
  }
  return crud_answer{grant.dump()};
}

caf::result<crud_answer> register_account(entities_pointer self, const collection& c,
                                          const sign_in& si, sign_in_call call) {
  auto& st = self->state;
  auto operation = "entities." + si.realm + ".register";
  auto& store = st.store_for(c.provider);
  auto prior = idempotency::replay<json>(store, call.meta, operation);
  if (!prior)
    return std::move(prior.error());
  if (*prior)
    return crud_answer{(*prior)->dump()};
  auto body = json::parse(call.body, nullptr, false);
  if (!body.is_object())
    return api_error(api_errc::bad_request, "the body is not a JSON object");
  // The edge checked the body against the register schema; these hold for
  // any caller. Roles are the binding's, never the registrant's choice.
  if (!si.roles_field.empty() && body.contains(si.roles_field))
    return api_error(api_errc::bad_request, si.roles_field + " is not chosen at registration",
                     "/" + si.roles_field);
  auto login = login_value(si, body.value(si.login_field, json{}));
  if (login.empty())
    return api_error(api_errc::bad_request,
                     si.login_field + (si.email_login ? " is not a valid address" : " is empty"),
                     "/" + si.login_field);
  auto password = body.value("password", std::string{});
  if (password.size() < st.sign_in->password_min_length)
    return api_error(api_errc::bad_request,
                     "password must have at least "
                       + std::to_string(st.sign_in->password_min_length) + " characters",
                     "/password");
  if (password.size() > max_password_bytes)
    return api_error(api_errc::bad_request, "password is too long", "/password");
  body.erase("password");
  body[si.login_field] = login;
  if (auto err = c.check_values(body))
    return err;
  // Taken already: answered before paying for a hash (inserting checks again).
  auto existing = read<std::optional<json>>(
    store, [&](unit_of_work& w) { return find_account(w, c, si, login); });
  if (!existing)
    return std::move(existing.error());
  if (*existing)
    return api_error(api_errc::conflict, si.login_field + " already registered",
                     "/" + si.login_field);
  auto rp = self->make_response_promise<crud_answer>();
  self->request(st.sign_in->hasher, hash_timeout, auth::hash_atom::value, std::move(password))
    .then(
      [self, rp, &c, &si, body = std::move(body), meta = call.meta,
       operation](std::string& phc) mutable {
        auto& st = self->state;
        auto row = new_row(c, body);
        row[si.password_field] = std::move(phc);
        if (!si.roles_field.empty())
          row[si.roles_field] = si.default_roles;
        auto view = idempotency::commit<json>(
          st.store_for(c.provider), meta, operation, register_idempotency_ttl,
          [&](unit_of_work& w) -> caf::expected<json> {
            if (auto err = open_repository(w, c)->insert(row))
              return err;
            return emit_created(w, *st.cat, c, row, meta);
          });
        if (view)
          rp.deliver(crud_answer{view->dump()});
        else
          rp.deliver(std::move(view.error()));
      },
      [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

caf::result<crud_answer> login(entities_pointer self, const collection& c, const sign_in& si,
                               const sign_in_call& call) {
  auto& st = self->state;
  auto body = json::parse(call.body, nullptr, false);
  if (!body.is_object())
    return api_error(api_errc::bad_request, "the body is not a JSON object");
  auto given = body.value(si.login_field, json{});
  auto login = login_value(si, given);
  auto password = body.value("password", std::string{});
  auto now = steady_clock::now();
  auto& limits = *st.sign_in->limits;
  if (auto wait = limits.hit_ip(call.meta.client_ip, now))
    return api_error(api_errc::rate_limited, "too many login attempts from this address", {},
                     wait);
  auto account_key = si.realm + "\n" + (login.empty() ? given.dump() : login);
  if (auto wait = limits.hit_account(account_key, now))
    return api_error(api_errc::rate_limited, "too many login attempts for this account", {},
                     wait);
  if (login.empty() || password.size() > max_password_bytes)
    return invalid_credentials(si);
  auto& store = st.store_for(c.provider);
  auto found = read<std::optional<json>>(
    store, [&](unit_of_work& w) { return find_account(w, c, si, login); });
  if (!found)
    return std::move(found.error());
  // Unknown accounts, and accounts without a password (made through CRUD),
  // are verified against a dummy hash: same cost, same answer.
  std::string phc;
  if (*found)
    if (auto p = (*found)->find(si.password_field); p != (*found)->end() && p->is_string())
      phc = p->get<std::string>();
  const bool known = !phc.empty();
  if (!known)
    phc = auth::dummy_hash(st.sign_in->password);
  auto rp = self->make_response_promise<crud_answer>();
  self->request(st.sign_in->hasher, hash_timeout, auth::verify_atom::value, std::move(password),
                std::move(phc))
    .then(
      [self, rp, &c, &si, login, account_key, known, meta = call.meta](bool ok) mutable {
        auto& st = self->state;
        if (!ok || !known) {
          rp.deliver(invalid_credentials(si));
          return;
        }
        // Reload: the account may have changed while the hash was checked.
        auto row = read<std::optional<json>>(
          st.store_for(c.provider), [&](unit_of_work& w) { return find_account(w, c, si, login); });
        if (!row || !*row) {
          rp.deliver(row ? invalid_credentials(si) : row.error());
          return;
        }
        st.sign_in->limits->reset_account(account_key);
        auto grant = issue_tokens(st, c, si, **row, events::new_uuid_v7(), meta);
        if (grant)
          rp.deliver(std::move(*grant));
        else
          rp.deliver(grant.error());
      },
      [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

/// The session whose refresh token hashes to `hash`, in `si`'s realm only.
caf::expected<std::optional<session_record>> find_session(entities_state& st, const sign_in& si,
                                                          const std::string& hash) {
  auto rec = read<std::optional<session_record>>(
    st.store_for(si.provider), [&](unit_of_work& w) { return open_sessions(w)->find(hash); });
  if (rec && *rec && (*rec)->realm != si.realm)
    return std::optional<session_record>{};
  return rec;
}

/// Revokes the family of `r`, with `<entity>.signed_out` for `reason`.
caf::error end_session(entities_state& st, const collection& c, const sign_in& si,
                       const session_record& r, const char* reason, const request_meta& meta) {
  return st.store_for(si.provider).transact([&](unit_of_work& w) -> caf::error {
    if (auto err = open_sessions(w)->revoke_family(r.family_id))
      return err;
    w.emit(session_event(*st.cat, c, si, "signed_out", r.subject, reason, meta));
    return {};
  });
}

caf::expected<crud_answer> refresh(entities_state& st, const collection& c, const sign_in& si,
                                   const sign_in_call& call) {
  if (call.refresh_token.empty())
    return invalid_refresh();
  auto hash = auth::secret_hash(call.refresh_token);
  auto rec = find_session(st, si, hash);
  if (!rec)
    return std::move(rec.error());
  if (!*rec)
    return invalid_refresh();
  const auto& r = **rec;
  if (r.used) {
    // A rotated token came back: someone holds a copy. Revoke the family.
    if (auto err = end_session(st, c, si, r, "refresh_token_reuse", call.meta))
      return err;
    return api_error(api_errc::unauthenticated, "refresh token reuse detected; session revoked");
  }
  if (r.expires_at <= unix_now())
    return invalid_refresh();
  auto row = read<std::optional<json>>(st.store_for(c.provider), [&](unit_of_work& w) {
    return open_repository(w, c)->find(r.subject);
  });
  if (!row)
    return std::move(row.error());
  if (!*row)
    return invalid_refresh();
  return issue_tokens(st, c, si, **row, r.family_id, call.meta, hash);
}

caf::expected<crud_answer> logout(entities_state& st, const collection& c, const sign_in& si,
                                  const sign_in_call& call) {
  if (call.refresh_token.empty())
    return invalid_refresh();
  auto rec = find_session(st, si, auth::secret_hash(call.refresh_token));
  if (!rec)
    return std::move(rec.error());
  if (!*rec)
    return invalid_refresh();
  if (auto err = end_session(st, c, si, **rec, "logout", call.meta))
    return err;
  return crud_answer{};
}

caf::expected<crud_answer> me(entities_state& st, const collection& c, const sign_in& si,
                              const sign_in_call& call) {
  if (call.caller.realm != si.realm)
    return api_error(api_errc::forbidden, "this is " + si.realm + "'s; sign in there for it");
  auto row = read<std::optional<json>>(st.store_for(c.provider), [&](unit_of_work& w) {
    return open_repository(w, c)->find(call.caller.id);
  });
  if (!row)
    return std::move(row.error());
  if (!*row)
    return api_error(api_errc::unauthenticated, "the account no longer exists");
  return crud_answer{c.view(**row).dump()};
}

} // namespace

caf::result<crud_answer> sign_in_answer(entities_pointer self, sign_in_call call) {
  auto& st = self->state;
  auto [c, si] = st.cat->find_realm(call.realm);
  if (c == nullptr || !st.sign_in)
    return api_error(api_errc::not_found, "no sign-in service " + call.realm);
  // (The catalog outlives the actor: references into it may wait for a hash.)
  caf::expected<crud_answer> out = crud_answer{};
  if (call.op == "register")
    return register_account(self, *c, *si, std::move(call));
  if (call.op == "login")
    return login(self, *c, *si, call);
  if (call.op == "refresh")
    out = refresh(st, *c, *si, call);
  else if (call.op == "logout")
    out = logout(st, *c, *si, call);
  else if (call.op == "me")
    out = me(st, *c, *si, call);
  else
    return api_error(api_errc::bad_request, "unknown operation " + call.op);
  if (!out)
    return std::move(out.error());
  return std::move(*out);
}

} // namespace weft::entities
