#include <utility> // before Asio/Beast: Boost 1.74 + g++12 (notes §3)

#include "adapters/http/wire.hpp"

#include <charconv>
#include <ctime>
#include <ostream> // boost::string_view needs it complete

#include <boost/beast/http/status.hpp>

namespace weft::http::wire {

namespace {

template <class Int>
void append_number(std::string& out, Int n) {
  char digits[24];
  auto res = std::to_chars(digits, digits + sizeof(digits), n);
  out.append(digits, res.ptr);
}

} // namespace

void status_line(std::string& out, int status) {
  out += "HTTP/1.1 ";
  append_number(out, status);
  out += ' ';
  auto reason = boost::beast::http::obsolete_reason(
    static_cast<boost::beast::http::status>(status));
  out.append(reason.data(), reason.size());
  out += "\r\n";
}

void date_header(std::string& out) {
  struct cache {
    std::time_t second = -1;
    char text[64];
    size_t len = 0;
  };
  thread_local cache c;
  auto now = std::time(nullptr);
  if (now != c.second) {
    std::tm tm;
    gmtime_r(&now, &tm);
    c.len = std::strftime(c.text, sizeof(c.text), "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
    c.second = now;
  }
  out.append(c.text, c.len);
}

namespace {

void append_clean(std::string& out, std::string_view s) {
  for (char ch : s)
    if (ch != '\r' && ch != '\n')
      out += ch;
}

} // namespace

void header(std::string& out, std::string_view name, std::string_view value) {
  append_clean(out, name);
  out += ": ";
  if (value.find_first_of("\r\n") == std::string_view::npos)
    out.append(value.data(), value.size());
  else
    append_clean(out, value);
  out += "\r\n";
}

void content_length(std::string& out, size_t n) {
  out += "Content-Length: ";
  append_number(out, n);
  out += "\r\n";
}

} // namespace weft::http::wire
