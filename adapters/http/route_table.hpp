#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/registry.hpp"
#include "runtime/route.hpp"
#include "runtime/service.hpp"

namespace weft::http {

/// Endpoints the adapter answers itself, on the I/O thread.
enum class builtin : uint8_t { none, live, ready, version, openapi, events, services, asyncapi };

/// One servable (method, path template): a declared route or a built-in.
struct route_entry {
  http_method method = http_method::get;
  std::string path_template;         ///< `/v1/users/{id}`, the metrics label
  const route_decl* decl = nullptr;  ///< null for built-ins
  builtin kind = builtin::none;
  std::string service;               ///< owning service, empty for built-ins
  const service_slot* slot = nullptr; ///< where its service answers; null: the edge answers
};

/// What matching a request found.
struct route_match {
  enum status_t { found, no_path, no_method } status = no_path;
  const route_entry* route = nullptr;        ///< set when found
  std::map<std::string, std::string> params; ///< decoded `{name}` values
  std::string allow;                         ///< `GET, POST` when no_method
};

/// Maps (method, path) to routes. Built once at start, then read-only, so
/// any number of I/O threads match concurrently without locks.
class route_table {
public:
  /// Adds one servable route; a duplicate (method, template) is ignored and
  /// reported by returning false.
  bool add(route_entry entry);

  /// Adds every route of the registry's services at `/v<n><path>`, and the
  /// latest version of each (method, path) also at `<path>`, each with the
  /// slot of the service that answers it. Returns the duplicates skipped.
  std::vector<std::string> add_services(const service_registry& registry);

  /// Adds the built-ins: health, version and OpenAPI (with aliases).
  void add_builtins();

  /// Finds the route for `method` (nullopt: a method we never serve) and a
  /// percent-encoded `path` without query. The most specific template wins:
  /// literal segments before `{params}`, left to right.
  route_match match(std::optional<http_method> method, std::string_view path) const;

  /// Every entry, in insertion order.
  const std::vector<std::unique_ptr<route_entry>>& entries() const {
    return entries_;
  }

private:
  struct segment {
    std::string text; ///< literal text, or the parameter's name
    bool is_param = false;
  };
  struct node {
    std::string path_template;
    std::vector<segment> segments;
    std::array<const route_entry*, 5> by_method{};
  };

  static std::vector<segment> parse_template(std::string_view tmpl);
  static bool more_specific(const node& a, const node& b);

  std::vector<std::unique_ptr<route_entry>> entries_;
  std::vector<node> nodes_; ///< sorted, most specific first
};

} // namespace weft::http
