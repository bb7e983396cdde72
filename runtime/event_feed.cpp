#include "runtime/event_feed.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace weft {

event_feed::event_feed(std::string epoch, std::size_t history, std::chrono::milliseconds coalesce)
  : epoch_(std::move(epoch)), history_(std::max<std::size_t>(history, 1)), coalesce_(coalesce) {
  thread_ = std::thread{[this] { pump(); }};
}

event_feed::~event_feed() {
  stop();
}

void event_feed::stop() {
  {
    std::lock_guard<std::mutex> lk{mtx_};
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

void event_feed::append(feed_event e) {
  // Formatted once here, not once per reader.
  e.frame.reserve(e.json.size() + e.type.size() + epoch_.size() + 48);
  e.frame += "id: ";
  e.frame += feed_position_id(epoch_, e.position);
  e.frame += "\nevent: ";
  e.frame += e.type;
  e.frame += "\ndata: ";
  e.frame += e.json;
  e.frame += "\n\n";
  e.json = {};
  auto p = std::make_shared<const feed_event>(std::move(e));
  bool wake = false;
  {
    std::lock_guard<std::mutex> lk{mtx_};
    if (p->position <= last_)
      return; // a source that restarted behind us: already here
    last_ = p->position;
    ring_.push_back(std::move(p));
    if (ring_.size() > history_)
      ring_.pop_front();
    wake = !dirty_;
    dirty_ = true;
  }
  if (wake)
    cv_.notify_one();
}

event_feed::slice event_feed::read(uint64_t after, std::size_t max) const {
  slice out;
  std::lock_guard<std::mutex> lk{mtx_};
  out.last = last_;
  if (ring_.empty())
    return out;
  out.oldest = ring_.front()->position;
  // Positions increase along the ring: binary search for the first after.
  auto it = std::upper_bound(ring_.begin(), ring_.end(), after,
                             [](uint64_t a, const feed_event_ptr& e) { return a < e->position; });
  for (; it != ring_.end() && out.events.size() < max; ++it)
    out.events.push_back(*it);
  return out;
}

uint64_t event_feed::last() const {
  std::lock_guard<std::mutex> lk{mtx_};
  return last_;
}

void event_feed::watch(std::weak_ptr<feed_watcher> w) {
  std::lock_guard<std::mutex> lk{mtx_};
  watchers_.push_back(std::move(w));
}

void event_feed::pump() {
  std::unique_lock<std::mutex> lk{mtx_};
  for (;;) {
    cv_.wait(lk, [this] { return dirty_ || stop_; });
    if (stop_)
      return;
    dirty_ = false;
    std::vector<std::shared_ptr<feed_watcher>> live;
    live.reserve(watchers_.size());
    std::erase_if(watchers_, [&](const std::weak_ptr<feed_watcher>& w) {
      auto s = w.lock();
      if (!s)
        return true;
      live.push_back(std::move(s));
      return false;
    });
    lk.unlock();
    for (auto& w : live)
      w->wake();
    live.clear();
    // Whatever arrives meanwhile waits for the next round: one wake-up per
    // interval at most.
    std::this_thread::sleep_for(coalesce_);
    lk.lock();
  }
}

std::string feed_position_id(std::string_view epoch, uint64_t position) {
  std::string out{epoch};
  out += '-';
  out += std::to_string(position);
  return out;
}

std::optional<uint64_t> stream_position_of(std::string_view text) {
  if (text == "earliest")
    return uint64_t{0};
  uint64_t seq = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seq);
  if (!text.empty() && ec == std::errc{} && end == text.data() + text.size())
    return seq;
  if (auto p = parse_feed_position(text))
    return p->position;
  return std::nullopt;
}

std::optional<feed_position> parse_feed_position(std::string_view id) {
  auto dash = id.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == id.size() || id.size() > 64)
    return std::nullopt;
  feed_position out;
  out.epoch.assign(id.substr(0, dash));
  for (char ch : out.epoch)
    if (!std::isalnum(static_cast<unsigned char>(ch)))
      return std::nullopt;
  auto digits = id.substr(dash + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out.position);
  if (ec != std::errc{} || end != digits.data() + digits.size())
    return std::nullopt;
  return out;
}

} // namespace weft
