#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/meta/type_name.hpp>
#include <nlohmann/json.hpp>

// One definition per message (STYLE "Message types are defined once"). A
// wire type describes its fields once, in a static `describe()`, and that
// description yields its CAF `inspect` (so it crosses nodes), its JSON in both
// directions and its JSON Schema (what OpenAPI shows and what request bodies
// are validated against, see wire_schema.hpp). `WEFT_WIRE(T)` after the
// struct binds them to T:
//
//   struct user_view {
//     std::string id;
//     std::vector<std::string> roles;
//     static auto describe() {
//       return wire::object<user_view>("weft.auth.user_view", "A user as the API shows it",
//                                      wire::field("id", &user_view::id).format("uuid"),
//                                      wire::field("roles", &user_view::roles));
//     }
//   };
//   WEFT_WIRE(user_view)
//
// Field types: std::string, bool, integers, double, std::vector of a field
// type, another described type, nlohmann::json (any JSON), and types with a
// `json_traits` specialisation (their own JSON, e.g. a CloudEvent).
namespace weft::wire {

/// What JSON Schema says about a field besides its type, which comes from C++.
struct facets {
  std::string doc;                   ///< description
  std::string format;                ///< email, date-time, uuid, ...
  std::optional<int64_t> min_length; ///< minLength, or minItems for arrays
  std::optional<int64_t> max_length; ///< maxLength, or maxItems for arrays
  std::optional<double> minimum;
  std::optional<double> maximum;
  std::vector<std::string> one_of;   ///< enum
  bool optional = false;             ///< may be absent on input, left out when empty on output
  bool nullable = false;             ///< null when empty on output; null reads as empty
};

/// One field: its JSON name, its member and its facets.
template <class T, class M>
struct field_desc {
  using owner_type = T;
  using member_type = M;

  const char* name;
  M T::*member;
  facets f;

