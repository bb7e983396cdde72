// The config loader on arbitrary input: the JSON text, then (after a NUL
// byte, if any) `NAME=value` lines as the environment. No crash; every
// problem names a key path or source; and what loads writes back (dump,
// secrets unredacted) as a config that loads to the same settings.
#include <cstdint>
#include <string>
#include <string_view>

#include "actors/modules.hpp"
#include "config/loader.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace weft;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto ext = schema_extension_of(service_modules());
  std::string_view in{reinterpret_cast<const char*>(data), size};
  auto nul = in.find('\0');
  std::string text{in.substr(0, nul)};
  config::environment env;
  if (nul != std::string_view::npos) {
    auto rest = in.substr(nul + 1);
    while (!rest.empty()) {
      auto eol = rest.find('\n');
      auto line = rest.substr(0, eol);
      if (auto eq = line.find('='); eq != std::string_view::npos)
        env[std::string{line.substr(0, eq)}] = std::string{line.substr(eq + 1)};
      if (eol == std::string_view::npos)
        break;
      rest.remove_prefix(eol + 1);
    }
  }
  auto loaded = config::load(text, env, ext);
  for (auto& p : loaded.problems)
    FUZZ_CHECK(!config::to_string(p).empty());
  if (!loaded.ok())
    return 0;
  auto written = config::dump(loaded.value, false);
  auto again = config::load(written, {}, ext);
  if (!again.ok())
    for (auto& p : again.problems)
      std::fprintf(stderr, "reload: %s\n", config::to_string(p).c_str());
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(config::dump(again.value, false) == written);
  return 0;
}
