#include "runtime/cli.hpp"

#include <cstdlib>

namespace weft {

const char* usage() {
  return "usage: weft run [--config FILE]       start a node (WEFT_CONFIG may name the file)\n"
         "       weft migrate [--config FILE]   apply database migrations and exit\n"
         "       weft outbox republish --since TIME [--config FILE]\n"
         "                                      publish retained outbox rows again (RFC 3339)\n"
         "       weft config check FILE         validate a config file, print every problem\n"
         "       weft version                   print the version\n";
}

command_line parse_command_line(const std::vector<std::string>& args) {
  command_line cl;
  auto invalid = [&](std::string why) {
    cl.what = command_line::verb::invalid;
    cl.error = std::move(why);
    return cl;
  };
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    cl.what = command_line::verb::help;
    return cl;
  }
  const auto& verb = args[0];
  if (verb == "version" || verb == "--version") {
    cl.what = command_line::verb::version;
    return cl;
  }
  if (verb == "config") {
    if (args.size() != 3 || args[1] != "check")
      return invalid("expected: weft config check FILE");
    cl.what = command_line::verb::config_check;
    cl.config_path = args[2];
    return cl;
  }
  // run, migrate and outbox republish take --config (and republish --since).
  size_t first = 1;
  if (verb == "run")
    cl.what = command_line::verb::run;
  else if (verb == "migrate")
    cl.what = command_line::verb::migrate;
  else if (verb == "outbox" && args.size() > 1 && args[1] == "republish") {
    cl.what = command_line::verb::republish;
    first = 2;
  } else
    return invalid("unknown command: " + verb);
  if (const char* env = std::getenv("WEFT_CONFIG"))
    cl.config_path = env;
  for (size_t i = first; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size())
      cl.config_path = args[++i];
    else if (args[i].rfind("--config=", 0) == 0)
      cl.config_path = args[i].substr(9);
    else if (cl.what == command_line::verb::republish && args[i] == "--since"
             && i + 1 < args.size())
      cl.since = args[++i];
    else
      return invalid("unknown argument: " + args[i]);
  }
  if (cl.what == command_line::verb::republish && cl.since.empty())
    return invalid("outbox republish needs --since TIME (RFC 3339)");
  return cl;
}

} // namespace weft
