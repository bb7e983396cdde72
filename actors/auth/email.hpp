#pragma once

#include <string>
#include <string_view>

namespace weft::auth {

/// Lower-cases and trims; empty if it is no plausible address. The form in
/// which auth stores emails and puts them in its events: others that match
/// an address against auth.user.created (notifications) use it too.
std::string normalize_email(std::string_view email);

} // namespace weft::auth
