#include "adapters/cluster/cluster_node.hpp"

#include <chrono>
#include <map>
#include <set>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "adapters/cluster/kv_members.hpp"
#include "adapters/cluster/member_record.hpp"
#include "events/ids.hpp"
#include "runtime/route_kit.hpp"

namespace weft::cluster {

void keep_openssl_error_queue_guard(); // openssl_error_queue.cpp

namespace {

using namespace std::chrono;

int64_t unix_ms() {
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// `host:port` as config checked it; addresses learned from peers are not
// trusted to be well formed: {"" , 0} for anything else.
std::pair<std::string, uint16_t> split_address(const std::string& a, bool any_port = false) {
  auto colon = a.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == a.size() || a.size() - colon > 6
      || a.find_first_not_of("0123456789", colon + 1) != std::string::npos)
    return {"", 0};
  auto port = std::stoul(a.substr(colon + 1));
  if ((port == 0 && !any_port) || port > 65535)
    return {"", 0};
  return {a.substr(0, colon), static_cast<uint16_t>(port)};
}

struct peer {
  member_record record;
  std::string dialled; ///< the seed it was reached through, if any
  int64_t since_ms = 0;
};

struct gone_peer {
  member_record record;
  int64_t since_ms = 0;
};

struct node_state {
  cluster_options opts;
  member_record me;
  caf::io::middleman_actor mm;
  milliseconds dial_timeout{0};
  std::map<std::string, peer> peers;          ///< by node name
  std::map<std::string, gone_peer> gone;      ///< recently gone, for the listing
  std::set<std::string> discovered;           ///< members' addresses learned from records
  std::set<std::string> dialling;             ///< addresses with a connect in flight
  std::set<std::string> self_seeds;           ///< seeds that turned out to be this node
  std::map<std::string, int64_t> refused_log; ///< seed -> last warning (rate-limits logs)
  std::shared_ptr<member_list> members;
  static inline const char* name = "weft.cluster.node";
};

using node_actor = caf::stateful_actor<node_state>;

void publish_view(node_actor* self) {
  auto& st = self->state;
  std::vector<member_view> out;
  out.push_back({st.me.name, st.me.address, st.me.version, st.me.incarnation, st.me.services,
                 "up", true, static_cast<int64_t>(st.me.incarnation / 1000000)});
  for (const auto& [name, p] : st.peers)
    out.push_back({name, p.record.address, p.record.version, p.record.incarnation,
                   p.record.services, "up", false, p.since_ms});
  for (const auto& [name, g] : st.gone)
    out.push_back({name, g.record.address, g.record.version, g.record.incarnation,
                   g.record.services, "gone", false, g.since_ms});
  st.members->set(std::move(out));
  if (auto* m = st.opts.node_metrics) {
    m->gauge("weft_cluster_members", "Nodes of the cluster this node sees up, itself included",
             "", "", static_cast<double>(st.peers.size() + 1));
    m->gauge("weft_cluster_member_up", "1 while the node is a member, 0 once it is gone", "node",
             st.me.name, 1);
    for (const auto& [name, p] : st.peers)
      m->gauge("weft_cluster_member_up", "1 while the node is a member, 0 once it is gone",
               "node", name, 1);
    for (const auto& [name, g] : st.gone)
      m->gauge("weft_cluster_member_up", "1 while the node is a member, 0 once it is gone",
               "node", name, 0);
  }
}

void drop_peer(node_actor* self, std::map<std::string, peer>::iterator i, const char* why,
               bool died) {
  auto& st = self->state;
  st.opts.registry->remove_node(i->first);
  if (died && st.opts.on_lost && !i->second.record.lease_owner.empty())
    st.opts.on_lost(i->first, i->second.record.lease_owner);
  spdlog::warn("cluster: node {} ({}) {}; its services {} are no longer routed there", i->first,
               i->second.record.address, why, fmt::join(i->second.record.services, ", "));
  // A gone member is dialled again only if it is a seed (it may come back
  // there); one only learned of is forgotten (its address may be reused).
  st.discovered.erase(i->second.record.address);
  st.refused_log.erase(i->second.record.address);
  st.gone[i->first] = {std::move(i->second.record), unix_ms()};
  st.peers.erase(i);
  publish_view(self);
}

void add_peer(node_actor* self, member_record r, const std::string& dialled) {
  auto& st = self->state;
  if (r.name == st.me.name) {
    if (r.incarnation != st.me.incarnation)
      spdlog::error("cluster: another node is named {} ({}); node names must be unique",
                    r.name, r.address);
    // A seed that is our own address is skipped from now on; a name that
    // resolves to several nodes (a headless Service) may reach another one
    // at the next attempt.
    if (!dialled.empty() && (dialled == st.me.address || dialled == st.opts.settings->listen))
      st.self_seeds.insert(dialled);
    return;
  }
  if (!r.directory || r.services.size() != r.fronts.size()) {
    spdlog::warn("cluster: node {} sent a malformed member record; ignored", r.name);
    return;
  }
  if (auto i = st.peers.find(r.name); i != st.peers.end()) {
    if (i->second.record.incarnation == r.incarnation) {
      if (i->second.dialled.empty())
        i->second.dialled = dialled;
      return;
    }
    drop_peer(self, i, "restarted", true);
  }
  self->monitor(r.directory);
  for (size_t k = 0; k < r.services.size(); ++k)
    st.opts.registry->add_remote(r.services[k], r.name, r.fronts[k]);
  spdlog::info("cluster: node {} joined from {} (version {}, services: {})", r.name, r.address,
               r.version, r.services.empty() ? "none" : fmt::format("{}", fmt::join(r.services, ", ")));
  st.gone.erase(r.name);
  // Members it knows that we do not: dial them too (a full mesh from one seed).
  for (const auto& a : r.known)
    if (a != st.me.address && !a.empty())
      st.discovered.insert(a);
  auto name = r.name;
  st.peers[name] = {std::move(r), dialled, unix_ms()};
  publish_view(self);
}

bool reached(const node_state& st, const std::string& seed) {
  if (st.self_seeds.contains(seed) || st.dialling.contains(seed))
    return true;
  for (const auto& [name, p] : st.peers)
    if (p.dialled == seed || p.record.address == seed)
      return true;
  return false;
}

/// This node's record, naming the members it knows now.
member_record my_record(node_actor* self) {
  auto& st = self->state;
  st.me.known.clear();
  for (const auto& [name, p] : st.peers)
    st.me.known.push_back(p.record.address);
  return st.me;
}

// Dials every seed and learned address not reached yet: connect through the
// middleman (the handshake checks the cluster's identifier and, with TLS,
// the peer's certificate), then exchange member records with its cluster actor.
void dial_seeds(node_actor* self) {
  auto& st = self->state;
  std::set<std::string> targets{st.opts.settings->seeds.begin(), st.opts.settings->seeds.end()};
  targets.insert(st.discovered.begin(), st.discovered.end());
  for (const auto& seed : targets) {
    if (reached(st, seed))
      continue;
    auto [host, port] = split_address(seed);
    if (port == 0)
      continue;
    st.dialling.insert(seed);
    self->request(st.mm, st.dial_timeout, caf::connect_atom::value, host, port)
      .then(
        [=](caf::node_id&, caf::strong_actor_ptr& ptr, std::set<std::string>&) {
          auto peer_actor = caf::actor_cast<caf::actor>(ptr);
          if (!peer_actor) {
            self->state.dialling.erase(seed);
            return;
          }
          self->request(peer_actor, self->state.dial_timeout, caf::join_atom::value,
                        my_record(self))
            .then(
              [=](member_record& r) {
                self->state.dialling.erase(seed);
                add_peer(self, std::move(r), seed);
              },
              [=](caf::error& err) {
                self->state.dialling.erase(seed);
                spdlog::warn("cluster: seed {} did not answer the join: {}", seed,
                             self->system().render(err));
              });
        },
        [=](caf::error& err) {
          auto& s = self->state;
          s.dialling.erase(seed);
          // A seed that is down is normal while a cluster starts: say so
          // once in a while, not at every attempt.
          auto now = unix_ms();
          auto& last = s.refused_log[seed];
          if (now - last >= 10000) {
            last = now;
            spdlog::warn("cluster: cannot join seed {}: {} (not up yet, or it refused us: "
                         "another cluster name, build or CA than {})",
                         seed, self->system().render(err), handshake_id(*s.opts.settings));
          }
        });
  }
}

caf::behavior cluster_actor(node_actor* self, cluster_options opts, caf::io::middleman_actor mm,
                            std::shared_ptr<member_list> members) {
  auto& st = self->state;
  st.opts = std::move(opts);
  st.mm = std::move(mm);
  st.members = std::move(members);
  const auto& c = *st.opts.settings;
  st.dial_timeout = milliseconds{std::max<uint32_t>(c.timeout_ms, 1000)};
  st.me.name = st.opts.node_name;
  st.me.incarnation = static_cast<uint64_t>(
    duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count());
  st.me.version = st.opts.version;
  st.me.lease_owner = st.opts.lease_owner;
  st.me.directory = caf::actor_cast<caf::actor>(self);
  for (const auto& name : st.opts.hosted) {
    auto* slot = st.opts.registry->slot(name);
    if (slot == nullptr || !slot->local())
      continue;
    st.me.services.push_back(name);
    st.me.fronts.push_back(slot->local());
  }
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& s = self->state;
    for (auto i = s.peers.begin(); i != s.peers.end(); ++i)
      if (i->second.record.directory.address() == dm.source) {
        bool left = dm.reason == caf::exit_reason::user_shutdown;
        drop_peer(self, i, left ? "left" : "is gone", !left);
        return;
      }
  });
  // Dial at the heartbeat's pace: a seed that comes back is rejoined soon.
  auto every = milliseconds{std::clamp<uint32_t>(c.heartbeat_ms * 2, 100, 2000)};
  return {
    [=](caf::put_atom, const std::string& address) -> member_record {
      self->state.me.address = address;
      publish_view(self);
      self->send(self, tick_atom::value);
      return my_record(self);
    },
    [=](caf::connect_atom, const std::string& address) {
      // An address from the NATS member records: dialled with the seeds.
      auto& s = self->state;
      if (address != s.me.address && !address.empty())
        s.discovered.insert(address);
    },
    [=](caf::join_atom, member_record& r) -> member_record {
      add_peer(self, std::move(r), {});
      return my_record(self);
    },
    [=](caf::get_atom) -> member_record { return my_record(self); },
    [=](tick_atom) {
      // Gone members are listed for 10 minutes (pod names change with
      // every restart: kept forever, they would pile up).
      auto& gone = self->state.gone;
      auto before = gone.size();
      std::erase_if(gone, [now = unix_ms()](const auto& g) { return now - g.second.since_ms > 600000; });
      if (gone.size() != before)
        publish_view(self);
      dial_seeds(self);
      self->delayed_send(self, every, tick_atom::value);
    },
  };
}

} // namespace

