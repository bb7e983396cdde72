#include "runtime/migration.hpp"

#include <cstdio>

namespace weft {

std::string migration::file_name() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d_", version);
  return buf + std::string{name} + ".sql";
}

} // namespace weft
