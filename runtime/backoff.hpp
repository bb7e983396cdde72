#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <span>

// Exponential backoff with jitter, once for every retry loop of the node
// (outbox relays, both buses' redeliveries): the configured steps, the last
// repeating, each delay drawn within +-20% so that many failures at once do
// not retry in lockstep.
namespace weft {

/// The delay before retry number `attempt` (1-based; 0 counts as 1):
/// `steps_ms[attempt - 1]`, the last step repeating, times a draw in
/// [0.8, 1.2) from `rng`. Zero when there are no steps.
template <class Rng>
std::chrono::milliseconds backoff_delay(std::span<const uint32_t> steps_ms, uint32_t attempt,
                                        Rng& rng) {
  if (steps_ms.empty())
    return std::chrono::milliseconds{0};
  auto idx = std::min<size_t>(attempt == 0 ? 0 : attempt - 1, steps_ms.size() - 1);
  std::uniform_real_distribution<double> jitter{0.8, 1.2};
  return std::chrono::milliseconds{
    static_cast<int64_t>(static_cast<double>(steps_ms[idx]) * jitter(rng))};
}

} // namespace weft
