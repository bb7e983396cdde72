#pragma once

#include "actors/auth/auth_state.hpp"

// The auth service's handlers, one per message of `auth_actor`. Accounts and
// tokens live in accounts.cpp, API keys and user administration in admin.cpp.
namespace weft::auth {

caf::result<user_view> register_user(auth_pointer self, credentials c, request_meta meta);
caf::result<token_grant> login(auth_pointer self, credentials c, request_meta meta);
caf::result<token_grant> refresh(auth_pointer self, const std::string& token,
                                 const request_meta& meta);
caf::result<ack_atom> logout(auth_pointer self, const std::string& token,
                             const request_meta& meta);
caf::result<user_view> me(auth_pointer self, const principal& who);

caf::result<api_key_view> add_api_key(auth_pointer self, new_api_key k, const principal& who,
                                      const request_meta& meta);
caf::result<api_key_page> list_api_keys(auth_pointer self, const page_request& p);
caf::result<ack_atom> revoke_api_key(auth_pointer self, const std::string& id,
                                     const principal& who, const request_meta& meta);
caf::result<user_page> list_users(auth_pointer self, const page_request& p);
caf::result<user_view> set_roles(auth_pointer self, const std::string& user_id, roles_change c,
                                 const principal& who, const request_meta& meta);
caf::result<principal> resolve_api_key(auth_pointer self, const std::string& key);

} // namespace weft::auth
