#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "actors/modules.hpp"
#include "config/loader.hpp"
#include "main/admin_commands.hpp"
#include "main/node.hpp"
#include "main/remote_commands.hpp"
#include "main/schema_commands.hpp"
#include "runtime/cli.hpp"

// The weft CLI. Exit codes: 0 ok, 1 the node failed at run time, 2 bad
// command line or configuration.
namespace {

constexpr int exit_bad_config = 2;

int print_problems(const weft::config::load_result& loaded) {
  for (const auto& p : loaded.problems)
    std::cerr << "weft: config: " << weft::config::to_string(p) << '\n';
  return exit_bad_config;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto cl = weft::parse_command_line(args);
  using verb = weft::command_line::verb;
  switch (cl.what) {
    case verb::help:
      std::cout << weft::usage();
      return 0;
    case verb::invalid:
      std::cerr << "weft: " << cl.error << '\n' << weft::usage();
      return exit_bad_config;
    case verb::version:
      std::cout << "weft " << WEFT_VERSION << '\n';
      return 0;
    case verb::config_check: {
      auto loaded = weft::config::load_file(cl.config_path, weft::config::process_environment(),
                                            weft::schema_extension_of(weft::service_modules()));
      if (!loaded.ok())
        return print_problems(loaded);
      std::cout << "weft: config ok: " << cl.config_path << '\n';
      return 0;
    }
    case verb::schema_check:
    case verb::schema_fmt:
    case verb::schema_doc:
    case verb::schema_migrate:
      return weft::run_schema_command(cl);
    case verb::run:
    case verb::migrate:
    case verb::republish:
    case verb::consumers:
    case verb::dlq:
    case verb::events_tail: {
      auto env = weft::config::process_environment();
      if (cl.what == verb::run && !cl.schema_path.empty())
        env["WEFT_SCHEMA_FILE"] = cl.schema_path; // --schema wins, as any variable over the file
      auto ext = weft::schema_extension_of(weft::service_modules());
      auto loaded = cl.config_path.empty() ? weft::config::load("", env, ext)
                                           : weft::config::load_file(cl.config_path, env, ext);
      if (!loaded.ok())
        return print_problems(loaded);
      if (cl.what == verb::migrate)
        return weft::run_migrate(loaded.value);
      if (cl.what == verb::republish)
        return weft::run_republish(loaded.value, cl.since);
      if (cl.what == verb::consumers)
        return weft::run_consumers(loaded.value, cl);
      if (cl.what == verb::dlq)
        return weft::run_dlq(loaded.value, cl);
      if (cl.what == verb::events_tail)
        return weft::run_events_tail(loaded.value, cl);
      return weft::run_node(loaded.value);
    }
  }
  return exit_bad_config;
}
