#include "actors/outbox/settings.hpp"

namespace weft::outbox {

pg_relay_options pg_relay_options_from(const config::outbox_section& s) {
  using std::chrono::milliseconds;
  pg_relay_options o;
  o.batch_size = s.batch_size;
  o.max_in_flight = s.max_in_flight;
  o.lease = milliseconds{s.lease_ms};
  o.poll_interval = milliseconds{s.poll_interval_ms};
  o.publish_timeout = milliseconds{s.publish_timeout_ms};
  o.retention = std::chrono::seconds{s.retention_s};
  o.cleanup_interval = std::chrono::seconds{s.cleanup_interval_s};
  o.backoff_ms = s.backoff_ms;
  return o;
}

} // namespace weft::outbox
