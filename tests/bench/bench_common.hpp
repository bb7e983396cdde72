#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/http_client.hpp"

// What the benchmark programs share: their knobs from the environment, a
// percentile, a process's CPU time, and a writer at a steady rate.
namespace weft::bench {

/// The integer in environment variable `name`, or `fallback`.
inline int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

/// The `p` quantile (0..1) of `v` (reorders it); 0 when empty.
inline double percentile(std::vector<double>& v, double p) {
  if (v.empty())
    return 0;
  auto i = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i];
}

/// CPU seconds (user + system) of a process so far, from /proc.
inline double cpu_seconds(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  std::istringstream rest{text.substr(close + 2)};
  std::string field;
  std::vector<std::string> f;
  while (rest >> field)
    f.push_back(field);
  // After the command: state is field 3, utime 14, stime 15 (1-based, man proc).
  double ticks = std::stod(f.at(11)) + std::stod(f.at(12));
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

/// POST /v1/auth/api-keys at `rate` per second for `seconds`, from `writers`
/// keep-alive connections each on a fixed schedule (so a slow answer does
/// not lower the rate): each created key's id and when its request was sent.
inline std::map<std::string, std::chrono::steady_clock::time_point>
write_api_keys(uint16_t port, const std::string& token, int rate, int seconds,
               const std::string& tag, int writers = 16) {
  using steady = std::chrono::steady_clock;
  std::mutex mtx;
  std::map<std::string, steady::time_point> sent_at;
  auto t0 = steady::now();
  std::vector<std::thread> ws;
  for (int w = 0; w < writers; ++w)
    ws.emplace_back([&, w] {
      test::http_client c("127.0.0.1", port, true);
      auto per = std::chrono::duration<double>(static_cast<double>(writers) / rate);
      auto next = t0 + std::chrono::duration_cast<steady::duration>(per * (static_cast<double>(w) / writers));
      auto end = t0 + std::chrono::seconds{seconds};
      int i = 0;
      while (next < end) {
        std::this_thread::sleep_until(next);
        auto at = steady::now();
        auto r = c.post("/v1/auth/api-keys",
                        {{"name", tag + std::to_string(w) + "-" + std::to_string(i++)}, {"role", "user"}},
                        test::bearer(token));
        if (r.status == 201) {
          std::lock_guard<std::mutex> lk{mtx};
          sent_at[r.json().at("id").get<std::string>()] = at;
        }
        next += std::chrono::duration_cast<steady::duration>(per);
      }
    });
  for (auto& t : ws)
    t.join();
  return sent_at;
}

} // namespace weft::bench
