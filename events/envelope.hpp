#pragma once

#include <string>

#include <caf/meta/type_name.hpp>

namespace weft::events {

/// A CloudEvents 1.0 event as actors exchange it and as it travels on the bus.
/// `data` holds the JSON text of the payload: the envelope stays a plain value
/// that CAF can copy and serialise, and the payload is parsed only by whoever
/// needs its fields.
struct envelope {
  std::string id;                                  ///< UUIDv7, unique per event
  std::string source;                              ///< `/weft/<service>`
  std::string type;                                ///< `auth.user.created`
  std::string specversion = "1.0";
  std::string time;                                ///< RFC 3339 UTC, milliseconds
  std::string subject;                             ///< the aggregate, e.g. a user id
  std::string datacontenttype = "application/json";
  std::string data = "{}";                         ///< JSON text
  // Extensions.
  std::string correlationid;                       ///< the request that caused it
  std::string causationid;                         ///< the event that caused it
  std::string traceparent;                         ///< W3C trace context
  std::string dataversion;                         ///< schema version of `data`
};

inline bool operator==(const envelope& a, const envelope& b) {
  return a.id == b.id && a.source == b.source && a.type == b.type
         && a.specversion == b.specversion && a.time == b.time
         && a.subject == b.subject && a.datacontenttype == b.datacontenttype
         && a.data == b.data && a.correlationid == b.correlationid
         && a.causationid == b.causationid && a.traceparent == b.traceparent
         && a.dataversion == b.dataversion;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, envelope& x) {
  return f(caf::meta::type_name("weft.envelope"), x.id, x.source, x.type,
           x.specversion, x.time, x.subject, x.datacontenttype, x.data,
           x.correlationid, x.causationid, x.traceparent, x.dataversion);
}

} // namespace weft::events
