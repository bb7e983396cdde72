#include "adapters/http/parsing.hpp"

#include <charconv>
#include <cstdlib>
#include <random>

#include <nlohmann/json.hpp>

namespace weft::http {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

} // namespace

nlohmann::json typed_query(const nlohmann::json& schema,
                           const std::map<std::string, std::string>& query,
                           std::vector<wire::violation>& violations) {
  nlohmann::json out = nlohmann::json::object();
  auto props = schema.find("properties");
  if (props == schema.end() || !props->is_object())
    return out;
  // A closed query (the schema-driven listings: a misspelt filter would
  // silently list everything) refuses parameters it does not name.
  if (auto ap = schema.find("additionalProperties");
      ap != schema.end() && ap->is_boolean() && !ap->get<bool>())
    for (const auto& [name, value] : query)
      if (!props->contains(name) && name != "access_token")
        violations.push_back({"/" + name, name + " is not a parameter of this route"});
  for (const auto& item : props->items()) {
    const auto& name = item.key(); // (not a structured binding: clang 14 cannot capture one)
    const auto& sub = item.value();
    auto q = query.find(name);
    if (q == query.end() || q->second.empty())
      continue;
    const auto& text = q->second;
    auto t = sub.value("type", std::string{"string"});
    auto bad = [&](const char* what) {
      violations.push_back({"/" + name, name + " must be " + what});
    };
    if (t == "integer") {
      int64_t v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc{} || end != text.data() + text.size())
        bad("an integer");
      else
        out[name] = v;
    } else if (t == "number") {
      char* end = nullptr;
      double v = std::strtod(text.c_str(), &end);
      if (end != text.c_str() + text.size())
        bad("a number");
      else
        out[name] = v;
    } else if (t == "boolean") {
      if (text == "true" || text == "false")
        out[name] = text == "true";
      else
        bad("true or false");
    } else if (t == "array") {
      auto arr = nlohmann::json::array();
      size_t start = 0;
      while (start <= text.size()) {
        auto comma = text.find(',', start);
        arr.push_back(text.substr(start, comma == std::string::npos ? std::string::npos
                                                                     : comma - start));
        if (comma == std::string::npos)
          break;
        start = comma + 1;
      }
      out[name] = std::move(arr);
    } else {
      out[name] = text;
    }
  }
  return out;
}

std::string percent_decode(std::string_view in, bool plus_as_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%' && i + 2 < in.size()) {
      int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += (plus_as_space && c == '+') ? ' ' : c;
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty())
      continue;
    auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    auto value = eq == std::string_view::npos ? std::string{}
                                              : percent_decode(pair.substr(eq + 1), true);
    out.emplace(std::move(key), std::move(value)); // emplace keeps the first
  }
  return out;
}

void split_target(std::string_view target, std::string_view& path,
                  std::string_view& query) {
  auto q = target.find('?');
  if (q == std::string_view::npos) {
    path = target;
    query = {};
  } else {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }
  // A fragment never belongs on the wire, but ignore one if a client sends it.
  if (auto h = query.find('#'); h != std::string_view::npos)
    query = query.substr(0, h);
  if (auto h = path.find('#'); h != std::string_view::npos)
    path = path.substr(0, h);
}

bool json_depth_ok(std::string_view json, uint32_t max_depth) {
  uint32_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : json) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '{':
      case '[':
        if (++depth > max_depth)
          return false;
        break;
      case '}':
      case ']':
        if (depth > 0)
          --depth;
        break;
      default:
        break;
    }
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i]))
      return false;
  return true;
}

bool is_json_content_type(std::string_view value) {
  auto semi = value.find(';');
  return iequals(trim(value.substr(0, semi)), "application/json");
}

bool is_sane_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128)
    return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '.' || c == '_' || c == '-';
    if (!ok)
      return false;
  }
  return true;
}

std::string make_request_id() {
  // splitmix64 over a per-thread random seed: fast, unique enough for ids.
  thread_local uint64_t state = [] {
    std::random_device rd;
    return (uint64_t{rd()} << 32) ^ rd();
  }();
  auto next = [] {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  uint64_t hi = next(), lo = next();
  hi = (hi & ~uint64_t{0xF000}) | 0x4000;                     // version 4
  lo = (lo & ~(uint64_t{0xC} << 60)) | (uint64_t{0x8} << 60); // variant 10
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(36, '-');
  size_t pos = 0;
  auto put = [&](uint64_t v, int nibbles) {
    for (int i = nibbles - 1; i >= 0; --i) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23)
        ++pos;
      out[pos++] = digits[(v >> (i * 4)) & 0xF];
    }
  };
  put(hi, 16);
  put(lo, 16);
  return out;
}

std::string_view bearer_token(std::string_view authorization) {
  authorization = trim(authorization);
  if (authorization.size() < 7 || !iequals(authorization.substr(0, 6), "bearer")
      || (authorization[6] != ' ' && authorization[6] != '\t'))
    return {};
  return trim(authorization.substr(7));
}

std::map<std::string, std::string> parse_cookies(std::string_view header) {
  std::map<std::string, std::string> out;
  while (!header.empty()) {
    auto end = header.find(';');
    auto pair = trim(header.substr(0, end));
    header = end == header.npos ? std::string_view{} : header.substr(end + 1);
    auto eq = pair.find('=');
    if (eq == pair.npos || eq == 0)
      continue;
    auto name = trim(pair.substr(0, eq));
    auto value = trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    out.emplace(std::string{name}, std::string{value});
  }
  return out;
}

std::string_view session_cookie_token(const std::map<std::string, std::string>& cookies,
                                      const std::vector<std::string>& names) {
  for (const auto& name : names)
    if (auto c = cookies.find(name); c != cookies.end() && !c->second.empty())
      return c->second;
  return {};
}

} // namespace weft::http
