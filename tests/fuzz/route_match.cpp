// The route matcher and the request-target parsing on arbitrary targets,
// against the node's real routes (every service module, the outbox admin,
// the consumer control, the built-ins). The first byte picks the method,
// the rest is the target. Properties: a match is a template the path fits
// segment by segment; a path that matches for one method never reads as
// unknown for another; 405 names the methods allowed; the query parses and
// converts against the route's query schema without throwing; the depth
// scan agrees with the JSON parser.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/inbox/consumer_control.hpp"
#include "actors/modules.hpp"
#include "actors/outbox/admin.hpp"
#include "adapters/http/parsing.hpp"
#include "adapters/http/route_table.hpp"
#include "config/loader.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace weft;
using namespace weft::http;

namespace {

struct node_routes {
  service_registry registry;
  route_table table;
  node_routes() {
    auto settings = config::defaults(schema_extension_of(service_modules()));
    for (auto& m : service_modules())
      registry.declare(m.declare(settings));
    registry.declare(outbox::outbox_admin_decl());
    registry.declare(inbox::consumer_control_decl());
    table.add_services(registry);
    table.add_builtins();
  }
};

std::vector<std::string_view> segments_of(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty() && path.front() == '/')
    path.remove_prefix(1);
  while (!path.empty()) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos)
      break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const node_routes node;
  if (size < 1)
    return 0;
  std::optional<http_method> method;
  if (data[0] % 6 < 5)
    method = static_cast<http_method>(data[0] % 6);
  std::string_view target{reinterpret_cast<const char*>(data) + 1, size - 1};
  std::string_view path, query;
  split_target(target, path, query);
  auto m = node.table.match(method, path);
  if (m.status == route_match::found) {
    FUZZ_CHECK(m.route != nullptr);
    auto tmpl = segments_of(m.route->path_template);
    auto segs = segments_of(path);
    FUZZ_CHECK(tmpl.size() == segs.size());
    size_t params = 0;
    for (size_t i = 0; i < tmpl.size(); ++i) {
      if (tmpl[i].size() >= 2 && tmpl[i].front() == '{') {
        ++params;
        FUZZ_CHECK(!segs[i].empty());
        FUZZ_CHECK(m.params.count(std::string{tmpl[i].substr(1, tmpl[i].size() - 2)}) == 1);
      } else {
        FUZZ_CHECK(tmpl[i] == segs[i]);
      }
    }
    FUZZ_CHECK(m.params.size() == params);
    // Any other method finds the path too: a route, or 405 with Allow.
    for (int other = 0; other < 5; ++other) {
      auto o = node.table.match(static_cast<http_method>(other), path);
      FUZZ_CHECK(o.status != route_match::no_path);
    }
    if (m.route->decl != nullptr && !m.route->decl->query_schema.is_null()) {
      std::vector<wire::violation> violations;
      auto q = typed_query(m.route->decl->query_schema, parse_query(query), violations);
      FUZZ_CHECK(q.is_object() || !violations.empty());
    }
  } else if (m.status == route_match::no_method) {
    FUZZ_CHECK(!m.allow.empty());
  }
  parse_query(query);
  percent_decode(target, true);
  is_sane_request_id(target);
  // The depth scan runs before parsing: it must never pass what the parser
  // would nest deeper than allowed.
  auto parsed = nlohmann::json::parse(target, nullptr, false);
  if (!parsed.is_discarded() && json_depth_ok(target, 4)) {
    std::function<int(const nlohmann::json&)> depth = [&](const nlohmann::json& j) {
      int d = 0;
      if (j.is_structured())
        for (auto& c : j)
          d = std::max(d, depth(c));
      return j.is_structured() ? d + 1 : 0;
    };
    FUZZ_CHECK(depth(parsed) <= 4);
  }
  return 0;
}
