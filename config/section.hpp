#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "config/field_table.hpp"

// How a service module declares its own config section: its settings struct,
// each key once with its validation, read from the file and from
// `WEFT_<SECTION>_<KEY>` and checked by the loader exactly like the node's
// own sections (every problem at once, exit 2 naming the key).
//
//   config::module_section<auth_settings> s{"auth"};
//   s.key("issuer", &auth_settings::issuer, config::not_empty());
//   s.check([](const auth_settings& a, const config::settings& all, config::sink& out) {...});
//   return s.build();
namespace weft::config {

using detail::at_least;
using detail::check_fn;
using detail::each_one_of;
using detail::empty_or_at_least_bytes;
using detail::non_empty_list;
using detail::not_empty;
using detail::one_of;
using detail::range;
using detail::real_range;
using detail::section;
using detail::sink;

/// The sections service modules add, and the service names `node.services`
/// may list (the default: all of them).
struct schema_extension {
  std::vector<section> sections;
  std::vector<std::string> services;
};

/// A section owned by a service module, stored in settings::service_sections
/// as a T. T's members carry their defaults.
template <class T>
class module_section {
public:
  explicit module_section(std::string name) : name_(std::move(name)) {}

  /// Declares key `key` as member `mem`, with an optional check; a secret is
  /// redacted when the settings are printed.
  template <class M>
  module_section& key(std::string key, M T::*mem, check_fn<M> check = {}, bool secret = false) {
    auto name = name_;
    fields_.push_back(detail::make_field<settings, M>(
      std::move(key), [name, mem](auto& s) -> auto& { return s.template section<T>(name).*mem; },
      std::move(check), secret));
    return *this;
  }

  /// A check across keys, or against other sections.
  module_section& check(std::function<void(const T&, const settings&, sink&)> fn) {
    check_ = std::move(fn);
    return *this;
  }

  section build() const {
    section out;
    out.name = name_;
    out.fields = fields_;
    if (check_) {
      auto name = name_;
      auto fn = check_;
      out.check = [name, fn](const settings& s, sink& problems) {
        fn(s.section<T>(name), s, problems);
      };
    }
    auto name = name_;
    out.init = [name](settings& s) { s.service_sections[name] = T{}; };
    return out;
  }

private:
  std::string name_;
  std::vector<detail::field> fields_;
  std::function<void(const T&, const settings&, sink&)> check_;
};

} // namespace weft::config
