#pragma once

// Reading a user's notifications over the public API, for the
// notifications system tests (embedded and durable). A user's token is
// minted with the test JWT secret (make_token), as the node's own would be.

#include "tests/system/common.hpp"

namespace sys {

/// What a user's notifications look like from the API.
struct notes {
  json items = json::array();
  long long unread = -1;
  std::map<std::string, int> by_subject; ///< subject -> notifications about it
  int welcome = 0;
  int api_key = 0;
};

/// A token for user `id` (any id: the notifications routes need no account).
inline std::string token_for(const std::string& id) {
  return make_token({{"sub", id}, {"email", id + "@weft.test"}, {"roles", {"user"}}});
}

/// Every notification of the token's user, all pages, and the unread count.
inline notes notes_of(const weft_node& node, const std::string& token, int limit = 200) {
  notes n;
  auto auth = bearer(token);
  n.items = get_all_pages(node, "/v1/notifications", auth, limit);
  auto first = node.get("/v1/notifications?limit=1", auth);
  REQUIRE(first.status == 200);
  n.unread = first.json().value("unread", -1LL);
  for (auto& it : n.items) {
    ++n.by_subject[it.value("subject", "")];
    auto kind = it.value("kind", "");
    n.welcome += kind == "welcome" ? 1 : 0;
    n.api_key += kind == "api_key" ? 1 : 0;
  }
  return n;
}

/// Waits until the user has at least `count` notifications; the last read.
inline notes wait_notes(const weft_node& node, const std::string& token, size_t count,
                        std::chrono::milliseconds deadline = std::chrono::seconds(20)) {
  notes n;
  wait_until(
    [&] {
      n = notes_of(node, token);
      return n.items.size() >= count;
    },
    deadline);
  return n;
}

} // namespace sys
