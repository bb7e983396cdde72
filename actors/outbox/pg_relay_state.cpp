#include "actors/outbox/pg_relay_state.hpp"

#include <algorithm>
#include <utility>

namespace weft::outbox {

namespace {

/// Rows without a subject promise no order: each is a lane of its own ('\x01'
/// cannot start a subject a repository writes).
std::string lane_key_of(const pg::outbox_row& row) {
  if (!row.subject.empty())
    return row.subject;
  return "\x01" + std::to_string(row.id);
}

} // namespace

void pg_relay_state::add_claimed(std::vector<pg::outbox_row> rows,
                                 steady_clock::time_point lease_end) {
  for (auto& row : rows) {
    auto key = lane_key_of(row);
    auto [it, fresh] = lanes.try_emplace(key);
    // A lane that is neither new nor busy is in `ready` already; a busy one
    // goes back there when its row is answered.
    if (fresh)
      ready.push_back(key);
    it->second.rows.push_back(held_row{std::move(row), lease_end});
    ++queued;
  }
}

bool pg_relay_state::next_row(held_row& out, std::string& lane_key,
                              steady_clock::time_point now) {
  while (!ready.empty()) {
    auto key = std::move(ready.front());
    ready.pop_front();
    auto it = lanes.find(key);
    if (it == lanes.end() || it->second.busy || it->second.rows.empty())
      continue;
    auto& l = it->second;
    if (l.rows.front().lease_end < now + opts.publish_timeout) {
      queued -= l.rows.size();
      lanes.erase(it);
      continue;
    }
    out = std::move(l.rows.front());
    l.rows.pop_front();
    --queued;
    l.busy = true;
    lane_key = std::move(key);
    return true;
  }
  return false;
}

void pg_relay_state::lane_done(const std::string& lane_key) {
  auto it = lanes.find(lane_key);
  if (it == lanes.end())
    return;
  it->second.busy = false;
  if (it->second.rows.empty())
    lanes.erase(it);
  else
    ready.push_back(lane_key);
}

void pg_relay_state::lane_failed(const std::string& lane_key, steady_clock::time_point now) {
  auto it = lanes.find(lane_key);
  if (it == lanes.end())
    return;
  for (auto& h : it->second.rows)
    if (h.lease_end > now)
      unsettled.released.push_back(h.row.id);
  queued -= it->second.rows.size();
  lanes.erase(it);
}

void pg_relay_state::release_queued(steady_clock::time_point now) {
  for (auto it = lanes.begin(); it != lanes.end();) {
    for (auto& h : it->second.rows)
      if (h.lease_end > now)
        unsettled.released.push_back(h.row.id);
    queued -= it->second.rows.size();
    it->second.rows.clear();
    if (it->second.busy)
      ++it;
    else
      it = lanes.erase(it);
  }
  ready.clear();
}

std::chrono::milliseconds pg_relay_state::retry_delay(int32_t attempts) {
  if (opts.backoff_ms.empty())
    return std::chrono::milliseconds{0};
  auto idx = std::min<size_t>(static_cast<size_t>(std::max(attempts, 0)),
                              opts.backoff_ms.size() - 1);
  std::uniform_real_distribution<double> jitter{0.8, 1.2};
  return std::chrono::milliseconds{
    static_cast<int64_t>(opts.backoff_ms[idx] * jitter(rng))};
}

} // namespace weft::outbox
