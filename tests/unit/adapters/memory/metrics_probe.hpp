#pragma once

#include <map>
#include <string>

#include <prometheus/registry.h>

#include "runtime/metrics.hpp"

namespace weft::test {

/// The value of the series of `family` with exactly `labels` (counter or
/// gauge), or -1 if there is none.
inline double metric_value(const weft::metrics& m, const std::string& family,
                           const std::map<std::string, std::string>& labels) {
  for (auto& f : m.registry()->Collect()) {
    if (f.name != family)
      continue;
    for (auto& series : f.metric) {
      std::map<std::string, std::string> got;
      for (auto& l : series.label)
        got[l.name] = l.value;
      if (got != labels)
        continue;
      return f.type == prometheus::MetricType::Gauge ? series.gauge.value
                                                      : series.counter.value;
    }
  }
  return -1;
}

} // namespace weft::test
