#include "adapters/http/asyncapi.hpp"

#include "events/routes.hpp"

namespace weft::http {

namespace {

using json = nlohmann::json;

/// The structured CloudEvent of `type` carrying `data`.
json cloudevent_schema(const std::string& type, const json& data) {
  json s{{"type", "string"}};
  return {{"type", "object"},
          {"required", {"id", "source", "specversion", "type", "time", "data"}},
          {"properties",
           {{"id", {{"type", "string"}, {"description", "UUIDv7, unique per event: the dedupe key"}}},
            {"source", {{"type", "string"}, {"description", "/weft/<service>"}}},
            {"specversion", {{"const", "1.0"}}},
            {"type", {{"const", type}}},
            {"time", {{"type", "string"}, {"format", "date-time"}}},
            {"subject", {{"type", "string"}, {"description", "the aggregate: its id"}}},
            {"datacontenttype", {{"const", "application/json"}}},
            {"dataversion", {{"type", "string"}, {"description", "the version of data's schema"}}},
            {"correlationid", {{"type", "string"}, {"description", "the request that caused it"}}},
            {"causationid", {{"type", "string"}, {"description", "the event that caused it"}}},
            {"traceparent", s},
            {"data", data.is_null() ? json::object() : data}}}};
}

} // namespace

nlohmann::json make_asyncapi(const std::vector<service_decl>& services, const std::string& version) {
  json channels = json::object();
  json operations = json::object();
  json messages = json::object();
  for (const auto& svc : services) {
    for (const auto& e : svc.publishes) {
      if (channels.contains(e.type))
        continue; // declared by two services: the first documents it
      messages[e.type] = {{"name", e.type},
                          {"title", e.type},
                          {"contentType", "application/json"},
                          {"x-weft-service", svc.name},
                          {"payload", cloudevent_schema(e.type, e.schema)}};
      channels[e.type] = {
        {"address", events::subject_for_type(e.type)},
        {"description", "Events of type " + e.type + " on the stream (with nats.partitions > 1 "
                          "the partition follows weft.)"},
        {"messages", {{e.type, {{"$ref", "#/components/messages/" + e.type}}}}}};
      operations[svc.name + "." + e.type] = {
        {"action", "send"},
        {"summary", svc.name + " publishes " + e.type + " through its outbox (at least once)"},
        {"channel", {{"$ref", "#/channels/" + e.type}}},
        {"messages", json::array({{{"$ref", "#/channels/" + e.type + "/messages/" + e.type}}})}};
    }
  }
  return {{"asyncapi", "3.0.0"},
          {"info",
           {{"title", "Weft events"},
            {"version", version},
            {"description", "Every event type this node's services publish, as structured "
                            "CloudEvents 1.0 on NATS JetStream (stream WEFT by default)."}}},
          {"defaultContentType", "application/json"},
          {"channels", std::move(channels)},
          {"operations", std::move(operations)},
          {"components", {{"messages", std::move(messages)}}}};
}

} // namespace weft::http
