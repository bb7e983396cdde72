#include "events/catalog.hpp"

namespace weft::events {

bool catalog::contains(std::string_view type) const {
  return entries_.find(type) != entries_.end();
}

const catalog::entry* catalog::find(std::string_view type) const {
  auto i = entries_.find(type);
  return i != entries_.end() ? &i->second : nullptr;
}

std::vector<catalog::entry> catalog::all() const {
  std::vector<catalog::entry> out;
  out.reserve(entries_.size());
  for (const auto& [name, e] : entries_)
    out.push_back(e);
  return out;
}

} // namespace weft::events
