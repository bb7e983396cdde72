#pragma once

#include <charconv>
#include <chrono>
#include <concepts>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// Query parameters, always sent in text format (libpq reads text parameters
// up to their NUL, so borrowed std::string / C strings go as they are and a
// string_view is copied once). The server parses the text for the column's
// type: uuid, timestamptz, jsonb, int all take their usual literal.
namespace weft::pg {

/// One parameter: a text value or SQL NULL.
class param {
public:
  /// NULL.
  param(std::nullopt_t) : null_(true) {}
  /// Borrows the string; it must outlive the call (arguments of exec do).
  param(const std::string& s) : borrowed_(s.c_str()) {}
  /// Borrows a NUL-terminated string; nullptr is NULL.
  param(const char* s) : borrowed_(s), null_(s == nullptr) {}
  /// Copies: a view need not be NUL-terminated.
  param(std::string_view s) : owned_(s) {}
  /// `true` / `false`.
  param(bool b) : borrowed_(b ? "true" : "false") {}
  /// Decimal text.
  template <std::integral I>
    requires(!std::same_as<I, bool> && !std::same_as<I, char>)
  param(I i) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, i);
    owned_.assign(buf, end);
  }
  /// Shortest round-trip text.
  param(double d);
  /// UTC with microseconds: `2024-05-01 12:00:00.123456+00`.
  param(std::chrono::system_clock::time_point t);
  /// The value, or NULL when empty.
  template <class T>
  param(const std::optional<T>& v) : param(v ? param(*v) : param(std::nullopt)) {}

  /// NUL-terminated text, or nullptr for NULL.
  const char* c_str() const {
    if (null_)
      return nullptr;
    return borrowed_ ? borrowed_ : owned_.c_str();
  }
  bool is_null() const { return null_; }
  /// A copy that owns its text (for parameters kept beyond the call).
  param to_owned() const {
    param p{*this};
    if (borrowed_ && !null_) {
      p.owned_ = borrowed_;
      p.borrowed_ = nullptr;
    }
    return p;
  }

private:
  std::string owned_;
  const char* borrowed_ = nullptr;
  bool null_ = false;
};

/// The values of `ps` as libpq takes them (NULL for SQL NULL).
inline std::vector<const char*> values_of(std::span<const param> ps) {
  std::vector<const char*> values;
  values.reserve(ps.size());
  for (const auto& p : ps)
    values.push_back(p.c_str());
  return values;
}

/// A text[] literal for `$1::text[]`: `{"a","b\"c"}` (every element quoted
/// and escaped; an empty vector is `{}`).
std::string text_array(const std::vector<std::string>& items);

/// Parses a one-dimensional text[] as the server prints it; NULL elements
/// become empty strings. nullopt if `s` is not an array literal.
std::optional<std::vector<std::string>> parse_text_array(std::string_view s);

/// A named statement, prepared on first use on each connection (again after
/// a reconnect). Define them once, as constants next to the repository.
struct statement {
  const char* name; ///< unique per connection
  const char* sql;  ///< $1, $2, ... for parameters
};

/// The SQL text of a call: a string literal or a std::string (both already
/// NUL-terminated, so nothing is copied).
struct sql_text {
  sql_text(const char* s) : str(s) {}
  sql_text(const std::string& s) : str(s.c_str()) {}
  const char* str;
};

} // namespace weft::pg
