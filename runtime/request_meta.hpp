#pragma once

#include <string>

#include "events/wire.hpp"

// What every request carries into the service that answers it, whatever the
// service: who to correlate its events with, where it came from, and its
// Idempotency-Key with the request's hash (a retry must be the same request).
namespace weft {

struct api_request;

struct request_meta {
  std::string request_id;       ///< X-Request-Id: becomes the events' correlationid
  std::string client_ip;        ///< for per-IP limits
  std::string idempotency_key;  ///< Idempotency-Key header of a write, if any
  std::string request_hash;     ///< SHA-256 of method, path and body, when a key is set

  static auto describe() {
    return wire::object<request_meta>(
      "weft.request_meta", "Who asked and how",
      wire::field("request_id", &request_meta::request_id),
      wire::field("client_ip", &request_meta::client_ip),
      wire::field("idempotency_key", &request_meta::idempotency_key).optional(),
      wire::field("request_hash", &request_meta::request_hash).optional());
  }
};
WEFT_WIRE(request_meta)

/// The meta of an API request (the hash only when it has an Idempotency-Key).
request_meta meta_of(const api_request& req);

/// Lower-case hex SHA-256 of `text`.
std::string sha256_hex(std::string_view text);

} // namespace weft
