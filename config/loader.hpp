#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/settings.hpp"

namespace weft::config {

/// One thing wrong with the configuration: the key path and what is wrong,
/// printed as `http.port: must be in [0, 65535], got 70000`, or with its
/// source as `WEFT_HTTP_PORT (http.port): expected unsigned integer, got "abc"`.
struct config_problem {
  std::string path;     ///< `http.port`, `faults.rules[0].mode`; "" for the whole file
  std::string message;
  std::string source;   ///< the environment variable or file at fault; "" = the JSON text
};

/// `source (path): message`, `source: message`, `path: message` or `message`.
std::string to_string(const config_problem& p);

/// The outcome of loading: settings when `problems` is empty.
struct load_result {
  settings value;
  std::vector<config_problem> problems;
  bool ok() const { return problems.empty(); }
};

/// Environment as a map, so that tests need not touch the process's own.
using environment = std::map<std::string, std::string>;

/// This process's environment.
environment process_environment();

struct schema_extension;

/// The defaults: the node's sections, and those of `ext` with
/// `node.services` listing every service `ext` names.
settings defaults(const std::shared_ptr<const schema_extension>& ext = nullptr);

/// Reads the JSON text (may be empty or blank: defaults), applies
/// `WEFT_<SECTION>_<KEY>` (and `DATABASE_URL`, `NATS_URL`) from `env`,
/// validates, and collects every problem: malformed JSON, unknown keys (also
/// unknown WEFT_ variables), wrong types, values out of range. `ext` adds
/// the service modules' sections and names the services `node.services`
/// may list (without it: the node's sections alone, any service name).
/// `WEFT_CONFIG` and `WEFT_BINARY` are not settings (they name the config
/// file and the binary for scripts) and are ignored. `DATABASE_URL` and
/// `NATS_URL` apply before `WEFT_DATABASE_URL` / `WEFT_NATS_URL`, which win.
load_result load(const std::string& json_text, const environment& env,
                 std::shared_ptr<const schema_extension> ext = nullptr);

/// Reads the file, then as `load`; an unreadable file is a problem at path ""
/// with the file as its source.
load_result load_file(const std::string& path, const environment& env,
                      std::shared_ptr<const schema_extension> ext = nullptr);

/// The settings as a JSON config with every key (what `load` reads back),
/// the modules' sections included; secrets (database.url, nats.url, and
/// the keys modules mark secret) become "<redacted>" when non-empty, unless
/// `redact` is false.
std::string dump(const settings& s, bool redact = true);

/// Every key path, `node.name` ... `nats.url`, then the keys of `ext`'s
/// sections, in file order.
std::vector<std::string> key_paths(const schema_extension* ext = nullptr);

/// The environment variable of a key path: `http.body_limit` -> `WEFT_HTTP_BODY_LIMIT`.
std::string env_name(const std::string& key_path);

} // namespace weft::config
