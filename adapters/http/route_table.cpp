#include "adapters/http/route_table.hpp"

#include <algorithm>
#include <memory>

#include "adapters/http/parsing.hpp"

namespace weft::http {

namespace {

size_t method_index(http_method m) {
  return static_cast<size_t>(m);
}

// Splits `/a/b/c` into its segments; an empty path or `/` has none. A
// trailing slash is ignored, so `/health/live/` matches `/health/live`.
template <class F>
void for_each_segment(std::string_view path, F f) {
  while (!path.empty() && path.front() == '/')
    path.remove_prefix(1);
  while (!path.empty()) {
    auto slash = path.find('/');
    f(path.substr(0, slash));
    if (slash == std::string_view::npos)
      break;
    path.remove_prefix(slash + 1);
  }
}

} // namespace

std::vector<route_table::segment> route_table::parse_template(std::string_view tmpl) {
  std::vector<segment> out;
  for_each_segment(tmpl, [&](std::string_view s) {
    if (s.size() >= 2 && s.front() == '{' && s.back() == '}')
      out.push_back({std::string{s.substr(1, s.size() - 2)}, true});
    else
      out.push_back({std::string{s}, false});
  });
  return out;
}

bool route_table::more_specific(const node& a, const node& b) {
  auto n = std::min(a.segments.size(), b.segments.size());
  for (size_t i = 0; i < n; ++i)
    if (a.segments[i].is_param != b.segments[i].is_param)
      return !a.segments[i].is_param;
  return a.segments.size() < b.segments.size();
}

bool route_table::add(route_entry entry) {
  auto segs = parse_template(entry.path_template);
  auto same_shape = [&](const node& n) {
    if (n.segments.size() != segs.size())
      return false;
    for (size_t i = 0; i < segs.size(); ++i)
      if (n.segments[i].is_param != segs[i].is_param
          || (!segs[i].is_param && n.segments[i].text != segs[i].text))
        return false;
    return true;
  };
  auto i = std::find_if(nodes_.begin(), nodes_.end(), same_shape);
  if (i == nodes_.end()) {
    // Nodes stay sorted, most specific first, a new one after its equals
    // (as a stable sort would put it): one insertion, not a sort per route,
    // which a schema with a thousand routes would feel at start.
    node n;
    n.path_template = entry.path_template;
    n.segments = std::move(segs);
    i = nodes_.insert(std::upper_bound(nodes_.begin(), nodes_.end(), n, more_specific),
                      std::move(n));
  }
  auto& slot = i->by_method[method_index(entry.method)];
  if (slot != nullptr)
    return false;
  entries_.push_back(std::make_unique<route_entry>(std::move(entry)));
  slot = entries_.back().get();
  return true;
}

std::vector<std::string>
route_table::add_services(const service_registry& registry) {
  const auto& services = registry.services();
  auto slot_of = [&](const route_decl& r) {
    return r.edge_only ? nullptr : registry.slot(r.service);
  };
  std::vector<std::string> skipped;
  // Latest version per (method, path) gets the unversioned alias.
  std::map<std::pair<int, std::string>, const route_decl*> latest;
  std::map<const route_decl*, std::string> owner;
  for (auto& svc : services) {
    for (auto& r : svc.routes) {
      owner[&r] = svc.name;
      auto versioned = "/v" + std::to_string(r.version) + r.path;
      if (!add({r.method, versioned, &r, builtin::none, svc.name, slot_of(r)}))
        skipped.push_back(std::string{to_string(r.method)} + " " + versioned);
      auto key = std::make_pair(static_cast<int>(r.method), r.path);
      auto& l = latest[key];
      if (l == nullptr || l->version < r.version)
        l = &r;
    }
  }
  for (auto& [key, r] : latest)
    if (!add({r->method, r->path, r, builtin::none, owner[r], slot_of(*r)}))
      skipped.push_back(std::string{to_string(r->method)} + " " + r->path);
  return skipped;
}

void route_table::add_builtins() {
  add({http_method::get, "/health/live", nullptr, builtin::live, {}});
  add({http_method::get, "/health/ready", nullptr, builtin::ready, {}});
  add({http_method::get, "/v1/utils/version", nullptr, builtin::version, {}});
  add({http_method::get, "/utils/version", nullptr, builtin::version, {}});
  add({http_method::get, "/v1/openapi.json", nullptr, builtin::openapi, {}});
  add({http_method::get, "/openapi.json", nullptr, builtin::openapi, {}});
  add({http_method::get, "/v1/services", nullptr, builtin::services, {}});
  add({http_method::get, "/v1/asyncapi.json", nullptr, builtin::asyncapi, {}});
  add({http_method::get, "/asyncapi.json", nullptr, builtin::asyncapi, {}});
  add({http_method::get, "/services", nullptr, builtin::services, {}});
  add({http_method::get, "/v1/events", nullptr, builtin::events, {}});
  add({http_method::get, "/events", nullptr, builtin::events, {}});
}

route_match route_table::match(std::optional<http_method> method,
                               std::string_view path) const {
  // Segments of the request, as views into `path` (no allocation).
  std::string_view segs[32];
  size_t count = 0;
  bool too_deep = false;
  for_each_segment(path, [&](std::string_view s) {
    if (count < std::size(segs))
      segs[count++] = s;
    else
      too_deep = true;
  });
  route_match result;
  if (too_deep)
    return result;
  unsigned allowed = 0; // methods of every template the path matched
  for (auto& n : nodes_) {
    if (n.segments.size() != count)
      continue;
    bool ok = true;
    for (size_t i = 0; i < count && ok; ++i)
      ok = n.segments[i].is_param ? !segs[i].empty() : n.segments[i].text == segs[i];
    if (!ok)
      continue;
    const route_entry* e = method ? n.by_method[method_index(*method)] : nullptr;
    if (e != nullptr) {
      result.status = route_match::found;
      result.route = e;
      for (size_t i = 0; i < count; ++i)
        if (n.segments[i].is_param)
          result.params.emplace(n.segments[i].text, percent_decode(segs[i], false));
      return result;
    }
    for (size_t m = 0; m < n.by_method.size(); ++m)
      if (n.by_method[m] != nullptr)
        allowed |= 1u << m;
  }
  if (allowed != 0) {
    result.status = route_match::no_method;
    for (size_t m = 0; m < 5; ++m) {
      if ((allowed & (1u << m)) == 0)
        continue;
      if (!result.allow.empty())
        result.allow += ", ";
      result.allow += to_string(static_cast<http_method>(m));
    }
  }
  return result;
}

} // namespace weft::http
