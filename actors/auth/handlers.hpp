#pragma once

#include "actors/auth/auth_state.hpp"

// The auth service's handlers, one per message of `auth_actor`. Accounts and
// tokens live in accounts.cpp, API keys and user administration in admin.cpp.
namespace weft::auth {

caf::result<user_view> register_user(auth_pointer self, credentials c);
caf::result<token_grant> login(auth_pointer self, credentials c);
caf::result<token_grant> refresh(auth_pointer self, const std::string& token,
                                 const request_meta& meta);
caf::result<ack_atom> logout(auth_pointer self, const std::string& token,
                             const request_meta& meta);
caf::result<user_view> me(auth_pointer self, const principal& who);

caf::result<api_key_view> add_api_key(auth_pointer self, new_api_key k);
caf::result<api_key_page> list_api_keys(auth_pointer self, const page_request& p);
caf::result<ack_atom> revoke_api_key(auth_pointer self, const std::string& id,
                                     const principal& who, const request_meta& meta);
caf::result<user_page> list_users(auth_pointer self, const page_request& p);
caf::result<user_view> set_roles(auth_pointer self, roles_change c);
caf::result<principal> resolve_api_key(auth_pointer self, const std::string& key);

/// Signs an access token and starts or continues a refresh-token family.
caf::expected<token_grant> issue_tokens(auth_state& st, const user_record& u,
                                        const std::string& family_id,
                                        const outbox_events& outbox,
                                        const std::string& rotated_hash = {});

} // namespace weft::auth
