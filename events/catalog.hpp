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

  /// Registers T as owned by `service`; a second add of the type replaces it.
  template <typed_event T>
  void add(std::string service) {
    entries_[std::string{T::type_name}] = entry{std::string{T::type_name}, T::version,
                                                std::move(service)};
  }

  /// True if the type is registered.
  bool contains(std::string_view type) const;
  /// The entry of a type, or nullptr.
  const entry* find(std::string_view type) const;
  /// Every entry, ordered by type name.
  std::vector<entry> all() const;
  /// How many types are registered.
  size_t size() const { return entries_.size(); }

private:
  std::map<std::string, entry, std::less<>> entries_;
};

} // namespace weft::events
