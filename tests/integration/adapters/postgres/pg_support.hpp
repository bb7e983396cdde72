#pragma once

#include <unistd.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>

#include "adapters/postgres/connection.hpp"
#include "tests/support/servers.hpp"

// One PostgreSQL cluster per test process (initdb costs a second or two), a
// fresh database per test case. Tests that stop the server hold a
// `keep_running` so that whatever happens, the next test finds it up.
namespace weft::pg::test {

using namespace std::chrono_literals;

/// The process's cluster, started on first use.
inline weft::test::postgres_cluster& cluster() {
  static auto c = std::make_unique<weft::test::postgres_cluster>();
  return *c;
}

/// A new empty database; its URL.
inline std::string fresh_database() {
  static std::atomic<int> n{0};
  auto name = "t" + std::to_string(::getpid()) + "_" + std::to_string(++n);
  cluster().create_database(name);
  return cluster().url(name);
}

/// Options for a test connection to `url`: short timeouts, quick backoff.
inline connect_options test_options(const std::string& url) {
  connect_options o;
  o.url = url;
  o.application_name = "weft-test";
  o.connect_timeout = 2s;
  o.statement_timeout = 10s;
  o.reconnect_min = 20ms;
  o.reconnect_max = 200ms;
  return o;
}

/// Opens a connection or fails the test.
inline connection open_or_fail(const std::string& url) {
  auto c = connection::open(test_options(url));
  if (!c)
    throw std::runtime_error("cannot connect to " + url + ": " + describe(c.error()));
  return std::move(*c);
}

/// Starts the cluster again at scope exit if a test left it stopped.
struct keep_running {
  ~keep_running() {
    try {
      if (!cluster().running())
        cluster().start();
    } catch (const std::exception&) {
      // the next test reports the dead cluster
    }
  }
};

} // namespace weft::pg::test
