#pragma once

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "adapters/postgres/params.hpp"

typedef struct pg_result PGresult;

// The rows of a successful statement, in text format. Owns its PGresult.
namespace weft::pg {

namespace detail {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

/// Converts the text of a non-NULL value; integers that do not parse are 0.
template <class T>
T from_text(std::string_view s) {
  if constexpr (std::is_same_v<T, std::string>) {
    return std::string{s};
  } else if constexpr (std::is_same_v<T, std::string_view>) {
    return s;
  } else if constexpr (std::is_same_v<T, bool>) {
    return s == "t" || s == "true";
  } else if constexpr (std::is_integral_v<T>) {
    T v{};
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
  } else if constexpr (std::is_same_v<T, double>) {
    return std::strtod(std::string{s}.c_str(), nullptr); // "NaN", "Infinity" too
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    return parse_text_array(s).value_or(std::vector<std::string>{});
  } else {
    static_assert(!sizeof(T), "pg::result::get: unsupported type");
  }
}

} // namespace detail

/// A successful statement's result: rows of text values.
class result {
public:
  result() = default;
  /// Takes ownership of `r`.
  explicit result(PGresult* r);

  /// Number of rows.
  int rows() const;
  /// Number of columns.
  int columns() const;
  /// A column's index by name, -1 if there is none.
  int column(std::string_view name) const;
  /// The column's name.
  std::string_view column_name(int col) const;
  /// Rows inserted, updated or deleted (0 for other statements).
  int64_t affected() const;
  /// True if the value is SQL NULL.
  bool is_null(int row, int col) const;
  /// The raw text of a value ("" for NULL); valid as long as this result.
  std::string_view text(int row, int col) const;

  /// The value as T: std::string, std::string_view (into this result),
  /// bool, integers, double, std::vector<std::string> (a text[]), or
  /// std::optional of those (nullopt for NULL). NULL as a plain T is T{}.
  template <class T>
  T get(int row, int col) const {
    if constexpr (detail::is_optional<T>::value) {
      if (is_null(row, col))
        return std::nullopt;
      return detail::from_text<typename T::value_type>(text(row, col));
    } else {
      if (is_null(row, col))
        return T{};
      return detail::from_text<T>(text(row, col));
    }
  }

  /// The value of the named column (T{} / nullopt if there is no such column).
  template <class T>
  T get(int row, std::string_view name) const {
    int col = column(name);
    return col < 0 ? T{} : get<T>(row, col);
  }

  /// The underlying PGresult (still owned here).
  PGresult* native() const { return res_.get(); }

private:
  struct deleter {
    void operator()(PGresult* r) const;
  };
  std::unique_ptr<PGresult, deleter> res_;
};

} // namespace weft::pg
