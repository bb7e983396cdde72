#include <algorithm>
#include <charconv>
#include <limits>
#include <sstream>

#include "config/field_table.hpp"

// Reading values of each field type from JSON and from environment strings.
// Messages name what was expected and what came: `expected unsigned integer,
// got string` for JSON, `expected unsigned integer, got "abc"` for text.

namespace weft::config::detail {

namespace {

constexpr uint64_t uint32_max = std::numeric_limits<uint32_t>::max();

std::string quote(std::string_view text) {
  std::string out = "\"";
  out += text;
  out += '"';
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Comma-separated items, trimmed, empty ones dropped (`a, b,` = [a, b]).
std::vector<std::string_view> split_list(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    auto end = comma == std::string_view::npos ? text.size() : comma;
    auto item = trim(text.substr(start, end - start));
    if (!item.empty())
      out.push_back(item);
    start = end + 1;
  }
  return out;
}

bool parse_uint(std::string_view text, uint64_t& out) {
  text = trim(text);
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc{} && ptr == text.data() + text.size();
}

std::string out_of_range(uint64_t v) {
  return "must be in [0, " + std::to_string(uint32_max) + "], got " + std::to_string(v);
}

// `1`, `0.25`: shortest text, no trailing `.0`.
std::string number_text(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

} // namespace

std::string describe_json(const json& j) {
  switch (j.type()) {
    case json::value_t::number_integer: // negative: show it, it is the clue
      return "negative number " + j.dump();
    case json::value_t::number_float:
      return "fractional number " + j.dump();
    case json::value_t::number_unsigned:
      return "number";
    default:
      return j.type_name();
  }
}

// -- JSON ---------------------------------------------------------------------

void read_json(const json& j, std::string& out, const std::string& path, sink& s) {
  if (!j.is_string())
    return s.add(path, "expected string, got " + describe_json(j));
  out = j.get<std::string>();
}

void read_json(const json& j, uint32_t& out, const std::string& path, sink& s) {
  if (!j.is_number_unsigned())
    return s.add(path, "expected unsigned integer, got " + describe_json(j));
  auto v = j.get<uint64_t>();
  if (v > uint32_max)
    return s.add(path, out_of_range(v));
  out = static_cast<uint32_t>(v);
}

void read_json(const json& j, bool& out, const std::string& path, sink& s) {
  if (!j.is_boolean())
    return s.add(path, "expected boolean, got " + describe_json(j));
  out = j.get<bool>();
}

void read_json(const json& j, double& out, const std::string& path, sink& s) {
  if (!j.is_number())
    return s.add(path, "expected number, got " + describe_json(j));
  out = j.get<double>();
}

template <class T>
void read_json_list(const json& j, std::vector<T>& out, const char* what,
                    const std::string& path, sink& s) {
  if (!j.is_array())
    return s.add(path, std::string{"expected array of "} + what + ", got " + describe_json(j));
  std::vector<T> result(j.size());
  for (size_t i = 0; i < j.size(); ++i)
    read_json(j[i], result[i], path + "[" + std::to_string(i) + "]", s);
  out = std::move(result);
}

void read_json(const json& j, std::vector<std::string>& out, const std::string& path,
               sink& s) {
  read_json_list(j, out, "strings", path, s);
}

void read_json(const json& j, std::vector<uint32_t>& out, const std::string& path, sink& s) {
  read_json_list(j, out, "unsigned integers", path, s);
}

// -- environment text ---------------------------------------------------------

void read_text(std::string_view text, std::string& out, const std::string&, sink&) {
  out = std::string{text};
}

void read_text(std::string_view text, uint32_t& out, const std::string& path, sink& s) {
  uint64_t v = 0;
  if (!parse_uint(text, v))
    return s.add(path, "expected unsigned integer, got " + quote(text));
  if (v > uint32_max)
    return s.add(path, out_of_range(v));
  out = static_cast<uint32_t>(v);
}

void read_text(std::string_view text, bool& out, const std::string& path, sink& s) {
  auto t = lower(trim(text));
  if (t == "true" || t == "1" || t == "yes" || t == "on")
    out = true;
  else if (t == "false" || t == "0" || t == "no" || t == "off")
    out = false;
  else
    s.add(path, "expected boolean (true/false, 1/0, yes/no, on/off), got " + quote(text));
}

void read_text(std::string_view text, double& out, const std::string& path, sink& s) {
  auto t = trim(text);
  double v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc{} || ptr != t.data() + t.size() || v != v)
    return s.add(path, "expected number, got " + quote(text));
  out = v;
}

void read_text(std::string_view text, std::vector<std::string>& out, const std::string&,
               sink&) {
  out.clear();
  for (auto item : split_list(text))
    out.emplace_back(item);
}

void read_text(std::string_view text, std::vector<uint32_t>& out, const std::string& path,
               sink& s) {
  std::vector<uint32_t> result;
  for (auto item : split_list(text)) {
    uint64_t v = 0;
    if (!parse_uint(item, v) || v > uint32_max)
      return s.add(path, "expected comma-separated unsigned integers, got " + quote(text));
    result.push_back(static_cast<uint32_t>(v));
  }
  out = std::move(result);
}

// -- validators ---------------------------------------------------------------

check_fn<uint32_t> range(uint32_t lo, uint32_t hi) {
  return [lo, hi](uint32_t v, const std::string& path, sink& s) {
    if (v < lo || v > hi)
      s.add(path, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got "
                    + std::to_string(v));
  };
}

check_fn<uint32_t> at_least(uint32_t lo) {
  return [lo](uint32_t v, const std::string& path, sink& s) {
    if (v < lo)
      s.add(path, "must be at least " + std::to_string(lo) + ", got " + std::to_string(v));
  };
}

check_fn<double> real_range(double lo, double hi) {
  return [lo, hi](double v, const std::string& path, sink& s) {
    if (!(v >= lo && v <= hi)) // also catches NaN
      s.add(path, "must be in [" + number_text(lo) + ", " + number_text(hi) + "], got "
                    + number_text(v));
  };
}

check_fn<std::string> not_empty() {
  return [](const std::string& v, const std::string& path, sink& s) {
    if (v.empty())
      s.add(path, "must not be empty");
  };
}

check_fn<std::string> empty_or_at_least_bytes(size_t n) {
  return [n](const std::string& v, const std::string& path, sink& s) {
    if (!v.empty() && v.size() < n)
      s.add(path, "must be empty or at least " + std::to_string(n) + " bytes, got "
                    + std::to_string(v.size()) + " bytes");
  };
}

namespace {

std::string set_text(const std::vector<std::string>& allowed) {
  std::string out = "{";
  for (size_t i = 0; i < allowed.size(); ++i)
    out += (i ? ", " : "") + allowed[i];
  return out + "}";
}

bool contains(const std::vector<std::string>& xs, const std::string& x) {
  for (const auto& y : xs)
    if (y == x)
      return true;
  return false;
}

} // namespace

check_fn<std::string> one_of(std::vector<std::string> allowed) {
  return [allowed](const std::string& v, const std::string& path, sink& s) {
    if (!contains(allowed, v))
      s.add(path, "must be one of " + set_text(allowed) + ", got " + quote(v));
  };
}

check_fn<std::vector<std::string>> each_one_of(std::vector<std::string> allowed) {
  return [allowed](const std::vector<std::string>& xs, const std::string& path, sink& s) {
    for (size_t i = 0; i < xs.size(); ++i) {
      auto item = path + "[" + std::to_string(i) + "]";
      if (!contains(allowed, xs[i]))
        s.add(item, "must be one of " + set_text(allowed) + ", got " + quote(xs[i]));
      else if (std::find(xs.begin(), xs.begin() + i, xs[i]) != xs.begin() + i)
        s.add(item, "duplicate " + quote(xs[i]));
    }
  };
}

check_fn<std::vector<uint32_t>> non_empty_list() {
  return [](const std::vector<uint32_t>& v, const std::string& path, sink& s) {
    if (v.empty())
      s.add(path, "must not be empty");
  };
}

} // namespace weft::config::detail
