#include "actors/retention/retention_sweeper.hpp"

#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/spawn_options.hpp>
#include <spdlog/spdlog.h>

#include "runtime/error_text.hpp"
#include "runtime/metrics.hpp"

namespace weft::retention {

namespace {

using sweep_atom = caf::atom_constant<caf::atom("sweep")>;

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace

sweeper_options options_from(const config::settings& s, metrics* node_metrics) {
  sweeper_options o;
  o.interval = std::chrono::seconds{s.retention.interval_s};
  o.batch = s.retention.batch;
  o.dead_letters = std::chrono::seconds{s.retention.dead_letters_s};
  o.node_metrics = node_metrics;
  return o;
}

std::vector<retention_rule> node_rules(const config::settings& s) {
  const int64_t keep = config::records_retention_s(s);
  return {
    {"inbox.records",
     [keep](unit_of_work& w, int64_t limit) { return w.prune_deliveries(unix_now() - keep, limit); }},
    {"http.idempotency_keys",
     [](unit_of_work& w, int64_t limit) { return w.prune_answers(limit); }},
  };
}

sweep_result sweep(store_session& session, const std::vector<retention_rule>& rules,
                   const sweeper_options& opts) {
  sweep_result out;
  for (const auto& rule : rules) {
    int64_t total = 0;
    for (int64_t b = 0; b < opts.max_batches; ++b) {
      auto n = transact<int64_t>(session, [&](unit_of_work& w) { return rule.prune(w, opts.batch); });
      if (!n) {
        spdlog::warn("retention: pruning {} failed (retried at the next sweep): {}", rule.what,
                     reason_of(n.error()));
        break;
      }
      total += *n;
      if (*n < opts.batch)
        break;
    }
    if (opts.node_metrics != nullptr)
      opts.node_metrics->counter("weft_retention_pruned_total",
                                     "Rows deleted by the retention sweeper, by what they were",
                                     "what", rule.what, static_cast<double>(total));
    if (total > 0)
      spdlog::info("retention: pruned {} {}", total, rule.what);
    out.emplace_back(rule.what, total);
  }
  return out;
}

namespace {

/// Prunes the bus's dead letters stored before `before_ms`, a batch per
/// request, until a batch comes back short or the sweep's budget is spent;
/// then counts them. A failure waits for the next sweep, as a batch of rows.
void prune_dead_letters(caf::event_based_actor* self, event_bus_actor bus,
                        const sweeper_options& opts, int64_t before_ms, int64_t batches,
                        uint64_t total) {
  auto done = [opts](uint64_t n) {
    if (opts.node_metrics != nullptr)
      opts.node_metrics->counter("weft_retention_pruned_total",
                                 "Rows deleted by the retention sweeper, by what they were",
                                 "what", "bus.dead_letters", static_cast<double>(n));
    if (n > 0)
      spdlog::info("retention: pruned {} bus.dead_letters", n);
  };
  self->request(bus, std::chrono::seconds{60}, prune_atom::value, before_ms,
                static_cast<uint32_t>(opts.batch))
    .then(
      [=](uint64_t n) {
        if (n == static_cast<uint64_t>(opts.batch) && batches + 1 < opts.max_batches)
          prune_dead_letters(self, bus, opts, before_ms, batches + 1, total + n);
        else
          done(total + n);
      },
      [=](caf::error& err) {
        spdlog::warn("retention: pruning bus.dead_letters failed (retried at the next sweep): {}",
                     reason_of(err));
        done(total);
      });
}

} // namespace

caf::actor spawn_retention_sweeper(caf::actor_system& sys, store& data,
                                   std::vector<retention_rule> rules, sweeper_options opts,
                                   event_bus_actor bus) {
  auto session = data.open_session("retention");
  return sys.spawn<caf::detached>(
    [session, rules = std::move(rules), opts, bus](caf::event_based_actor* self) -> caf::behavior {
      // The first sweep soon after the start, not in the middle of it.
      self->delayed_send(self, std::min<std::chrono::milliseconds>(opts.interval, std::chrono::seconds{5}),
                         sweep_atom::value);
      return {
        [=](sweep_atom) {
          sweep(*session, rules, opts);
          if (bus && opts.dead_letters.count() > 0) {
            auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
            prune_dead_letters(self, bus, opts, now_ms - std::chrono::milliseconds{opts.dead_letters}.count(),
                               0, 0);
          }
          self->delayed_send(self, opts.interval, sweep_atom::value);
        },
      };
    });
}

} // namespace weft::retention
