#include <libpq-fe.h>

#include <cstdio>
#include <ctime>

#include "adapters/postgres/params.hpp"
#include "adapters/postgres/result.hpp"

namespace weft::pg {

// -- params -------------------------------------------------------------------

param::param(double d) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  owned_.assign(buf, end);
}

param::param(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
  auto secs = us / 1000000;
  auto frac = us % 1000000;
  if (frac < 0) { // before 1970: floor, not truncate
    frac += 1000000;
    secs -= 1;
  }
  std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(frac));
  owned_ = buf;
}

std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0)
      out += ',';
    out += '"';
    for (char ch : items[i]) {
      if (ch == '"' || ch == '\\')
        out += '\\';
      out += ch;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::optional<std::vector<std::string>> parse_text_array(std::string_view s) {
  if (s.size() < 2 || s.front() != '{' || s.back() != '}')
    return std::nullopt;
  std::vector<std::string> out;
  size_t i = 1;
  const size_t end = s.size() - 1;
  if (i == end)
    return out;
  while (i <= end) {
    std::string item;
    if (s[i] == '"') {
      ++i;
      while (i < end && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < end)
          ++i;
        item += s[i++];
      }
      if (i >= end)
        return std::nullopt; // unterminated quote
      ++i;                   // closing quote
    } else {
      size_t start = i;
      while (i < end && s[i] != ',')
        ++i;
      item.assign(s.substr(start, i - start));
      if (item == "NULL")
        item.clear();
      if (item.find_first_of("{}") != std::string::npos)
        return std::nullopt; // nested arrays are not supported
    }
    out.push_back(std::move(item));
    if (i == end)
      break;
    if (s[i] != ',')
      return std::nullopt;
    ++i;
  }
  return out;
}

// -- result -------------------------------------------------------------------

void result::deleter::operator()(PGresult* r) const {
  PQclear(r);
}

result::result(PGresult* r) : res_(r) {
  // nop
}

int result::rows() const {
  return res_ ? PQntuples(res_.get()) : 0;
}

int result::columns() const {
  return res_ ? PQnfields(res_.get()) : 0;
}

int result::column(std::string_view name) const {
  for (int i = 0; i < columns(); ++i)
    if (name == PQfname(res_.get(), i))
      return i;
  return -1;
}

std::string_view result::column_name(int col) const {
  const char* n = res_ ? PQfname(res_.get(), col) : nullptr;
  return n ? n : "";
}

int64_t result::affected() const {
  const char* n = res_ ? PQcmdTuples(res_.get()) : "";
  int64_t v = 0;
  std::from_chars(n, n + std::char_traits<char>::length(n), v);
  return v;
}

bool result::is_null(int row, int col) const {
  return !res_ || row < 0 || row >= rows() || col < 0 || col >= columns()
         || PQgetisnull(res_.get(), row, col) == 1;
}

std::string_view result::text(int row, int col) const {
  if (is_null(row, col))
    return {};
  return {PQgetvalue(res_.get(), row, col),
          static_cast<size_t>(PQgetlength(res_.get(), row, col))};
}

} // namespace weft::pg
