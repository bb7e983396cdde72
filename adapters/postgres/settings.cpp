#include "adapters/postgres/settings.hpp"

namespace weft::pg {

connect_options connect_options_from(const config::database_section& db,
                                     std::string application_name) {
  connect_options out;
  out.url = db.url;
  out.application_name = std::move(application_name);
  out.connect_timeout = milliseconds{db.connect_timeout_ms};
  out.statement_timeout = milliseconds{db.statement_timeout_ms};
  out.idle_in_transaction_timeout = milliseconds{db.idle_in_transaction_timeout_ms};
  return out;
}

pool_options pool_options_from(const config::database_section& db, const std::string& node) {
  pool_options out;
  out.conn = connect_options_from(db, node + "-pool");
  out.size = db.pool_size;
  return out;
}

health_options health_options_from(const config::database_section& db, const std::string& node,
                                   weft::metrics* metrics) {
  health_options out;
  out.conn = connect_options_from(db, node + "-health");
  out.interval = milliseconds{db.health_interval_ms};
  out.check_timeout = std::min(milliseconds{2000}, std::max(out.interval * 2, milliseconds{500}));
  out.metrics = metrics;
  return out;
}

} // namespace weft::pg
