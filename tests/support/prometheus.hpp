#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Reading the Prometheus text exposition format, for tests that check
// counters on a node's /metrics.
namespace weft::test {

struct metric_sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

/// Every sample line of the exposition text (comments skipped).
std::vector<metric_sample> parse_metrics(const std::string& text);

/// Sum of the samples named `name` whose labels include every pair of
/// `match`; nullopt if no sample of that name exists at all.
std::optional<double> metric_sum(const std::string& text, std::string_view name,
                                 const std::map<std::string, std::string>& match = {});

} // namespace weft::test
