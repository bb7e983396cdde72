#include "actors/webhooks/sink_policy.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

namespace weft::webhooks {

namespace {

std::string lower(std::string_view s) {
  std::string out{s};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

/// `addr` (network order bytes) within prefix/bits.
template <size_t N>
bool within(const std::array<uint8_t, N>& addr, const std::array<uint8_t, N>& prefix, int bits) {
  for (int i = 0; i < bits; ++i) {
    int byte = i / 8, bit = 7 - i % 8;
    if (((addr[byte] >> bit) & 1) != ((prefix[byte] >> bit) & 1))
      return false;
  }
  return true;
}

std::string forbidden_v4(const std::array<uint8_t, 4>& a) {
  struct range {
    std::array<uint8_t, 4> prefix;
    int bits;
    const char* why;
  };
  static const range ranges[] = {
    {{0, 0, 0, 0}, 8, "an unspecified address (0.0.0.0/8)"},
    {{127, 0, 0, 0}, 8, "a loopback address (127.0.0.0/8)"},
    {{10, 0, 0, 0}, 8, "a private address (10.0.0.0/8)"},
    {{172, 16, 0, 0}, 12, "a private address (172.16.0.0/12)"},
    {{192, 168, 0, 0}, 16, "a private address (192.168.0.0/16)"},
    {{169, 254, 169, 254}, 32, "the cloud metadata address (169.254.169.254)"},
    {{169, 254, 0, 0}, 16, "a link-local address (169.254.0.0/16)"},
    {{100, 64, 0, 0}, 10, "a carrier-grade NAT address (100.64.0.0/10)"},
    {{192, 0, 0, 0}, 24, "an IETF protocol address (192.0.0.0/24)"},
    {{198, 18, 0, 0}, 15, "a benchmarking address (198.18.0.0/15)"},
    {{224, 0, 0, 0}, 4, "a multicast address (224.0.0.0/4)"},
    {{240, 0, 0, 0}, 4, "a reserved or broadcast address (240.0.0.0/4)"},
  };
  for (const auto& r : ranges)
    if (within(a, r.prefix, r.bits))
      return r.why;
  return {};
}

} // namespace

bool allowed_host(std::string_view host, const std::vector<std::string>& allow_hosts) {
  auto h = lower(host);
  return std::any_of(allow_hosts.begin(), allow_hosts.end(),
                     [&](const std::string& a) { return lower(a) == h; });
}

bool parse_sink(std::string_view url, sink_url& out, std::string& why) {
  if (url.size() > 2048) {
    why = "longer than 2048 characters";
    return false;
  }
  for (unsigned char c : url)
    if (c <= 0x20 || c >= 0x7f) {
      why = "contains spaces or characters outside printable ASCII";
      return false;
    }
  auto colon = url.find("://");
  if (colon == std::string_view::npos) {
    why = "not an absolute URL";
    return false;
  }
  out.scheme = lower(url.substr(0, colon));
  if (out.scheme != "http" && out.scheme != "https") {
    why = "the scheme must be http or https";
    return false;
  }
  auto rest = url.substr(colon + 3);
  auto slash = rest.find_first_of("/?#");
  auto authority = rest.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string{rest.substr(slash)};
  if (auto hash = out.target.find('#'); hash != std::string::npos)
    out.target.erase(hash);
  if (out.target.empty() || out.target[0] != '/')
    out.target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) {
    why = "credentials in the URL are not allowed";
    return false;
  }
  std::string_view host = authority, port;
  if (authority.starts_with("[")) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      why = "an IPv6 address without its closing bracket";
      return false;
    }
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        why = "unexpected characters after the IPv6 address";
        return false;
      }
      port = after.substr(1);
    }
  } else if (auto c = authority.rfind(':'); c != std::string_view::npos) {
    host = authority.substr(0, c);
    port = authority.substr(c + 1);
  }
  if (host.empty()) {
    why = "no host";
    return false;
  }
  out.host = lower(host);
  if (port.empty()) {
    out.port = out.scheme == "https" ? 443 : 80;
  } else {
    unsigned long p = 0;
    for (char ch : port) {
      if (ch < '0' || ch > '9' || p > 65535) {
        why = "the port must be a number from 1 to 65535";
        return false;
      }
      p = p * 10 + static_cast<unsigned long>(ch - '0');
    }
    if (p == 0 || p > 65535) {
      why = "the port must be a number from 1 to 65535";
      return false;
    }
    out.port = static_cast<uint16_t>(p);
  }
  return true;
}

std::string forbidden_address(std::string_view ip) {
  std::string s{ip};
  std::array<uint8_t, 4> v4{};
  if (inet_pton(AF_INET, s.c_str(), v4.data()) == 1)
    return forbidden_v4(v4);
  std::array<uint8_t, 16> v6{};
  if (inet_pton(AF_INET6, s.c_str(), v6.data()) != 1)
    return {};
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible: judge the IPv4 address.
  static const std::array<uint8_t, 16> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (within(v6, mapped, 96))
    return forbidden_v4({v6[12], v6[13], v6[14], v6[15]});
  static const std::array<uint8_t, 16> zero{};
  std::array<uint8_t, 16> one{};
  one[15] = 1;
  if (v6 == zero)
    return "an unspecified address (::)";
  if (v6 == one)
    return "a loopback address (::1)";
  struct range {
    std::array<uint8_t, 16> prefix;
    int bits;
    const char* why;
  };
  static const range ranges[] = {
    {{0xfc}, 7, "a unique local address (fc00::/7)"},
    {{0xfe, 0x80}, 10, "a link-local address (fe80::/10)"},
    {{0xff}, 8, "a multicast address (ff00::/8)"},
    {{0x00, 0x64, 0xff, 0x9b}, 96, "a NAT64 address (64:ff9b::/96)"},
  };
  for (const auto& r : ranges)
    if (within(v6, r.prefix, r.bits))
      return r.why;
  return {};
}

std::string check_sink(std::string_view url, const std::vector<std::string>& allow_hosts) {
  sink_url u;
  std::string why;
  if (!parse_sink(url, u, why))
    return why;
  if (allowed_host(u.host, allow_hosts))
    return {};
  if (auto bad = forbidden_address(u.host); !bad.empty())
    return "the host is " + bad + " (list it in webhooks.allow_hosts to allow it)";
  if (u.host == "localhost" || u.host.ends_with(".localhost") || u.host.ends_with(".local")
      || u.host.ends_with(".internal"))
    return "the host names this machine or its network (list it in webhooks.allow_hosts to "
           "allow it)";
  return {};
}

} // namespace weft::webhooks