  field_desc doc(std::string text) const { return with([&](facets& x) { x.doc = std::move(text); }); }
  field_desc format(std::string fmt) const { return with([&](facets& x) { x.format = std::move(fmt); }); }
  field_desc min_length(int64_t n) const { return with([&](facets& x) { x.min_length = n; }); }
  field_desc max_length(int64_t n) const { return with([&](facets& x) { x.max_length = n; }); }
  field_desc minimum(double v) const { return with([&](facets& x) { x.minimum = v; }); }
  field_desc maximum(double v) const { return with([&](facets& x) { x.maximum = v; }); }
  field_desc one_of(std::vector<std::string> values) const {
    return with([&](facets& x) { x.one_of = std::move(values); });
  }
  field_desc optional() const { return with([](facets& x) { x.optional = true; }); }
  field_desc nullable() const { return with([](facets& x) { x.nullable = true; }); }

private:
  template <class F>
  field_desc with(F change) const {
    auto copy = *this;
    change(copy.f);
    return copy;
  }
};

/// `wire::field("id", &user_view::id)`.
template <class T, class M>
field_desc<T, M> field(const char* name, M T::*member) {
  return field_desc<T, M>{name, member, {}};
}

/// A described object: its wire name (also its CAF type name), what it is,
/// and its fields in order.
template <class T, class... Fields>
struct object_desc {
  const char* name;
  std::string doc;
  std::tuple<Fields...> fields;
};

/// `wire::object<T>("weft.x.y", "what it is", wire::field(...), ...)`.
template <class T, class... Fields>
object_desc<T, Fields...> object(const char* name, std::string doc, Fields... fields) {
  return object_desc<T, Fields...>{name, std::move(doc), std::tuple<Fields...>{std::move(fields)...}};
}

/// True for types with a static `describe()`.
template <class T>
concept described = requires { T::describe(); };

/// The description of T, built once.
template <described T>
const auto& description_of() {
  static const auto d = T::describe();
  return d;
}

/// The wire name of T (its CAF type name).
template <described T>
const char* name_of() {
  return description_of<T>().name;
}

/// Types that bring their own JSON: specialise with `to_json`, `from_json`
/// and `schema`.
template <class T>
struct json_traits;

template <class T>
concept has_json_traits = requires(nlohmann::json& j, const T& x, T& y) {
  json_traits<T>::to_json(j, x);
  json_traits<T>::from_json(std::as_const(j), y);
  { json_traits<T>::schema() } -> std::convertible_to<nlohmann::json>;
};

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

/// A value that does not fit its description (read throws it; the HTTP edge
/// validates bodies against the schema first, so clients see violations).
class read_error : public std::runtime_error {
public:
  read_error(std::string pointer, const std::string& what)
    : std::runtime_error(pointer + ": " + what), pointer_(std::move(pointer)) {}
  const std::string& pointer() const { return pointer_; }

private:
  std::string pointer_;
};

namespace detail {

template <class V>
bool is_empty(const V& v) {
  if constexpr (std::is_same_v<V, std::string> || is_vector<V>::value)
    return v.empty();
  else if constexpr (std::is_same_v<V, nlohmann::json>)
    return v.is_null();
  else
    return false;
}

template <class V>
void put(nlohmann::json& j, const V& v);

template <class V>
void take(const nlohmann::json& j, V& v, const std::string& pointer);

template <class V>
nlohmann::json type_schema();

nlohmann::json apply_facets(nlohmann::json schema, const facets& f, bool is_array);

} // namespace detail

/// T as a JSON object: fields in order; optional empty fields left out,
/// nullable empty ones null.
template <described T>
void write(nlohmann::json& j, const T& x) {
  j = nlohmann::json::object();
  std::apply(
    [&](const auto&... fd) {
      auto one = [&](const auto& d) {
        const auto& v = x.*(d.member);
        if (d.f.optional && detail::is_empty(v))
          return;
        if (d.f.nullable && detail::is_empty(v))
          j[d.name] = nullptr;
        else
          detail::put(j[d.name], v);
      };
      (one(fd), ...);
    },
    description_of<T>().fields);
}

/// T from a JSON object: absent optional fields keep their defaults, null
/// or absent nullable ones read as empty. Throws read_error on a value that
/// does not fit (a missing required field, a wrong type).
template <described T>
void read(const nlohmann::json& j, T& x, const std::string& pointer = {}) {
  if (!j.is_object())
    throw read_error(pointer.empty() ? "/" : pointer, "expected an object");
  std::apply(
    [&](const auto&... fd) {
      auto one = [&](const auto& d) {
        auto p = pointer + "/" + d.name;
        auto i = j.find(d.name);
        if (i == j.end() || i->is_null()) {
          if (d.f.nullable) {
            x.*(d.member) = {};
            return;
          }
          if (d.f.optional)
            return;
          throw read_error(p, "is required");
        }
        detail::take(*i, x.*(d.member), p);
      };
      (one(fd), ...);
    },
    description_of<T>().fields);
}

/// T's JSON Schema (draft 2020-12, as OpenAPI 3.1 uses it).
template <described T>
nlohmann::json schema_of() {
  return detail::type_schema<T>();
}

/// The JSON value of any field type.
template <class V>
nlohmann::json to_json_value(const V& v) {
  nlohmann::json j;
  detail::put(j, v);
  return j;
}

/// CAF 0.17 inspection over the described fields, in order.
template <class Inspector, described T>
typename Inspector::result_type inspect_fields(Inspector& f, T& x) {
  const auto& d = description_of<T>();
  return std::apply([&](const auto&... fd) { return f(caf::meta::type_name(d.name), x.*(fd.member)...); },
                    d.fields);
}

namespace detail {

template <class V>
void put(nlohmann::json& j, const V& v) {
  if constexpr (described<V>)
    write(j, v);
  else if constexpr (has_json_traits<V>)
    json_traits<V>::to_json(j, v);
  else if constexpr (is_vector<V>::value) {
    j = nlohmann::json::array();
    for (const auto& x : v) {
      nlohmann::json e;
      put(e, x);
      j.push_back(std::move(e));
    }
  } else
    j = v;
}

template <class V>
void take(const nlohmann::json& j, V& v, const std::string& pointer) {
  if constexpr (described<V>) {
    read(j, v, pointer);
  } else if constexpr (has_json_traits<V>) {
    json_traits<V>::from_json(j, v);
  } else if constexpr (is_vector<V>::value) {
    if (!j.is_array())
      throw read_error(pointer, "must be an array");
    v.clear();
    v.reserve(j.size());
    for (size_t i = 0; i < j.size(); ++i) {
      typename V::value_type e{};
      take(j[i], e, pointer + "/" + std::to_string(i));
      v.push_back(std::move(e));
    }
  } else if constexpr (std::is_same_v<V, std::string>) {
    if (!j.is_string())
      throw read_error(pointer, "must be a string");
    v = j.get<std::string>();
  } else if constexpr (std::is_same_v<V, bool>) {
    if (!j.is_boolean())
      throw read_error(pointer, "must be a boolean");
    v = j.get<bool>();
  } else if constexpr (std::is_integral_v<V>) {
    if (!j.is_number_integer())
      throw read_error(pointer, "must be an integer");
    if constexpr (std::is_unsigned_v<V>) {
      if (!j.is_number_unsigned() && j.get<int64_t>() < 0)
        throw read_error(pointer, "must not be negative");
      auto u = j.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<V>::max()))
        throw read_error(pointer, "is too large");
      v = static_cast<V>(u);
    } else {
      auto s = j.get<int64_t>();
      if (s < static_cast<int64_t>(std::numeric_limits<V>::min())
          || (j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<V>::max()))
          || s > static_cast<int64_t>(std::numeric_limits<V>::max()))
        throw read_error(pointer, "is out of range");
      v = static_cast<V>(s);
    }
  } else if constexpr (std::is_floating_point_v<V>) {
    if (!j.is_number())
      throw read_error(pointer, "must be a number");
    v = j.get<V>();
  } else {
    static_assert(std::is_same_v<V, nlohmann::json>, "not a wire field type");
    v = j;
  }
}

