#include "events/ids.hpp"

#include <array>
#include <cstdio>
#include <mutex>
#include <random>

namespace weft::events {

namespace {

// ---- UUIDv7 (RFC 9562 §5.7, monotonic per §6.2 method 1) -------------------
//
//  48 bits unix_ts_ms | 4 bits ver=7 | 12 bits rand_a | 2 bits var=10 | 62 bits rand_b
//
// rand_a is a counter: a new millisecond starts it at a random value in the
// lower half (room to count up); the same millisecond increments it. If it
// overflows, or the clock steps back, the timestamp advances past the last
// one used, so ids keep sorting in creation order.

class uuid_v7_source {
public:
  uuid_v7_source() {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    rng_.seed(seq);
  }

  std::array<uint8_t, 16> next() {
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
    uint64_t ms = now > 0 ? static_cast<uint64_t>(now) : 0;
    uint64_t rand_b;
    uint16_t counter;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (ms > last_ms_) {
        last_ms_ = ms;
        counter_ = static_cast<uint16_t>(rng_() & 0x7FF);
      } else if (++counter_ > 0xFFF) {
        ++last_ms_; // borrow from the next millisecond
        counter_ = static_cast<uint16_t>(rng_() & 0x7FF);
      }
      ms = last_ms_;
      counter = counter_;
      rand_b = rng_();
    }
    std::array<uint8_t, 16> b{};
    for (int i = 0; i < 6; ++i)
      b[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
    b[6] = static_cast<uint8_t>(0x70 | (counter >> 8));
    b[7] = static_cast<uint8_t>(counter & 0xFF);
    for (int i = 0; i < 8; ++i)
      b[8 + i] = static_cast<uint8_t>(rand_b >> (56 - 8 * i));
    b[8] = static_cast<uint8_t>(0x80 | (b[8] & 0x3F));
    return b;
  }

private:
  std::mutex mtx_;
  std::mt19937_64 rng_;
  uint64_t last_ms_ = 0;
  uint16_t counter_ = 0;
};

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// ---- civil dates (Howard Hinnant's algorithms, proleptic Gregorian) --------

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

// Reads exactly `n` digits at `pos`.
bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size())
    return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

} // namespace

std::string new_uuid_v7() {
  static uuid_v7_source source;
  auto b = source.next();
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      out += '-';
    out += hex[b[i] >> 4];
    out += hex[b[i] & 0xF];
  }
  return out;
}

bool is_uuid(std::string_view s) {
  if (s.size() != 36)
    return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !is_hex(s[i]))
      return false;
  }
  return true;
}

std::string format_rfc3339_ms(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto ms = floor<milliseconds>(t).time_since_epoch().count();
  int64_t days = ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000;
  int64_t rem = ms - days * 86400000;
  int64_t y;
  unsigned m;
  unsigned d;
  civil_from_days(days, y, m, d);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<long long>(y), m, d, static_cast<int>(rem / 3600000),
                static_cast<int>(rem / 60000 % 60), static_cast<int>(rem / 1000 % 60),
                static_cast<int>(rem % 1000));
  return buf;
}

std::string now_rfc3339_ms() {
  return format_rfc3339_ms(std::chrono::system_clock::now());
}

bool parse_rfc3339(std::string_view s, std::chrono::system_clock::time_point& out) {
  // full-date "T" partial-time time-offset, RFC 3339 §5.6.
  int y, mo, d, h, mi, sec;
  if (!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo)
      || s[7] != '-' || !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't')
      || !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':'
      || !digits(s, 17, 2, sec))
    return false;
  if (mo < 1 || mo > 12 || d < 1 || static_cast<unsigned>(d) > days_in_month(y, mo)
      || h > 23 || mi > 59 || sec > 60) // 60: a leap second
    return false;
  size_t pos = 19;
  int64_t nanos = 0;
  if (s[pos] == '.') {
    size_t start = ++pos;
    int64_t scale = 100000000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      nanos += (s[pos] - '0') * scale; // digits past nanoseconds are dropped
      scale /= 10;
      ++pos;
    }
    if (pos == start)
      return false;
  }
  if (pos >= s.size())
    return false;
  int64_t offset_min = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':'
        || !digits(s, pos + 4, 2, om) || oh > 23 || om > 59)
      return false;
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return false;
  }
  if (pos != s.size())
    return false;
  using namespace std::chrono;
  int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec
                 - offset_min * 60;
  // The clock counts nanoseconds in 64 bits (years 1678 to 2262); RFC 3339
  // allows 0000 to 9999. Such a time is valid and saturates (found by
  // fuzzing: the conversion overflowed).
  constexpr int64_t limit_s = duration_cast<seconds>(system_clock::duration::max()).count() - 1;
  if (secs >= limit_s)
    out = system_clock::time_point::max();
  else if (secs <= -limit_s)
    out = system_clock::time_point::min();
  else
    out = system_clock::time_point{
      duration_cast<system_clock::duration>(seconds{secs} + nanoseconds{nanos})};
  return true;
}

} // namespace weft::events
