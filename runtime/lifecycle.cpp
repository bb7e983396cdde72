#include "runtime/lifecycle.hpp"

#include <spdlog/spdlog.h>

namespace weft {

void lifecycle::add(std::string name, start_fn start, stop_fn stop) {
  components_.push_back(component{std::move(name), std::move(start), std::move(stop)});
}

std::string lifecycle::start_all() {
  for (; started_ < components_.size(); ++started_) {
    auto& c = components_[started_];
    auto err = c.start ? c.start() : std::string{};
    if (!err.empty()) {
      spdlog::error("start: {} failed: {}", c.name, err);
      stop_all(std::chrono::seconds{5});
      return c.name + ": " + err;
    }
    spdlog::debug("start: {} up", c.name);
  }
  return {};
}

void lifecycle::stop_all(std::chrono::milliseconds budget) {
  auto deadline = clock::now() + budget;
  while (started_ > 0) {
    auto& c = components_[--started_];
    spdlog::debug("stop: {}", c.name);
    if (c.stop)
      c.stop(deadline);
  }
}

} // namespace weft
