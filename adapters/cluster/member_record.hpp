#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>

// What one node tells the others about itself when they meet: who it is,
// which incarnation (a restarted node is a new member), where it is dialled,
// and the front actor of each service it hosts. Exchanged once per
// connection, in both directions; registered as a message type in main.
namespace weft::cluster {

struct member_record {
  std::string name;                  ///< node.name
  uint64_t incarnation = 0;          ///< start time, ns since the epoch
  std::string address;               ///< host:port the others dial
  std::string version;               ///< the build (WEFT_VERSION)
  std::string lease_owner;           ///< its outbox relay's leases (durable nodes), released when it dies
  caf::actor directory;              ///< its cluster actor: monitored, its death is the node's
  std::vector<std::string> services; ///< hosted services ...
  std::vector<caf::actor> fronts;    ///< ... and their fronts, index for index
  std::vector<std::string> known;    ///< addresses of the members it knows: one seed finds all
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_record& x) {
  return f(caf::meta::type_name("weft.member_record"), x.name, x.incarnation, x.address,
           x.version, x.lease_owner, x.directory, x.services, x.fronts, x.known);
}

} // namespace weft::cluster
