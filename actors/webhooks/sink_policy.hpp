#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

// Where a webhook may be sent (the SSRF guard). A sink is an http(s) URL
// without credentials; it may not reach this host or its networks: loopback,
// private (RFC 1918, unique local), link-local (with the cloud metadata
// address 169.254.169.254), carrier-grade NAT, unspecified, multicast or
// broadcast addresses are refused, unless the URL's host is listed in
// `webhooks.allow_hosts`. A name is checked when a subscription is made
// (literal addresses and `localhost`) and again, resolved, before each
// delivery, which then connects to the address it checked (no second
// lookup for a rebinding DNS to answer differently). Redirects are not
// followed.
namespace weft::webhooks {

struct sink_url {
  std::string scheme;  ///< http or https
  std::string host;    ///< lower case, without brackets
  uint16_t port = 0;
  std::string target;  ///< path and query, at least "/"
};

/// Parses a sink URL; `why` says what is wrong when it returns false.
bool parse_sink(std::string_view url, sink_url& out, std::string& why);

/// Why a numeric address (IPv4 dotted or IPv6) may not be a sink; empty if
/// it may be (or if `ip` is not a numeric address).
std::string forbidden_address(std::string_view ip);

/// The check made when a subscription is created or changed: the URL parses
/// and its host is not a forbidden literal address or a local name, unless
/// allowed. Empty when acceptable, else the reason.
std::string check_sink(std::string_view url, const std::vector<std::string>& allow_hosts);

/// True if `host` is in `allow_hosts` (case-insensitive).
bool allowed_host(std::string_view host, const std::vector<std::string>& allow_hosts);

} // namespace weft::webhooks