template <class V>
nlohmann::json type_schema() {
  if constexpr (described<V>) {
    const auto& d = description_of<V>();
    nlohmann::json props = nlohmann::json::object();
    nlohmann::json required = nlohmann::json::array();
    static const V defaults{};
    std::apply(
      [&](const auto&... fd) {
        auto one = [&](const auto& f) {
          using M = typename std::decay_t<decltype(f)>::member_type;
          auto s = apply_facets(type_schema<M>(), f.f, is_vector<M>::value);
          const auto& dv = defaults.*(f.member);
          if (f.f.optional && !is_empty(dv))
            s["default"] = to_json_value(dv);
          props[f.name] = std::move(s);
          if (!f.f.optional)
            required.push_back(f.name);
        };
        (one(fd), ...);
      },
      d.fields);
    nlohmann::json s = {{"type", "object"}};
    if (!d.doc.empty())
      s["description"] = d.doc;
    if (!required.empty())
      s["required"] = std::move(required);
    s["properties"] = std::move(props);
    return s;
  } else if constexpr (has_json_traits<V>) {
    return json_traits<V>::schema();
  } else if constexpr (is_vector<V>::value) {
    return {{"type", "array"}, {"items", type_schema<typename V::value_type>()}};
  } else if constexpr (std::is_same_v<V, std::string>) {
    return {{"type", "string"}};
  } else if constexpr (std::is_same_v<V, bool>) {
    return {{"type", "boolean"}};
  } else if constexpr (std::is_integral_v<V>) {
    nlohmann::json s = {{"type", "integer"}};
    if constexpr (std::is_unsigned_v<V>)
      s["minimum"] = 0;
    return s;
  } else if constexpr (std::is_floating_point_v<V>) {
    return {{"type", "number"}};
  } else {
    static_assert(std::is_same_v<V, nlohmann::json>, "not a wire field type");
    return nlohmann::json::object();
  }
}

} // namespace detail

} // namespace weft::wire

/// Binds T's description to CAF (`inspect`) and nlohmann (`to_json`,
/// `from_json`). Place it right after the struct, in its namespace.
#define WEFT_WIRE(T)                                                                       \
  template <class Inspector>                                                               \
  typename Inspector::result_type inspect(Inspector& f, T& x) {                            \
    return ::weft::wire::inspect_fields(f, x);                                             \
  }                                                                                        \
  inline void to_json(::nlohmann::json& j, const T& x) {                                   \
    ::weft::wire::write(j, x);                                                             \
  }                                                                                        \
  inline void from_json(const ::nlohmann::json& j, T& x) {                                 \
    ::weft::wire::read(j, x);                                                              \
  }
