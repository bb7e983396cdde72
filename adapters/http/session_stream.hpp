#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "adapters/http/session.hpp"
#include "runtime/event_feed.hpp"

// What a session streaming Server-Sent Events keeps (session_stream.cpp).
namespace weft::http {

struct session::stream_state {
  std::shared_ptr<event_feed> feed;
  uint64_t cursor = 0;              ///< last position passed (sent or filtered out)
  bool strict = false;              ///< cursor is a position the reader holds: a hole is a loss
  bool opening = true;              ///< nothing read from the feed yet
  std::vector<std::string> exact;   ///< types
  std::vector<std::string> prefixes;///< `a.b.` of `a.b.*`
  bool any_type = true;
  std::string subject;              ///< empty: any
  std::string out;                  ///< bytes waiting for the socket
  std::string writing;              ///< bytes the socket is taking
  bool busy = false;
  bool ending = false;
  std::chrono::steady_clock::time_point last_write;

  bool wants(const feed_event& e) const {
    if (!subject.empty() && e.subject != subject)
      return false;
    if (any_type)
      return true;
    if (std::find(exact.begin(), exact.end(), e.type) != exact.end())
      return true;
    return std::any_of(prefixes.begin(), prefixes.end(),
                       [&](const std::string& p) { return e.type.starts_with(p); });
  }
};


} // namespace weft::http