std::string handshake_id(const config::cluster_section& c) {
  return "weft/" + c.name + "/" + std::to_string(wire_version);
}

void configure(caf::actor_system_config& cfg, const config::cluster_section& c) {
  if (!c.enabled())
    return;
  cfg.load<caf::io::middleman>();
  // Heartbeats must be on for a hung or cut-off peer to be declared down
  // (off by default in CAF 0.17), and equal on every node.
  cfg.set("middleman.heartbeat-interval", caf::timespan{milliseconds{c.heartbeat_ms}});
  cfg.set("middleman.connection-timeout", caf::timespan{milliseconds{c.timeout_ms}});
  cfg.set("middleman.app-identifiers", std::vector<std::string>{handshake_id(c)});
  if (c.tls()) {
    keep_openssl_error_queue_guard();
    // Setting any openssl.* key turns on mutual verification in caf_openssl.
    cfg.load<caf::openssl::manager>();
    cfg.openssl_certificate = c.tls_cert;
    cfg.openssl_key = c.tls_key;
    cfg.openssl_cafile = c.tls_ca;
  }
}

void member_list::set(std::vector<member_view> members) {
  std::lock_guard<std::mutex> guard{mtx_};
  members_ = std::move(members);
}

std::vector<member_view> member_list::get() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return members_;
}

