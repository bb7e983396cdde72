#include "events/codec.hpp"

#include <array>
#include <chrono>

#include <caf/make_message.hpp>
#include <nlohmann/json.hpp>

#include "events/codec_fast.hpp"
#include "events/errc.hpp"
#include "events/ids.hpp"

// Choices beyond the CloudEvents 1.0 JSON format spec:
// - `data` absent or `null` decodes to envelope.data == "null", and encoding
//   omits `data` when it is "null" or empty; so "no data" round-trips.
// - `data` that is not valid JSON text is encoded as a JSON string.
// - `data_base64` (binary data) is rejected with invalid_value: Weft payloads
//   are JSON, and silently dropping a payload would be worse.
// - An optional attribute whose value is JSON `null` counts as absent.
// - An absent `datacontenttype` keeps the envelope default
//   `application/json`, which the JSON format implies for embedded data.
// - Required attributes must be non-empty strings (CloudEvents requires a
//   non-empty id, source and type).

namespace weft::events {

namespace {

using json = nlohmann::json;

caf::error fail(errc code, std::string attribute, std::string message) {
  return caf::make_error(code, std::move(attribute), std::move(message));
}

std::string type_name_of(const json& j) {
  switch (j.type()) {
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    case json::value_t::number_float:
      return "number";
    default:
      return j.type_name();
  }
}

struct attribute {
  const char* name;
  std::string envelope::*member;
};

constexpr std::array<attribute, 4> required_attributes{{
  {"id", &envelope::id},
  {"source", &envelope::source},
  {"type", &envelope::type},
  {"specversion", &envelope::specversion},
}};

constexpr std::array<attribute, 7> optional_attributes{{
  {"time", &envelope::time},
  {"subject", &envelope::subject},
  {"datacontenttype", &envelope::datacontenttype},
  {"correlationid", &envelope::correlationid},
  {"causationid", &envelope::causationid},
  {"traceparent", &envelope::traceparent},
  {"dataversion", &envelope::dataversion},
}};

} // namespace

json encode_json(const envelope& ev) {
  json j = json::object();
  for (const auto& a : required_attributes)
    j[a.name] = ev.*a.member;
  for (const auto& a : optional_attributes)
    if (!(ev.*a.member).empty())
      j[a.name] = ev.*a.member;
  if (!ev.data.empty() && ev.data != "null") {
    auto data = json::parse(ev.data, nullptr, false);
    if (data.is_discarded())
      j["data"] = ev.data; // not JSON: keep the payload as a string
    else
      j["data"] = std::move(data);
  }
  return j;
}

std::string encode(const envelope& ev) {
  if (auto text = fast::encode(ev)) // the same bytes, without a JSON document
    return std::move(*text);
  // `replace`: a non-JSON payload kept as a string may not be valid UTF-8.
  return encode_json(ev).dump(-1, ' ', false, json::error_handler_t::replace);
}

caf::expected<envelope> decode_json(const json& j) {
  if (!j.is_object())
    return fail(errc::malformed_json, "",
                "expected a JSON object, got " + type_name_of(j));
  envelope ev;
  for (const auto& a : required_attributes) {
    auto i = j.find(a.name);
    if (i == j.end())
      return fail(errc::missing_attribute, a.name, "required attribute is missing");
    if (!i->is_string())
      return fail(errc::wrong_type, a.name, "expected string, got " + type_name_of(*i));
    auto value = i->get<std::string>();
    if (value.empty())
      return fail(errc::invalid_value, a.name, "must not be empty");
    ev.*a.member = std::move(value);
  }
  if (ev.specversion != "1.0")
    return fail(errc::invalid_value, "specversion",
                "must be \"1.0\", got \"" + ev.specversion + "\"");
  for (const auto& a : optional_attributes) {
    auto i = j.find(a.name);
    if (i == j.end() || i->is_null())
      continue;
    if (!i->is_string())
      return fail(errc::wrong_type, a.name, "expected string, got " + type_name_of(*i));
    ev.*a.member = i->get<std::string>();
  }
  if (!ev.time.empty()) {
    std::chrono::system_clock::time_point t;
    if (!parse_rfc3339(ev.time, t))
      return fail(errc::invalid_value, "time",
                  "expected an RFC 3339 timestamp, got \"" + ev.time + "\"");
  }
  if (j.contains("data_base64"))
    return fail(errc::invalid_value, "data_base64", "binary data is not supported");
  auto data = j.find("data");
  ev.data = data == j.end() ? "null" : data->dump();
  return ev;
}

caf::expected<envelope> decode(std::string_view json_text) {
  if (auto ev = fast::decode(json_text)) // the same envelope, without a JSON document
    return std::move(*ev);
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::exception& e) { // parse_error, and out_of_range for 1e999 (found by fuzzing)
    return fail(errc::malformed_json, "", e.what());
  }
  return decode_json(j);
}

} // namespace weft::events
