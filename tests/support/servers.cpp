#include "tests/support/servers.hpp"

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace weft::test {

namespace fs = std::filesystem;

// -- nats_server -------------------------------------------------------------

nats_server::nats_server() : dir_("weft-nats"), port_(free_port()) {
  start();
}

nats_server::~nats_server() {
  if (proc_)
    proc_->kill();
}

void nats_server::start() {
  if (running())
    throw std::logic_error("nats_server::start: already running");
  ++starts_;
  child_options co;
  co.args = {"-js", "-sd", store_dir().string(), "-a", "127.0.0.1", "-p", std::to_string(port_)};
  co.stdout_path = dir_ / ("nats.out." + std::to_string(starts_));
  co.stderr_path = dir_ / ("nats.err." + std::to_string(starts_));
  proc_ = std::make_unique<child_process>(find_executable("nats-server"), co);
  bool up = wait_until([&] { return !proc_->running() || accepts_tcp("127.0.0.1", port_); }, 10s);
  if (!up || !proc_->running()) {
    auto err = proc_->stderr_text() + proc_->stdout_text();
    proc_->kill();
    throw std::runtime_error("nats-server did not start on port " + std::to_string(port_) + ":\n" + err);
  }
}

int nats_server::stop(std::chrono::milliseconds deadline) {
  if (!proc_)
    return -1;
  // nats-server shuts down cleanly on both, but exits 1 on SIGTERM, 0 on SIGINT.
  proc_->send_signal(SIGINT);
  if (auto code = proc_->wait_for(deadline))
    return *code;
  proc_->kill();
  return -1;
}

void nats_server::kill() {
  if (proc_)
    proc_->kill();
}

// -- postgres_cluster --------------------------------------------------------

fs::path postgres_bindir() {
  if (const char* env = std::getenv("PG_BINDIR"); env && *env)
    return env;
  std::error_code ec;
  std::vector<fs::path> found;
  for (auto& e : fs::directory_iterator("/usr/lib/postgresql", ec))
    if (fs::exists(e.path() / "bin" / "pg_ctl"))
      found.push_back(e.path() / "bin");
  if (!found.empty()) {
    std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
      return std::atoi(a.parent_path().filename().c_str()) < std::atoi(b.parent_path().filename().c_str());
    });
    return found.back();
  }
  auto r = run_command(find_executable("pg_config"), {"--bindir"});
  std::string out = r.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  if (r.exit_code != 0 || out.empty())
    throw std::runtime_error("PostgreSQL server binaries not found (set PG_BINDIR)");
  return out;
}

namespace {

bool is_root() {
  return ::geteuid() == 0;
}

} // namespace

run_result postgres_cluster::pg_run(const std::string& program, std::vector<std::string> args,
                                    std::chrono::milliseconds deadline) const {
  auto exe = bindir_ / program;
  if (is_root()) {
    args.insert(args.begin(), {"-u", "postgres", "--", exe.string()});
    return run_command(find_executable("runuser"), std::move(args), {}, deadline);
  }
  return run_command(exe, std::move(args), {}, deadline);
}

postgres_cluster::postgres_cluster(bool durable)
  : dir_("weft-pg"), bindir_(postgres_bindir()), port_(free_port()), durable_(durable) {
  // The postgres user must own the data's parent and traverse the path.
  ::chmod(dir_.path().c_str(), 0755);
  if (is_root()) {
    passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr)
      throw std::runtime_error("running as root but there is no user 'postgres'");
    if (::chown(dir_.path().c_str(), pw->pw_uid, pw->pw_gid) != 0)
      throw std::runtime_error("chown " + dir_.path().string() + " failed");
  }
  auto r = pg_run("initdb", {"-D", data_dir().string(), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                             "--no-locale", "--no-sync"});
  if (r.exit_code != 0)
    throw std::runtime_error("initdb failed (" + std::to_string(r.exit_code) + "):\n" + r.out + r.err);
  start();
}

postgres_cluster::~postgres_cluster() {
  if (running_) {
    try {
      stop("immediate");
    } catch (...) {
    }
  }
}

std::string postgres_cluster::url(const std::string& db) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + db;
}

void postgres_cluster::start() {
  if (running_)
    throw std::logic_error("postgres_cluster::start: already running");
  // fsync=off still survives a server crash (writes reach the page cache);
  // synchronous_commit=off would not: an immediate stop loses acknowledged
  // commits still in the WAL buffers, which fault tests must never see.
  std::string opts = "-p " + std::to_string(port_) + " -k " + dir_.path().string()
                     + " -c listen_addresses=127.0.0.1";
  if (!durable_)
    opts += " -c fsync=off -c full_page_writes=off";
  auto r = pg_run("pg_ctl", {"-D", data_dir().string(), "-l", (dir_ / "server.log").string(), "-w", "-t", "60",
                             "-o", opts, "start"});
  if (r.exit_code != 0)
    throw std::runtime_error("pg_ctl start failed (" + std::to_string(r.exit_code) + "):\n" + r.out + r.err
                             + "\nserver log:\n" + server_log());
  running_ = true;
}

void postgres_cluster::stop(const std::string& mode) {
  if (!running_)
    return;
  auto r = pg_run("pg_ctl", {"-D", data_dir().string(), "-m", mode, "-w", "-t", "60", "stop"});
  running_ = false;
  if (r.exit_code != 0)
    throw std::runtime_error("pg_ctl stop failed (" + std::to_string(r.exit_code) + "):\n" + r.out + r.err);
}

std::string postgres_cluster::psql(const std::string& sql, const std::string& db) const {
  auto r = run_command(bindir_ / "psql",
                       {"-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", std::to_string(port_),
                        "-U", "postgres", "-d", db, "-c", sql},
                       {{"PGCONNECT_TIMEOUT", "10"}});
  if (r.exit_code != 0)
    throw std::runtime_error("psql failed (" + std::to_string(r.exit_code) + "): " + sql + "\n" + r.err);
  return r.out;
}

void postgres_cluster::create_database(const std::string& name, const std::string& template_db) {
  std::string sql = "CREATE DATABASE \"" + name + "\"";
  if (!template_db.empty())
    sql += " TEMPLATE \"" + template_db + "\"";
  psql(sql);
}

} // namespace weft::test
