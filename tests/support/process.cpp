#include "tests/support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace weft::test {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0)
      ::close(fd);
  }
};

} // namespace

uint16_t free_port() {
  fd_guard s{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0)
    throw_errno("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw_errno("bind 127.0.0.1:0");
  socklen_t len = sizeof addr;
  if (::getsockname(s.fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw_errno("getsockname");
  return ntohs(addr.sin_port);
}

bool accepts_tcp(const std::string& host, uint16_t port) {
  fd_guard s{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0)
    return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1)
    return false;
  return ::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

/// WEFT_TEST_TIME_SCALE (sanitizer builds: make test SANITIZE=... sets it):
/// deadlines stretch by this factor, for code that runs 5-20 times slower.
int test_time_scale() {
  static const int scale = [] {
    const char* e = std::getenv("WEFT_TEST_TIME_SCALE");
    int n = e != nullptr ? std::atoi(e) : 1;
    return n >= 1 ? n : 1;
  }();
  return scale;
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds deadline) {
  auto until = clock::now() + deadline * test_time_scale();
  auto pause = 1ms;
  while (clock::now() < until) {
    if (pred())
      return true;
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::milliseconds>(pause * 2, 50ms);
  }
  return pred();
}

// -- temp_dir ----------------------------------------------------------------

temp_dir::temp_dir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr)
    throw_errno("mkdtemp " + tmpl);
  path_ = buf.data();
}

temp_dir::temp_dir(temp_dir&& other) noexcept : path_(std::move(other.path_)) {
  other.path_.clear();
}

temp_dir::~temp_dir() {
  if (path_.empty() || std::getenv("WEFT_TEST_KEEP") != nullptr)
    return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string read_text(const fs::path& p) {
  if (p.empty())
    return {};
  std::ifstream in(p, std::ios::binary);
  if (!in)
    return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  if (!out)
    throw std::runtime_error("cannot write " + p.string());
  out << text;
}

fs::path find_executable(const std::string& name) {
  if (name.find('/') != std::string::npos)
    return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  dirs += ":/usr/local/sbin:/usr/sbin:/sbin";
  std::stringstream ss(dirs);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty())
      continue;
    fs::path candidate = fs::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  throw std::runtime_error("executable not found on PATH: " + name);
}

// -- child_process -----------------------------------------------------------

child_process::child_process(const fs::path& exe, child_options opts) : opts_(std::move(opts)) {
  // Everything the child needs is prepared before fork: after fork only
  // async-signal-safe calls are allowed (the parent may have threads).
  std::vector<std::string> argv_store;
  argv_store.push_back(exe.string());
  argv_store.insert(argv_store.end(), opts_.args.begin(), opts_.args.end());
  std::vector<char*> argv;
  for (auto& a : argv_store)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos)
      env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (auto& k : opts_.unset_env)
    env.erase(k);
  for (auto& [k, v] : opts_.env)
    env[k] = v;
  std::vector<std::string> env_store;
  for (auto& [k, v] : env)
    env_store.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_store)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  std::string out = opts_.stdout_path.empty() ? "/dev/null" : opts_.stdout_path.string();
  std::string err = opts_.stderr_path.empty() ? "/dev/null" : opts_.stderr_path.string();
  std::string cwd = opts_.cwd.string();
  std::string exe_s = exe.string();
  bool pdeath = opts_.kill_with_parent;

  pid_t pid = ::fork();
  if (pid < 0)
    throw_errno("fork");
  if (pid == 0) {
    if (pdeath)
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::setpgid(0, 0);
    int in_fd = ::open("/dev/null", O_RDONLY);
    int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in_fd < 0 || out_fd < 0 || err_fd < 0)
      ::_exit(126);
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0)
      ::_exit(126);
    // Signals blocked or ignored by the test runner must not leak into the child.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    ::execve(exe_s.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  pid_ = pid;
}

child_process::~child_process() {
  if (pid_ > 0 && !exit_code_) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
}

bool child_process::reap(bool block) {
  if (exit_code_)
    return true;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    if (WIFEXITED(status))
      exit_code_ = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
      exit_code_ = 128 + WTERMSIG(status);
    else
      exit_code_ = -1;
    return true;
  }
  if (r < 0) { // not our child any more (reaped elsewhere): treat as gone
    exit_code_ = -1;
    return true;
  }
  return false;
}

bool child_process::running() {
  return !reap(false);
}

void child_process::send_signal(int sig) {
  if (running())
    ::kill(pid_, sig);
}

std::optional<int> child_process::wait_for(std::chrono::milliseconds deadline) {
  if (wait_until([this] { return reap(false); }, deadline))
    return exit_code_;
  return std::nullopt;
}

int child_process::kill() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
  return *exit_code_;
}

run_result run_command(const fs::path& exe, std::vector<std::string> args,
                       std::map<std::string, std::string> env, std::chrono::milliseconds deadline,
                       std::vector<std::string> unset_env) {
  temp_dir dir("weft-cmd");
  child_options opts;
  opts.args = std::move(args);
  opts.env = std::move(env);
  opts.unset_env = std::move(unset_env);
  opts.stdout_path = dir / "stdout";
  opts.stderr_path = dir / "stderr";
  child_process child(exe, opts);
  run_result r;
  if (auto code = child.wait_for(deadline))
    r.exit_code = *code;
  else
    child.kill();
  r.out = child.stdout_text();
  r.err = child.stderr_text();
  return r;
}

} // namespace weft::test
