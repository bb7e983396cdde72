#include "runtime/cli.hpp"

#include <cstdlib>

namespace weft {

const char* usage() {
  return "usage: weft run [--config FILE]     start a node (WEFT_CONFIG may name the file)\n"
         "       weft config check FILE       validate a config file, print every problem\n"
         "       weft version                 print the version\n";
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
  if (verb == "run") {
    cl.what = command_line::verb::run;
    if (const char* env = std::getenv("WEFT_CONFIG"))
      cl.config_path = env;
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "--config" && i + 1 < args.size())
        cl.config_path = args[++i];
      else if (args[i].rfind("--config=", 0) == 0)
        cl.config_path = args[i].substr(9);
      else
        return invalid("unknown argument: " + args[i]);
    }
    return cl;
  }
  return invalid("unknown command: " + verb);
}

} // namespace weft
