#include "actors/outbox/pg_relay_state.hpp"

#include "runtime/backoff.hpp"

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
                                 steady_clock::time_point lease_end,
                                 steady_clock::time_point sent) {
  for (auto& row : rows) {
    auto key = lane_key_of(row);
    if (held_back(key, sent)) {
      release(key, row.id);
      continue;
    }
    auto [it, fresh] = lanes.try_emplace(key);
    // A lane that is neither new nor busy is in `ready` already; a busy one
    // goes back there when its row is answered.
    if (fresh)
      ready.push_back(key);
    it->second.rows.push_back(held_row{std::move(row), lease_end});
    ++queued;
  }
}

std::vector<std::string>
pg_relay_state::skipped_subjects(steady_clock::time_point now) const {
  std::vector<std::string> out;
  auto subject = [](const std::string& key) { return !key.empty() && key[0] != '\x01'; };
  for (const auto& [key, l] : lanes)
    if (l.rows.size() >= full_lane() && subject(key))
      out.push_back(key);
  for (const auto& [key, n] : unwritten)
    if (subject(key))
      out.push_back(key);
  for (const auto& [key, until] : expiring)
    if (until > now && subject(key))
      out.push_back(key);
  return out;
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
      // Our leases on them still hold back other relays, not our own claims.
      auto& until = expiring[key];
      for (auto& h : l.rows)
        until = std::max(until, h.lease_end + opts.db_timeout);
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
  for (auto& h : it->second.rows) {
    if (h.lease_end > now) {
      release(lane_key, h.row.id);
    } else { // perhaps somebody else's by now: not ours to release
      auto& until = expiring[lane_key];
      until = std::max(until, h.lease_end + opts.db_timeout);
    }
  }
  queued -= it->second.rows.size();
  lanes.erase(it);
}

bool pg_relay_state::held_back(const std::string& lane_key, steady_clock::time_point sent) {
  if (unwritten.count(lane_key) > 0 || lifted_while_claiming.count(lane_key) > 0)
    return true;
  auto e = expiring.find(lane_key);
  if (e == expiring.end())
    return false;
  if (e->second > sent)
    return true;
  expiring.erase(e);
  return false;
}

void pg_relay_state::release(const std::string& lane_key, int64_t id) {
  unsettled.released.push_back(id);
  settle_lanes.push_back(lane_key);
  ++unwritten[lane_key];
}

void pg_relay_state::record_failure(const std::string& lane_key, pg::outbox_failure f) {
  unsettled.failed.push_back(std::move(f));
  settle_lanes.push_back(lane_key);
  ++unwritten[lane_key];
}

void pg_relay_state::settled(const std::vector<std::string>& written) {
  for (const auto& key : written) {
    auto it = unwritten.find(key);
    if (it == unwritten.end() || --it->second > 0)
      continue;
    unwritten.erase(it);
    if (claiming)
      lifted_while_claiming.insert(key);
  }
}

void pg_relay_state::release_queued(steady_clock::time_point now) {
  for (auto it = lanes.begin(); it != lanes.end();) {
    for (auto& h : it->second.rows)
      if (h.lease_end > now)
        release(it->first, h.row.id);
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
  // `attempts` failed before this one: the retry after failure n uses step n.
  return backoff_delay(opts.backoff_ms, static_cast<uint32_t>(std::max(attempts, 0)) + 1, rng);
}

} // namespace weft::outbox
