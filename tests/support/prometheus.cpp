#include "tests/support/prometheus.hpp"

#include <cstdlib>
#include <sstream>

namespace weft::test {

namespace {

// Parses `k="v",k2="v2"` (with \" \\ \n escapes) starting after '{'; returns
// the position after '}'.
size_t parse_labels(const std::string& line, size_t pos, std::map<std::string, std::string>& out) {
  while (pos < line.size() && line[pos] != '}') {
    while (pos < line.size() && (line[pos] == ',' || line[pos] == ' '))
      ++pos;
    if (pos < line.size() && line[pos] == '}')
      break;
    auto eq = line.find('=', pos);
    if (eq == std::string::npos)
      return line.size();
    std::string key = line.substr(pos, eq - pos);
    pos = eq + 1;
    if (pos >= line.size() || line[pos] != '"')
      return line.size();
    ++pos;
    std::string value;
    while (pos < line.size() && line[pos] != '"') {
      if (line[pos] == '\\' && pos + 1 < line.size()) {
        char c = line[pos + 1];
        value += c == 'n' ? '\n' : c;
        pos += 2;
      } else {
        value += line[pos++];
      }
    }
    ++pos; // closing quote
    out.emplace(std::move(key), std::move(value));
  }
  return pos < line.size() ? pos + 1 : pos;
}

} // namespace

std::vector<metric_sample> parse_metrics(const std::string& text) {
  std::vector<metric_sample> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    metric_sample s;
    size_t pos = line.find_first_of("{ ");
    if (pos == std::string::npos)
      continue;
    s.name = line.substr(0, pos);
    if (line[pos] == '{')
      pos = parse_labels(line, pos + 1, s.labels);
    while (pos < line.size() && line[pos] == ' ')
      ++pos;
    if (pos >= line.size())
      continue;
    s.value = std::strtod(line.c_str() + pos, nullptr);
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<double> metric_sum(const std::string& text, std::string_view name,
                                 const std::map<std::string, std::string>& match) {
  std::optional<double> sum;
  for (auto& s : parse_metrics(text)) {
    if (s.name != name)
      continue;
    if (!sum)
      sum = 0.0;
    bool all = true;
    for (auto& [k, v] : match) {
      auto it = s.labels.find(k);
      if (it == s.labels.end() || it->second != v) {
        all = false;
        break;
      }
    }
    if (all)
      *sum += s.value;
  }
  return sum;
}

} // namespace weft::test