nlohmann::json member_list::to_json() const {
  auto nodes = nlohmann::json::array();
  for (const auto& m : get())
    nodes.push_back({{"name", m.name},
                     {"address", m.address},
                     {"version", m.version},
                     {"incarnation", std::to_string(m.incarnation)},
                     {"services", m.services},
                     {"state", m.state},
                     {"self", m.self},
                     {"since", events::format_rfc3339_ms(system_clock::time_point{
                                 milliseconds{m.since_ms}})}});
  return {{"nodes", std::move(nodes)}};
}

cluster_node::~cluster_node() {
  leave();
}

caf::expected<std::unique_ptr<cluster_node>>
cluster_node::start(caf::actor_system& sys, cluster_options opts,
                    std::shared_ptr<member_list> members) {
  const auto& c = *opts.settings;
  std::unique_ptr<cluster_node> node{new cluster_node};
  node->sys_ = &sys;
  node->members_ = std::move(members);
  caf::io::middleman_actor mm = c.tls() ? sys.openssl_manager().actor_handle()
                                        : sys.middleman().actor_handle();
  if (!c.tls())
    spdlog::warn("cluster: the cluster port is not protected by TLS (cluster.tls.insecure); "
                 "any process that reaches it can join as a node");
  node->listener_ = caf::actor_cast<caf::actor>(mm);
  node->actor_ = sys.spawn(cluster_actor, opts, mm, node->members_);
  auto [host, port] = split_address(c.listen, true);
  auto bound = c.tls() ? caf::openssl::publish(node->actor_, port, host.c_str(), true)
                       : sys.middleman().publish(node->actor_, port, host.c_str(), true);
  if (!bound) {
    caf::anon_send_exit(node->actor_, caf::exit_reason::user_shutdown);
    node->actor_ = nullptr;
    return caf::make_error(caf::sec::cannot_open_port,
                           "cluster.listen " + c.listen + ": " + sys.render(bound.error()));
  }
  node->port_ = *bound;
  auto address = c.advertise.empty() ? host + ":" + std::to_string(node->port_) : c.advertise;
  member_record me;
  {
    caf::scoped_actor waiter{sys};
    caf::error err;
    waiter->request(node->actor_, std::chrono::seconds{10}, caf::put_atom::value, address)
      .receive([&](member_record& r) { me = std::move(r); }, [&](caf::error& e) { err = e; });
    if (err)
      return err;
  }
  if (!opts.nats_url.empty()) {
    kv_member_options ko;
    ko.nats_url = opts.nats_url;
    ko.bucket = "weft_members_" + c.name;
    ko.node = me.name;
    ko.address = me.address;
    ko.incarnation = me.incarnation;
    ko.services = me.services;
    ko.version = me.version;
    ko.interval = std::chrono::milliseconds{500};
    auto kv = kv_members::start(std::move(ko), node->actor_);
    if (!kv)
      spdlog::warn("cluster: {}; members are found through the seeds only",
                   sys.render(kv.error()));
    else
      node->kv_ = std::move(*kv);
  }
  spdlog::info("cluster: node {} listening for peers on {}:{} as {} ({}{})", opts.node_name, host,
               node->port_, address, handshake_id(c), c.tls() ? ", mutual TLS" : ", no TLS");
  return node;
}

