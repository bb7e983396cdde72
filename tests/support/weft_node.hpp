#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"

// One `weft` process for a system test: a generated config in a temp dir,
// http and metrics on free loopback ports, started with `weft run --config`,
// ready when GET /health/ready answers 200. Tests talk to it only over HTTP.
namespace weft::test {

struct weft_node_options {
  std::filesystem::path binary;                  ///< the weft executable (required)
  nlohmann::json config = nlohmann::json::object(); ///< merged (RFC 7386) over the fixture's defaults
  std::map<std::string, std::string> env;        ///< e.g. WEFT_ROOT_EMAIL, WEFT_ROOT_PASSWORD
  std::chrono::milliseconds ready_deadline = std::chrono::seconds(20);
  bool wait_ready = true;                        ///< false: start and return at once
};

class weft_node {
public:
  /// Writes the config and starts the node; throws (with the node's stderr)
  /// if it exits or is not ready by the deadline.
  explicit weft_node(weft_node_options opts);
  ~weft_node(); ///< SIGKILL if still running
  weft_node(const weft_node&) = delete;
  weft_node& operator=(const weft_node&) = delete;

  /// Starts the process again with the same config and ports (after stop()).
  void start();
  /// Waits until /health/ready is 200; false if the process exited or the deadline passed.
  bool wait_ready(std::chrono::milliseconds deadline);
  /// SIGTERM, then waits; the exit code, or -1 if it had to be killed at the deadline.
  int stop(std::chrono::milliseconds deadline = std::chrono::seconds(15));
  /// SIGKILL now.
  void kill();
  bool running() { return proc_ && proc_->running(); }
  /// The process id (-1 when not started), e.g. to read its CPU time.
  pid_t pid() const { return proc_ ? proc_->pid() : -1; }

  uint16_t http_port() const { return http_port_; }
  uint16_t metrics_port() const { return metrics_port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(http_port_); }
  std::string metrics_url() const { return "http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics"; }

  /// A client for the HTTP port.
  http_client client(bool keep_alive = false) const { return http_client("127.0.0.1", http_port_, keep_alive); }

  http_response get(const std::string& target, http_headers h = {}) const { return client().get(target, std::move(h)); }
  http_response del(const std::string& target, http_headers h = {}) const { return client().del(target, std::move(h)); }
  http_response post(const std::string& target, const nlohmann::json& body, http_headers h = {}) const {
    return client().post(target, body, std::move(h));
  }
  http_response put(const std::string& target, const nlohmann::json& body, http_headers h = {}) const {
    return client().put(target, body, std::move(h));
  }
  http_response send(const std::string& method, const std::string& target, std::string body,
                     const std::string& content_type, http_headers h = {}) const {
    return client().send(method, target, std::move(body), content_type, std::move(h));
  }

  /// The text of GET /metrics on the metrics port (empty on failure).
  std::string metrics_text() const;

  const nlohmann::json& config() const { return config_; }
  std::filesystem::path config_path() const { return dir_ / "weft.json"; }
  const temp_dir& dir() const { return dir_; }
  child_process& process() { return *proc_; }
  /// The node's stderr so far: for diagnostics and the CLI's contract only.
  std::string stderr_text() const { return proc_ ? proc_->stderr_text() : std::string(); }

private:
  weft_node_options opts_;
  temp_dir dir_;
  nlohmann::json config_;
  uint16_t http_port_ = 0;
  uint16_t metrics_port_ = 0;
  std::unique_ptr<child_process> proc_;
  int starts_ = 0;
};

/// Variables of the test runner's environment that would change how a node
/// reads its config (WEFT_*, DATABASE_URL, NATS_URL): removed from children.
std::vector<std::string> weft_env_to_unset();

/// Runs `weft <args...>` to completion (e.g. `version`, `config check F`).
run_result run_weft(const std::filesystem::path& binary, std::vector<std::string> args,
                    std::map<std::string, std::string> env = {},
                    std::chrono::milliseconds deadline = std::chrono::seconds(20));

} // namespace weft::test
