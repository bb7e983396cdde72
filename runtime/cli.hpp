#pragma once

#include <string>
#include <vector>

namespace weft {

/// What the command line asked for.
struct command_line {
  enum class verb { run, config_check, migrate, republish, version, help, invalid };
  verb what = verb::help;
  std::string config_path; ///< `--config FILE` for run/migrate/republish, FILE for config check
  std::string since;       ///< `outbox republish --since TIME` (RFC 3339)
  std::string error;       ///< set when `what == invalid`
};

/// `weft run [--config FILE]`, `weft migrate [--config FILE]`,
/// `weft outbox republish --since TIME [--config FILE]`, `weft config check
/// FILE`, `weft version`, `weft help`. `WEFT_CONFIG` names the file when
/// `--config` is absent.
command_line parse_command_line(const std::vector<std::string>& args);

/// The usage text.
const char* usage();

} // namespace weft
