#include "actors/auth/email.hpp"

#include <algorithm>
#include <cctype>

namespace weft::auth {

std::string normalize_email(std::string_view email) {
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.front())))
    email.remove_prefix(1);
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.back())))
    email.remove_suffix(1);
  std::string out{email};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto at = out.find('@');
  bool plausible = out.size() <= 254 && at != std::string::npos && at > 0
                   && out.find('@', at + 1) == std::string::npos
                   && out.find('.', at + 2) != std::string::npos && out.back() != '.'
                   && std::none_of(out.begin(), out.end(), [](unsigned char c) {
                        return std::isspace(c) || std::iscntrl(c);
                      });
  return plausible ? out : std::string{};
}

} // namespace weft::auth
