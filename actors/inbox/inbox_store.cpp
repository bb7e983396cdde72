#include "actors/inbox/inbox_store.hpp"

namespace weft::inbox {

std::string memory_inbox_store::key(std::string_view consumer, std::string_view event_id) {
  // '\n' cannot occur in a consumer name, so the pair maps to one key.
  std::string k;
  k.reserve(consumer.size() + 1 + event_id.size());
  k.append(consumer).push_back('\n');
  k.append(event_id);
  return k;
}

bool memory_inbox_store::contains(std::string_view consumer, std::string_view event_id) {
  auto k = key(consumer, event_id);
  std::lock_guard<std::mutex> guard{mtx_};
  return ids_.count(k) > 0;
}

void memory_inbox_store::record(std::string_view consumer, std::string_view event_id) {
  auto k = key(consumer, event_id);
  std::lock_guard<std::mutex> guard{mtx_};
  ids_.insert(std::move(k));
}

size_t memory_inbox_store::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return ids_.size();
}

} // namespace weft::inbox
