#include "adapters/cluster/partition_leases.hpp"

#include <nats/nats.h>

#include <algorithm>
#include <map>

#include <caf/scoped_actor.hpp>
#include <spdlog/spdlog.h>

#include "adapters/cluster/kv_bucket.hpp"
#include "runtime/atoms.hpp"
#include "runtime/metrics.hpp"

namespace weft::cluster {

namespace {

using clock = std::chrono::steady_clock;

/// What this node does with one partition.
enum class hold {
  none,      ///< another node's, or nobody's
  fencing,   ///< taken; read once its previous reader's deliveries are back
  reading,
  releasing, ///< above the fair share: settling here, then the key goes
};

struct lease {
  hold state = hold::none;
  uint64_t rev = 0;       ///< the key's revision we wrote last
  clock::time_point ready_at{};
};

} // namespace

struct partition_leases::state {
  caf::actor_system* sys = nullptr;
  event_bus_actor bus;
  partition_lease_options opts;
  std::unique_ptr<kv_bucket> bucket;
  kvStore* kv = nullptr; ///< bucket's
  std::map<std::string, std::vector<lease>> leases; ///< by consumer, one per partition

  static std::string key(const std::string& consumer, uint32_t k) {
    return consumer + "." + std::to_string(k);
  }

  /// Tells the bus which partitions of `consumer` it reads; true once those
  /// taken away are settled.
  bool assign(const std::string& consumer, std::chrono::milliseconds wait) {
    std::vector<uint32_t> owned;
    const auto& ls = leases[consumer];
    for (uint32_t k = 0; k < ls.size(); ++k)
      if (ls[k].state == hold::reading)
        owned.push_back(k);
    caf::scoped_actor self{*sys};
    bool settled = false;
    self->request(bus, wait, assign_atom::value, consumer, std::move(owned))
      .receive([&](ack_atom) { settled = true; },
               [&](caf::error& err) {
                 if (err != caf::sec::request_timeout)
                   spdlog::warn("partitions: {}: the bus refused the assignment: {}", consumer,
                                sys->render(err));
               });
    return settled;
  }

  /// Renews every key of `consumer` held here; one taken over (our lease
  /// expired) stops being ours at once.
  void renew(const std::string& consumer) {
    auto& ls = leases[consumer];
    for (uint32_t k = 0; k < ls.size(); ++k) {
      auto& l = ls[k];
      if (l.state == hold::none)
        continue;
      uint64_t rev = 0;
      auto s = kvStore_UpdateString(&rev, kv, key(consumer, k).c_str(), opts.owner.c_str(), l.rev);
      if (s == NATS_OK) {
        l.rev = rev;
      } else if (s != NATS_TIMEOUT && s != NATS_NO_SERVER_SUPPORT && s != NATS_CONNECTION_CLOSED
                 && s != NATS_CONNECTION_DISCONNECTED) {
        // Taken over (our lease expired): stop reading it here at once.
        spdlog::warn("partitions: lost {} partition {} ({})", consumer, k, natsStatus_GetText(s));
        l = lease{};
      }
      // NATS unreachable: keep reading; our keys expire and another node
      // may take them, which our next renewal finds out.
    }
  }

