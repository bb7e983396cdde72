#include "tests/support/weft_node.hpp"

#include <signal.h>

#include <stdexcept>

extern char** environ;

namespace weft::test {

std::vector<std::string> weft_env_to_unset() {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    std::string key = kv.substr(0, kv.find('='));
    if (key.rfind("WEFT_", 0) == 0 || key == "DATABASE_URL" || key == "NATS_URL")
      out.push_back(key);
  }
  return out;
}

run_result run_weft(const std::filesystem::path& binary, std::vector<std::string> args,
                    std::map<std::string, std::string> env, std::chrono::milliseconds deadline) {
  return run_command(binary, std::move(args), std::move(env), deadline, weft_env_to_unset());
}

weft_node::weft_node(weft_node_options opts) : opts_(std::move(opts)), dir_("weft-node") {
  if (opts_.binary.empty())
    throw std::invalid_argument("weft_node: no binary given");
  nlohmann::json defaults = {
    {"http", {{"host", "127.0.0.1"}, {"port", free_port()}}},
    {"metrics", {{"host", "127.0.0.1"}, {"port", free_port()}}},
    {"log", {{"level", "warn"}}},
  };
  defaults.merge_patch(opts_.config);
  config_ = std::move(defaults);
  http_port_ = config_["http"]["port"].get<uint16_t>();
  if (config_.contains("metrics") && config_["metrics"].contains("port") && config_["metrics"]["port"].is_number())
    metrics_port_ = config_["metrics"]["port"].get<uint16_t>();
  write_text(config_path(), config_.dump(2));
  start();
}

weft_node::~weft_node() {
  if (proc_)
    proc_->kill();
}

void weft_node::start() {
  if (proc_ && proc_->running())
    throw std::logic_error("weft_node::start: already running");
  ++starts_;
  child_options co;
  co.args = {"run", "--config", config_path().string()};
  co.env = opts_.env;
  co.unset_env = weft_env_to_unset();
  auto suffix = starts_ == 1 ? std::string() : "." + std::to_string(starts_);
  co.stdout_path = dir_ / ("stdout" + suffix);
  co.stderr_path = dir_ / ("stderr" + suffix);
  proc_ = std::make_unique<child_process>(opts_.binary, co);
  if (opts_.wait_ready && !wait_ready(opts_.ready_deadline)) {
    std::string why = proc_->running() ? "not ready after the deadline"
                                       : "exited with code " + std::to_string(proc_->exit_code().value_or(-1));
    auto err = proc_->stderr_text();
    if (err.size() > 4000)
      err = "..." + err.substr(err.size() - 4000);
    proc_->kill();
    throw std::runtime_error("weft node " + why + " (" + opts_.binary.string() + ")\nstderr:\n" + err);
  }
}

bool weft_node::wait_ready(std::chrono::milliseconds deadline) {
  bool ready = false;
  wait_until(
    [&] {
      if (!proc_->running())
        return true; // give up early
      http_client c("127.0.0.1", http_port_, false, std::chrono::seconds(2));
      ready = c.get("/health/ready").status == 200;
      return ready;
    },
    deadline);
  return ready && proc_->running();
}

int weft_node::stop(std::chrono::milliseconds deadline) {
  if (!proc_)
    return -1;
  proc_->send_signal(SIGTERM);
  if (auto code = proc_->wait_for(deadline))
    return *code;
  proc_->kill();
  return -1;
}

void weft_node::kill() {
  if (proc_)
    proc_->kill();
}

std::string weft_node::metrics_text() const {
  http_client c("127.0.0.1", metrics_port_);
  auto r = c.get("/metrics");
  return r.status == 200 ? r.body : std::string();
}

} // namespace weft::test
