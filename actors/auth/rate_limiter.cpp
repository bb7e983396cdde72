#include "actors/auth/rate_limiter.hpp"

#include <algorithm>

namespace weft::auth {

rate_limiter::rate_limiter(uint32_t limit, std::chrono::seconds window)
  : window_(std::max(window, std::chrono::seconds{1})) {
  limit = std::max<uint32_t>(limit, 1);
  interval_ = std::chrono::duration_cast<clock::duration>(window_) / limit;
  burst_ = std::chrono::duration_cast<clock::duration>(window_) - interval_;
}

uint32_t rate_limiter::hit(std::string_view key, clock::time_point now) {
  if (++hits_since_purge_ >= purge_after_)
    purge(now);
  auto i = full_at_.find(key);
  // A key we do not track has a full bucket.
  auto full_at = i == full_at_.end() ? now : std::max(i->second, now);
  auto ahead = full_at - now;
  if (ahead > burst_) {
    // Wait until the bucket has room for one attempt, rounded up to seconds.
    auto wait = std::chrono::ceil<std::chrono::seconds>(ahead - burst_);
    return static_cast<uint32_t>(std::clamp(wait, std::chrono::seconds{1}, window_).count());
  }
  if (i == full_at_.end())
    full_at_.emplace(std::string{key}, full_at + interval_);
  else
    i->second = full_at + interval_;
  return 0;
}

void rate_limiter::reset(std::string_view key) {
  if (auto i = full_at_.find(key); i != full_at_.end())
    full_at_.erase(i);
}

std::size_t rate_limiter::size() const {
  return full_at_.size();
}

void rate_limiter::purge(clock::time_point now) {
  hits_since_purge_ = 0;
  std::erase_if(full_at_, [now](const auto& kv) { return kv.second <= now; });
  // The next scan waits for as many hits as keys survived this one: each scan
  // then costs O(1) per hit, and at most that many keys can be added meanwhile.
  purge_after_ = std::max(min_purge_interval, full_at_.size());
}

login_limits::login_limits(uint32_t per_account, uint32_t per_ip, std::chrono::seconds window)
  : per_account_(per_account, window), per_ip_(per_ip, window) {
}

uint32_t login_limits::hit_ip(std::string_view ip, std::chrono::steady_clock::time_point now) {
  std::lock_guard<std::mutex> guard{mtx_};
  return per_ip_.hit(ip, now);
}

uint32_t login_limits::hit_account(std::string_view account,
                                   std::chrono::steady_clock::time_point now) {
  std::lock_guard<std::mutex> guard{mtx_};
  return per_account_.hit(account, now);
}

void login_limits::reset_account(std::string_view account) {
  std::lock_guard<std::mutex> guard{mtx_};
  per_account_.reset(account);
}

} // namespace weft::auth
