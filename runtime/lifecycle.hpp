#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace weft {

/// Starts components in the order they were added and stops them in exactly
/// the reverse order, each within what is left of one deadline (as Seastar
/// and userver do). A component whose start fails stops those started before.
class lifecycle {
public:
  using clock = std::chrono::steady_clock;
  /// Returns an empty string on success, else what went wrong.
  using start_fn = std::function<std::string()>;
  /// Gets the time point by which it must be done.
  using stop_fn = std::function<void(clock::time_point deadline)>;

  void add(std::string name, start_fn start, stop_fn stop);

  /// Starts everything; on failure stops what started and returns the error.
  std::string start_all();

  /// Stops what started, newest first.
  void stop_all(std::chrono::milliseconds budget);

private:
  struct component {
    std::string name;
    start_fn start;
    stop_fn stop;
  };
  std::vector<component> components_;
  size_t started_ = 0;
};

} // namespace weft
