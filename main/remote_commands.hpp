#pragma once

#include "config/settings.hpp"
#include "runtime/cli.hpp"

// The commands that operate a running node over its REST API, as root:
// `weft consumers ...`, `weft dlq ...`, `weft events tail`. The node is
// `--url` (WEFT_URL), else the config's HTTP port on loopback; the token is
// `--token` (WEFT_TOKEN), else root's login with the config's root.email and
// root.password. Exit codes: 0 done, 1 the node refused or could not be
// reached (its problem printed), 2 bad command line or configuration.
namespace weft {

int run_consumers(const config::settings& settings, const command_line& cl);
int run_dlq(const config::settings& settings, const command_line& cl);
/// Prints each event as a JSON line until interrupted; resumes after a
/// dropped connection from the last event it printed.
int run_events_tail(const config::settings& settings, const command_line& cl);

} // namespace weft
