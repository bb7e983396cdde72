#include "runtime/cli.hpp"

#include <cstdlib>

namespace weft {

const char* usage() {
  return "usage: weft run [--config FILE] [--schema FILE]\n"
         "                                      start a node (WEFT_CONFIG may name the file;\n"
         "                                      --schema: serve an entity schema, as schema.file)\n"
         "       weft migrate [--config FILE]   apply database migrations and exit\n"
         "       weft outbox republish --since TIME [--config FILE]\n"
         "                                      publish retained outbox rows again (RFC 3339)\n"
         "       weft config check FILE         validate a config file, print every problem\n"
         "       weft schema check FILE         validate an entity schema, print every problem\n"
         "       weft schema fmt FILE [--write] print it as valid Mermaid (or rewrite the file)\n"
         "       weft schema openapi|asyncapi|docs FILE\n"
         "                                      the node's OpenAPI 3.1, AsyncAPI 3.0 or Markdown\n"
         "                                      with that schema\n"
         "       weft schema gen-cpp FILE       C++ structs and events of its entities\n"
         "       weft schema migrate FILE [--allow-destructive] [--config FILE]\n"
         "                                      bring the database's tables to the schema\n"
         "       weft version                   print the version\n"
         "against a running node ([--config FILE] [--url URL] [--token TOKEN]; root):\n"
         "       weft consumers list            the node's consumers, with their lag\n"
         "       weft consumers pause|resume NAME\n"
         "                                      stop or restart fetching for a consumer\n"
         "       weft dlq list NAME [--limit N] its dead letters, as JSON lines\n"
         "       weft dlq redrive NAME [--id ID | --since TIME]\n"
         "                                      hand dead letters back (default: all)\n"
         "       weft events tail [--types T,...] [--subject S] [--from POSITION|earliest]\n"
         "                        [--nats URL]  print events as JSON lines (SSE, resumes;\n"
         "                                      or straight from NATS, no node needed)\n";
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
  if (verb == "schema") {
    const auto action = args.size() > 1 ? args[1] : std::string{};
    const bool document = action == "openapi" || action == "asyncapi" || action == "docs"
                          || action == "gen-cpp";
    const char* expected = "expected: weft schema check|fmt|openapi|asyncapi|docs|gen-cpp FILE, "
                           "weft schema fmt FILE --write, weft schema migrate FILE "
                           "[--allow-destructive] [--config FILE]";
    if (args.size() < 3 || args[2].starts_with("--"))
      return invalid(expected);
    cl.schema_path = args[2];
    if (action == "migrate") {
      cl.what = command_line::verb::schema_migrate;
      if (const char* env = std::getenv("WEFT_CONFIG"))
        cl.config_path = env;
      for (size_t i = 3; i < args.size(); ++i) {
        if (args[i] == "--allow-destructive")
          cl.allow_destructive = true;
        else if (args[i] == "--config" && i + 1 < args.size())
          cl.config_path = args[++i];
        else
          return invalid("unknown argument: " + args[i]);
      }
      return cl;
    }
    bool write = args.size() == 4 && args[3] == "--write" && action == "fmt";
    if (!(args.size() == 3 || write) || (action != "check" && action != "fmt" && !document))
      return invalid(expected);
    cl.what = action == "check" ? command_line::verb::schema_check
              : action == "fmt" ? command_line::verb::schema_fmt
                                : command_line::verb::schema_doc;
    if (document)
      cl.document = action;
    cl.write = write;
    return cl;
  }
  // The rest take --config; each its own words and options.
  using v = command_line::verb;
  size_t first = 1;
  auto word = [&](size_t i) { return i < args.size() ? args[i] : std::string{}; };
  if (verb == "run")
    cl.what = v::run;
  else if (verb == "migrate")
    cl.what = v::migrate;
  else if (verb == "outbox" && word(1) == "republish") {
    cl.what = v::republish;
    first = 2;
  } else if (verb == "consumers") {
    cl.what = v::consumers;
    cl.action = word(1);
    if (cl.action == "list")
      first = 2;
    else if ((cl.action == "pause" || cl.action == "resume") && !word(2).empty()
             && !word(2).starts_with("--")) {
      cl.name = word(2);
      first = 3;
    } else
      return invalid("expected: weft consumers list | pause NAME | resume NAME");
  } else if (verb == "dlq") {
    cl.what = v::dlq;
    cl.action = word(1);
    if ((cl.action != "list" && cl.action != "redrive") || word(2).empty()
        || word(2).starts_with("--"))
      return invalid("expected: weft dlq list NAME | weft dlq redrive NAME [--id ID | --since TIME]");
    cl.name = word(2);
    first = 3;
  } else if (verb == "events" && word(1) == "tail") {
    cl.what = v::events_tail;
    first = 2;
  } else
    return invalid("unknown command: " + verb);
  if (const char* env = std::getenv("WEFT_CONFIG"))
    cl.config_path = env;
  const bool remote = cl.what == v::consumers || cl.what == v::dlq || cl.what == v::events_tail;
  if (remote) {
    if (const char* env = std::getenv("WEFT_URL"))
      cl.url = env;
    if (const char* env = std::getenv("WEFT_TOKEN"))
      cl.token = env;
  }
  for (size_t i = first; i < args.size(); ++i) {
    const auto& a = args[i];
    bool has_value = i + 1 < args.size();
    auto takes = [&](const char* flag, v only) { return a == flag && has_value && cl.what == only; };
    if (a == "--config" && has_value)
      cl.config_path = args[++i];
    else if (a.rfind("--config=", 0) == 0)
      cl.config_path = a.substr(9);
    else if (takes("--schema", v::run))
      cl.schema_path = args[++i];
    else if (takes("--since", v::republish) || (takes("--since", v::dlq) && cl.action == "redrive"))
      cl.since = args[++i];
    else if (remote && a == "--url" && has_value)
      cl.url = args[++i];
    else if (remote && a == "--token" && has_value)
      cl.token = args[++i];
    else if (takes("--id", v::dlq) && cl.action == "redrive")
      cl.id = args[++i];
    else if (takes("--limit", v::dlq) && cl.action == "list") {
      const auto& n = args[++i];
      if (n.empty() || n.size() > 9 || n.find_first_not_of("0123456789") != std::string::npos)
        return invalid("--limit takes a number, got: " + n);
      cl.limit = static_cast<uint32_t>(std::stoul(n));
    } else if (takes("--types", v::events_tail))
      cl.types = args[++i];
    else if (takes("--subject", v::events_tail))
      cl.subject = args[++i];
    else if (takes("--from", v::events_tail))
      cl.from = args[++i];
    else if (takes("--nats", v::events_tail))
      cl.nats = args[++i];
    else
      return invalid("unknown argument: " + a);
  }
  if (cl.what == v::republish && cl.since.empty())
    return invalid("outbox republish needs --since TIME (RFC 3339)");
  if (!cl.id.empty() && !cl.since.empty())
    return invalid("dlq redrive takes --id or --since, not both");
  return cl;
}

} // namespace weft
