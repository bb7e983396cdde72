#pragma once

#include <string>
#include <vector>

namespace weft {

/// What the command line asked for.
struct command_line {
  enum class verb {
    run, config_check, migrate, republish, version, help, invalid,
    // operating a running node over its REST API (root)
    consumers, dlq, events_tail,
    // entity schemas (no node, no config)
    schema_check, schema_fmt, schema_doc, schema_migrate
  };
  verb what = verb::help;
  std::string config_path; ///< `--config FILE` for run/migrate/republish, FILE for config check
  std::string since;       ///< `outbox republish --since TIME`, `dlq redrive --since TIME`
  std::string error;       ///< set when `what == invalid`
  // consumers and dlq
  std::string action;      ///< consumers: list, pause, resume; dlq: list, redrive
  std::string name;        ///< the consumer (a service's name)
  std::string id;          ///< `dlq redrive --id ID`: one event's letter
  uint32_t limit = 0;      ///< `dlq list --limit N` (0: all)
  // events tail
  std::string types;       ///< `--types a.b.*,c.d`
  std::string subject;     ///< `--subject S`
  std::string from;        ///< `--from POSITION` (or `earliest`)
  std::string nats;        ///< `--nats URL`: read the stream from NATS, not the node
  // the node to talk to
  std::string url;         ///< `--url URL` (WEFT_URL): else the config's http port on loopback
  std::string token;       ///< `--token T` (WEFT_TOKEN): else root's login from the config
  // schema
  std::string schema_path; ///< `schema check|fmt FILE`; `run --schema FILE` (sets schema.file)
  bool write = false;      ///< `schema fmt FILE --write`: rewrite the file in place
  std::string document;    ///< schema_doc: openapi, asyncapi, docs or gen-cpp
  bool allow_destructive = false; ///< `schema migrate FILE --allow-destructive`
};

/// `weft run [--config FILE]`, `weft migrate [--config FILE]`,
/// `weft outbox republish --since TIME [--config FILE]`, `weft config check
/// FILE`, `weft version`, `weft help`; and against a running node
/// (`[--config FILE] [--url URL] [--token T]`): `weft consumers list|pause
/// NAME|resume NAME`, `weft dlq list NAME [--limit N]`, `weft dlq redrive
/// NAME [--id ID | --since TIME]`, `weft events tail [--types T,...]
/// [--subject S] [--from POSITION]`; `weft schema check FILE`, `weft schema
/// fmt FILE [--write]`. `WEFT_CONFIG` names the file when `--config` is
/// absent.
command_line parse_command_line(const std::vector<std::string>& args);

/// The usage text.
const char* usage();

} // namespace weft
