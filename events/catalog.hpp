#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "events/typed_event.hpp"

namespace weft::events {

/// The event types a node knows: name, schema version, owning service.
class catalog {
public:
  struct entry {
    std::string type;
    int version;
    std::string service;
  };

  template <typed_event T>
  void add(std::string service) {
    entries_[std::string{T::type_name}] = entry{std::string{T::type_name}, T::version,
                                                std::move(service)};
  }

  bool contains(std::string_view type) const;
  const entry* find(std::string_view type) const;
  std::vector<entry> all() const;

private:
  std::map<std::string, entry, std::less<>> entries_;
};

} // namespace weft::events
