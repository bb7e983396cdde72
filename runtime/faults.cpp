#include "runtime/faults.hpp"

namespace weft {

namespace {

// SplitMix64: a good 64-bit mixer, so the draw for (rule, n) is
// deterministic across runs and threads without any shared PRNG state.
uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// A uniform draw in [0, 1) for the n-th delivery seen by rule `index`.
double draw(uint64_t n, size_t index) {
  auto bits = mix(n * 0x100000001B3ull ^ mix(static_cast<uint64_t>(index) + 1));
  return static_cast<double>(bits >> 11) * (1.0 / 9007199254740992.0); // 2^53
}

fault_action action_for(const std::string& mode) {
  // The config loader validates `mode`; anything else fails before the handler.
  if (mode == "no_ack")
    return fault_action::no_ack;
  if (mode == "fail_after")
    return fault_action::fail_after;
  return fault_action::fail;
}

} // namespace

fault_plan::fault_plan(std::vector<config::fault_rule> rules) {
  rules_.reserve(rules.size());
  for (auto& cfg : rules) {
    auto r = std::make_unique<rule>();
    r->cfg = std::move(cfg);
    rules_.push_back(std::move(r));
  }
}

fault_action fault_plan::next(std::string_view handler, std::string_view type) {
  // Every matching rule counts the delivery, so each rule's "first N" stays
  // exact even when an earlier rule already decided; the first decision wins.
  auto result = fault_action::none;
  for (size_t i = 0; i < rules_.size(); ++i) {
    auto& r = *rules_[i];
    if (r.cfg.handler != handler)
      continue;
    if (!r.cfg.type.empty() && r.cfg.type != type)
      continue;
    auto n = r.seen.fetch_add(1, std::memory_order_relaxed) + 1;
    auto act = fault_action::none;
    if (n <= r.cfg.first)
      act = action_for(r.cfg.mode);
    else if (r.cfg.fraction > 0.0 && draw(n, i) < r.cfg.fraction)
      act = action_for(r.cfg.mode);
    if (result == fault_action::none)
      result = act;
  }
  return result;
}

} // namespace weft
