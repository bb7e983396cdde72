#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace weft::auth {

/// Allows `limit` attempts per `window` per key (account email, client IP),
/// as a token bucket in its GCRA form: one time point per key, the moment the
/// bucket will be full again. A fresh key may burst `limit` attempts; after
/// that one attempt is allowed each `window / limit`, and after a whole idle
/// `window` the key is back to a full burst. Refused attempts are not counted,
/// so hammering does not lengthen the wait.
///
/// Memory stays bounded by the keys seen within one window: entries whose
/// bucket is full again are indistinguishable from absent ones and are purged
/// lazily, by a scan after max(1024, keys left by the previous scan) hits:
/// amortised O(1) per hit, and at most about twice the keys active within a
/// window (plus 1024) are ever held.
///
/// Not thread-safe: meant to be owned by one actor, which CAF runs on one
/// thread at a time, so it takes no locks.
class rate_limiter {
public:
  using clock = std::chrono::steady_clock;

  /// `limit` < 1 is taken as 1, a `window` under one second as one second.
  rate_limiter(uint32_t limit, std::chrono::seconds window);

  /// Counts one attempt for `key` at `now`; returns 0 if allowed, else the
  /// seconds until an attempt would be allowed (in [1, window]), for
  /// Retry-After. `now` must not go backwards by more than a window.
  uint32_t hit(std::string_view key, clock::time_point now);

  /// Forgets `key` (e.g. after a successful login, for the per-account limiter).
  void reset(std::string_view key);

  /// Keys currently tracked, including idle ones not yet purged.
  std::size_t size() const;

private:
  // Heterogeneous lookup, so that hit() and reset() allocate no key string
  // for keys already tracked.
  struct key_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  void purge(clock::time_point now);

  static constexpr std::size_t min_purge_interval = 1024;

  clock::duration interval_; ///< window / limit: the cost of one attempt
  clock::duration burst_;    ///< window - interval_: how far ahead a key may run
  std::chrono::seconds window_;
  std::unordered_map<std::string, clock::time_point, key_hash, std::equal_to<>> full_at_;
  std::size_t hits_since_purge_ = 0;
  std::size_t purge_after_ = min_purge_interval;
};

/// Sign-in attempts per account and per client IP, shared by every actor
/// of a service on the node (on PostgreSQL several run side by side), hence
/// the lock. The limits are per node, by design (a cluster multiplies them
/// by its size).
class login_limits {
public:
  login_limits(uint32_t per_account, uint32_t per_ip, std::chrono::seconds window);

  /// 0 if an attempt is allowed now, else seconds until one is (Retry-After).
  uint32_t hit_ip(std::string_view ip, std::chrono::steady_clock::time_point now);
  uint32_t hit_account(std::string_view account, std::chrono::steady_clock::time_point now);
  void reset_account(std::string_view account);

private:
  std::mutex mtx_;
  rate_limiter per_account_;
  rate_limiter per_ip_;
};

} // namespace weft::auth
