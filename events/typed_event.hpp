#pragma once

#include <concepts>
#include <string>
#include <string_view>
#include <type_traits>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "events/envelope.hpp"
#include "events/errc.hpp"
#include "events/ids.hpp"

namespace weft::events {

/// A typed event: a struct with a stable type name, a schema version and
/// nlohmann `to_json` / `from_json` for its `data`.
template <class T>
concept typed_event = requires(const T& x, const nlohmann::json& j, T& y) {
  { T::type_name } -> std::convertible_to<std::string_view>;
  { T::version } -> std::convertible_to<int>;
  { nlohmann::json(x) };
  { from_json(j, y) };
};

/// The typed events a service publishes, named once: the service's
/// declaration (runtime's kit::publishes) and its event factory read this
/// list, and an event not in it does not compile.
template <typed_event... Ts>
struct event_list {
  template <class T>
  static constexpr bool contains = (std::is_same_v<T, Ts> || ...);
};

/// Who and why: what every event a request or a handler emits carries along.
struct origin {
  std::string service;        ///< becomes `source` = `/weft/<service>`
  std::string correlationid;  ///< the request id, or the causing event's
  std::string causationid;    ///< the causing event's id, if any
  std::string traceparent;
};

/// Wraps a typed event into a new envelope with a fresh id and time.
template <typed_event T>
envelope make_envelope(const T& x, std::string subject, const origin& o) {
  envelope ev;
  ev.id = new_uuid_v7();
  ev.source = "/weft/" + o.service;
  ev.type = std::string{T::type_name};
  ev.time = now_rfc3339_ms();
  ev.subject = std::move(subject);
  ev.data = nlohmann::json(x).dump();
  ev.correlationid = o.correlationid;
  ev.causationid = o.causationid;
  ev.traceparent = o.traceparent;
  ev.dataversion = std::to_string(T::version);
  return ev;
}

/// Reads the envelope's `data` as T; `unknown_type` if the type differs,
/// `invalid_data` (context: what nlohmann said) if the fields do not fit.
template <typed_event T>
caf::expected<T> data_as(const envelope& ev) {
  if (ev.type != T::type_name)
    return caf::make_error(errc::unknown_type, ev.type);
  try {
    return nlohmann::json::parse(ev.data).get<T>();
  } catch (const std::exception& e) {
    return caf::make_error(errc::invalid_data, std::string{e.what()});
  }
}

} // namespace weft::events