void cluster_node::leave() {
  if (kv_)
    kv_->stop(); // its record goes first: nobody dials it any more
  kv_.reset();
  if (!actor_)
    return;
  // Through the middleman actor that published it (caf::openssl::unpublish
  // does not compile in 0.17.6).
  caf::anon_send(caf::actor_cast<caf::io::middleman_actor>(listener_), caf::unpublish_atom::value,
                 actor_.address(), port_);
  caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
  actor_ = nullptr;
}

service_decl cluster_decl(std::shared_ptr<member_list> members) {
  using namespace route_kit;
  service_decl d;
  d.name = "cluster";
  nlohmann::json node_schema = {
    {"type", "object"},
    {"required", {"name", "address", "version", "incarnation", "services", "state", "self", "since"}},
    {"properties",
     {{"name", {{"type", "string"}}},
      {"address", {{"type", "string"}}},
      {"version", {{"type", "string"}}},
      {"incarnation", {{"type", "string"}}},
      {"services", {{"type", "array"}, {"items", {{"type", "string"}}}}},
      {"state", {{"type", "string"}, {"enum", {"up", "gone"}}}},
      {"self", {{"type", "boolean"}}},
      {"since", {{"type", "string"}, {"format", "date-time"}}}}}};
  nlohmann::json schema = {{"type", "object"},
                           {"required", {"nodes"}},
                           {"properties", {{"nodes", {{"type", "array"}, {"items", node_schema}}}}}};
  d.routes.push_back(get("/cluster/nodes", "cluster.nodes",
                         "The nodes of the cluster, with their services and state")
                       .who(access::management)
                       .here(200, schema, [members](const api_request&) -> caf::expected<nlohmann::json> {
                         return members->to_json();
                       }));
  return d;
}

} // namespace weft::cluster
