#include "config/loader.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/section.hpp"

extern char** environ;

// Order: defaults, then the JSON file, then the environment, then validation
// of the result. Every step records problems and carries on, so the user
// sees all of them in one run. A value set from the environment remembers
// its variable, so a validation problem names the variable too.

namespace weft::config {

namespace {

using detail::json;
using detail::section;
using detail::sink;

// Not settings: scripts pass them around (the config file, the binary).
constexpr const char* ignored_vars[] = {"WEFT_CONFIG", "WEFT_BINARY"};

std::string upper(std::string s) {
  for (auto& c : s)
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
  return s;
}

bool blank(const std::string& s) {
  return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

const section* find_section(const schema_extension* ext, std::string_view name) {
  for (const auto* sec : detail::all_sections(ext))
    if (sec->name == name)
      return sec;
  return nullptr;
}

void read_file_json(const std::string& text, settings& out, sink& s) {
  if (blank(text))
    return;
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) { // parse_error, out_of_range (1e999)
    // The message names the line and column of the first error; drop
    // nlohmann's `[json.exception.parse_error.101] ` tag.
    std::string what = e.what();
    if (auto tag = what.find("] "); what.starts_with("[json.exception") && tag != what.npos)
      what.erase(0, tag + 2);
    return s.add("", "malformed JSON: " + what);
  }
  if (!j.is_object())
    return s.add("", "expected a JSON object of sections, got " + detail::describe_json(j));
  for (const auto& [name, value] : j.items()) {
    const section* sec = find_section(out.extension.get(), name);
    if (sec == nullptr)
      s.add(name, "unknown key");
    else
      detail::read_object(value, out, sec->fields, name, s);
  }
}

using origins = detail::origin_map;

// A variable that could not be read leaves the file's value, so it does not
// become that value's origin.
/// True for valid UTF-8: the settings are JSON, which cannot hold anything
/// else (found by fuzzing: `weft config` then threw on such a value).
bool is_utf8(const std::string& text) {
  try {
    (void)nlohmann::json(text).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

void apply_var(const std::string& var, const std::string& value, const std::string& path,
               const detail::field& f, settings& out, sink& s, origins& from) {
  auto src = s.with_source(var);
  if (!is_utf8(value)) {
    src.add(path, "is not valid UTF-8 text");
    return;
  }
  auto before = src.count();
  f.read_text(out, value, path, src);
  if (src.count() == before)
    from[path] = var;
}

void read_env(const environment& env, settings& out, sink& s, origins& from) {
  // The conventional names first, so that WEFT_DATABASE_URL / WEFT_NATS_URL win.
  std::map<std::string, std::pair<std::string, const detail::field*>> vars;
  const detail::field* database_url = nullptr;
  const detail::field* nats_url = nullptr;
  for (const auto* sec : detail::all_sections(out.extension.get()))
    for (const auto& f : sec->fields) {
      auto path = sec->name + "." + f.name;
      vars[env_name(path)] = {path, &f};
      if (path == "database.url")
        database_url = &f;
      if (path == "nats.url")
        nats_url = &f;
    }
  if (auto i = env.find("DATABASE_URL"); i != env.end())
    apply_var(i->first, i->second, "database.url", *database_url, out, s, from);
  if (auto i = env.find("NATS_URL"); i != env.end())
    apply_var(i->first, i->second, "nats.url", *nats_url, out, s, from);
  for (const auto& [var, value] : env) {
    if (!var.starts_with("WEFT_"))
      continue;
    if (std::find(std::begin(ignored_vars), std::end(ignored_vars), var)
        != std::end(ignored_vars))
      continue;
    auto i = vars.find(var);
    if (i == vars.end()) {
      s.with_source(var).add("", "unknown variable (no such config key)");
      continue;
    }
    apply_var(var, value, i->second.first, *i->second.second, out, s, from);
  }
}

// node.services names services of the module list (any, without one).
void check_services(const settings& x, sink& s) {
  const auto& xs = x.node.services;
  const auto* ext = x.extension.get();
  if (ext != nullptr) {
    detail::each_one_of(ext->services)(xs, "node.services", s);
    return;
  }
  for (size_t i = 0; i < xs.size(); ++i)
    if (std::find(xs.begin(), xs.begin() + i, xs[i]) != xs.begin() + i)
      s.add("node.services[" + std::to_string(i) + "]", "duplicate \"" + xs[i] + "\"");
}

void validate(const settings& x, std::vector<config_problem>& out, const origins& from) {
  sink s{out, {}, &from};
  for (const auto* sec : detail::all_sections(x.extension.get())) {
    for (const auto& f : sec->fields)
      f.check(x, sec->name + "." + f.name, s);
    if (sec->check)
      sec->check(x, s);
    if (sec->name == "node")
      check_services(x, s);
  }
}

} // namespace

std::string to_string(const config_problem& p) {
  std::string out;
  if (!p.source.empty()) {
    out = p.source;
    if (!p.path.empty())
      out += " (" + p.path + ")";
  } else {
    out = p.path;
  }
  if (!out.empty())
    out += ": ";
  return out + p.message;
}

environment process_environment() {
  environment env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry{*e};
    auto eq = entry.find('=');
    if (eq != std::string_view::npos)
      env.emplace(std::string{entry.substr(0, eq)}, std::string{entry.substr(eq + 1)});
  }
  return env;
}

settings defaults(const std::shared_ptr<const schema_extension>& ext) {
  settings out;
  out.extension = ext;
  if (ext) {
    for (const auto& sec : ext->sections)
      if (sec.init)
        sec.init(out);
    out.node.services = ext->services;
  }
  return out;
}

load_result load(const std::string& json_text, const environment& env,
                 std::shared_ptr<const schema_extension> ext) {
  load_result res;
  res.value = defaults(ext);
  sink s{res.problems};
  origins from;
  read_file_json(json_text, res.value, s);
  read_env(env, res.value, s, from);
  validate(res.value, res.problems, from);
  return res;
}

load_result load_file(const std::string& path, const environment& env,
                      std::shared_ptr<const schema_extension> ext) {
  std::ifstream in{path, std::ios::binary};
  if (!in) {
    load_result res;
    res.problems.push_back({"", std::string{"cannot read: "} + std::strerror(errno), path});
    return res;
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto res = load(text.str(), env, std::move(ext));
  for (auto& p : res.problems)
    if (p.path.empty() && p.source.empty())
      p.source = path; // `weft.json: malformed JSON: ...`
  return res;
}

std::string dump(const settings& x, bool redact) {
  // ordered_json: sections and keys in schema order, as in the example file.
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto* sec : detail::all_sections(x.extension.get())) {
    auto& obj = out[sec->name] = nlohmann::ordered_json::object();
    for (const auto& f : sec->fields) {
      auto v = f.write_json(x);
      if (redact && f.secret && v.is_string() && !v.get<std::string>().empty())
        v = "<redacted>";
      // Dotted names are nested objects, as in the file.
      auto* at = &obj;
      std::string_view name = f.name;
      for (auto dot = name.find('.'); dot != name.npos; dot = name.find('.')) {
        at = &(*at)[std::string{name.substr(0, dot)}];
        name.remove_prefix(dot + 1);
      }
      (*at)[std::string{name}] = nlohmann::ordered_json::parse(v.dump());
    }
  }
  return out.dump(2);
}

std::vector<std::string> key_paths(const schema_extension* ext) {
  std::vector<std::string> out;
  for (const auto* sec : detail::all_sections(ext))
    for (const auto& f : sec->fields)
      out.push_back(sec->name + "." + f.name);
  return out;
}

std::string env_name(const std::string& key_path) {
  auto name = upper(key_path);
  for (auto& c : name)
    if (c == '.')
      c = '_';
  return "WEFT_" + name;
}

} // namespace weft::config