  /// One round for one consumer: renew, give up or take to reach the fair
  /// share, start reading fenced ones, tell the bus.
  void round(const std::string& consumer) {
    auto& ls = leases[consumer];
    const uint32_t parts = opts.partitions;
    auto now = clock::now();
    renew(consumer);
    size_t readers = std::max<size_t>(opts.readers ? opts.readers(consumer) : 1, 1);
    uint32_t target = static_cast<uint32_t>((parts + readers - 1) / readers);
    uint32_t mine = 0;
    for (auto& l : ls)
      mine += l.state == hold::fencing || l.state == hold::reading ? 1 : 0;
    for (uint32_t k = parts; k-- > 0 && mine > target;) {
      auto& l = ls[k];
      if (l.state == hold::fencing) { // never read here: give it up now
        kvStore_Delete(kv, key(consumer, k).c_str());
        l = lease{};
        mine--;
      } else if (l.state == hold::reading) {
        l.state = hold::releasing;
        mine--;
      }
    }
    // Start where this node's name points, so nodes starting together do
    // not all race for partition 0 first.
    uint32_t offset = static_cast<uint32_t>(std::hash<std::string>{}(opts.owner) % parts);
    for (uint32_t i = 0; i < parts && mine < target; ++i) {
      uint32_t k = (offset + i) % parts;
      auto& l = ls[k];
      if (l.state != hold::none)
        continue;
      uint64_t rev = 0;
      if (kvStore_CreateString(&rev, kv, key(consumer, k).c_str(), opts.owner.c_str())
          != NATS_OK)
        continue; // someone reads it
      l.state = hold::fencing;
      l.rev = rev;
      l.ready_at = now + opts.fence;
      mine++;
      spdlog::info("partitions: took {} partition {}; reading it in {} ms", consumer, k,
                   opts.fence.count());
    }
    uint32_t reading = 0;
    for (auto& l : ls) {
      if (l.state == hold::fencing && now >= l.ready_at)
        l.state = hold::reading;
      reading += l.state == hold::reading ? 1 : 0;
    }
    if (opts.metrics)
      opts.metrics->gauge("weft_partitions_reading", "Partitions of a consumer this node reads",
                          "consumer", consumer, reading);
    if (assign(consumer, opts.interval / 2))
      for (uint32_t k = 0; k < parts; ++k)
        if (ls[k].state == hold::releasing) {
          kvStore_Delete(kv, key(consumer, k).c_str());
          ls[k] = lease{};
          spdlog::info("partitions: handed {} partition {} over", consumer, k);
        }
  }
};

caf::expected<std::unique_ptr<partition_leases>>
partition_leases::start(caf::actor_system& sys, event_bus_actor bus, partition_lease_options opts) {
  std::unique_ptr<partition_leases> p{new partition_leases};
  p->st_ = std::make_unique<state>();
  auto& st = *p->st_;
  st.sys = &sys;
  st.bus = std::move(bus);
  st.opts = std::move(opts);
  for (const auto& c : st.opts.consumers)
    st.leases[c].resize(st.opts.partitions);
  // Three missed renewals and a lease is gone.
  auto bucket = kv_bucket::open(st.opts.nats_url, "weft-partitions-" + st.opts.node,
                                st.opts.bucket, 3 * st.opts.interval);
  if (!bucket)
    return std::move(bucket.error());
  st.bucket = std::move(*bucket);
  st.kv = st.bucket->kv();
  p->thread_ = std::thread{[raw = p.get()] { raw->run(); }};
  return p;
}

partition_leases::~partition_leases() {
  stop(clock::now());
}

void partition_leases::run() {
  std::unique_lock<std::mutex> lk{mtx_};
  while (!stop_) {
    lk.unlock();
    for (const auto& c : st_->opts.consumers) {
      std::lock_guard<std::mutex> g{mtx_}; // reading() sees whole rounds
      st_->round(c);
    }
    lk.lock();
    cv_.wait_for(lk, st_->opts.interval, [this] { return stop_; });
  }
}

void partition_leases::stop(clock::time_point deadline) {
  {
    std::lock_guard<std::mutex> lk{mtx_};
    if (stop_ && !thread_.joinable())
      return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
  if (!st_ || st_->kv == nullptr)
    return;
  for (auto& [consumer, ls] : st_->leases)
    for (auto& l : ls)
      if (l.state != hold::none)
        l.state = hold::releasing;
  // Settle every consumer, renewing all keys meanwhile (the rounds have
  // stopped): a key left to expire mid-settle could be taken by another
  // node, which would then read behind what this one has not given back.
  std::vector<std::string> unsettled;
  for (const auto& [consumer, ls] : st_->leases)
    unsettled.push_back(consumer);
  const auto step = std::max(st_->opts.interval / 2, std::chrono::milliseconds{100});
  for (bool first = true; !unsettled.empty(); first = false) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (!first && left.count() <= 0)
      break;
    for (const auto& [consumer, ls] : st_->leases)
      st_->renew(consumer);
    auto wait = std::clamp(left, std::chrono::milliseconds{100}, step);
    std::erase_if(unsettled, [&](const std::string& c) { return st_->assign(c, wait); });
  }
  for (const auto& consumer : unsettled)
    spdlog::warn("partitions: {} not settled before the deadline; handing it over anyway",
                 consumer);
  for (auto& [consumer, ls] : st_->leases) {
    uint32_t n = 0;
    for (uint32_t k = 0; k < ls.size(); ++k)
      if (ls[k].state != hold::none) {
        kvStore_Delete(st_->kv, state::key(consumer, k).c_str());
        ls[k] = lease{};
        n++;
      }
    if (n > 0)
      spdlog::info("partitions: handed {} partitions of {} over", n, consumer);
  }
}

std::vector<uint32_t> partition_leases::reading(const std::string& consumer) const {
  std::lock_guard<std::mutex> lk{mtx_};
  std::vector<uint32_t> out;
  auto it = st_->leases.find(consumer);
  if (it == st_->leases.end())
    return out;
  for (uint32_t k = 0; k < it->second.size(); ++k)
    if (it->second[k].state == hold::reading)
      out.push_back(k);
  return out;
}

} // namespace weft::cluster
