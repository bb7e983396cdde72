#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

// Building blocks every fixture uses: free ports, temporary directories,
// child processes, and the one allowed way to wait (poll a predicate with a
// deadline). Never sleep as synchronisation: wait_until something observable.
namespace weft::test {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to 0, read back).
uint16_t free_port();

/// True if something accepts TCP connections on host:port right now.
bool accepts_tcp(const std::string& host, uint16_t port);

/// Polls `pred` with a small growing backoff (1 ms .. 50 ms) until it returns
/// true (-> true) or `deadline` has passed (-> false; pred is tried once more
/// at the end).
/// The deadline is stretched by WEFT_TEST_TIME_SCALE when set (sanitizer runs).
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds deadline);

/// WEFT_TEST_TIME_SCALE (1 when unset): how much longer a test should allow
/// for what it times itself (a timeout it configures), in sanitizer builds.
int test_time_scale();

/// A fresh directory under $TMPDIR (or /tmp), removed with its contents on
/// destruction unless WEFT_TEST_KEEP is set in the environment.
class temp_dir {
public:
  explicit temp_dir(const std::string& prefix = "weft-test");
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  temp_dir(temp_dir&& other) noexcept;
  temp_dir& operator=(temp_dir&&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// path() / name.
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
  std::filesystem::path path_;
};

/// Reads a whole file; empty if it does not exist.
std::string read_text(const std::filesystem::path& p);
/// Writes (truncates) a file.
void write_text(const std::filesystem::path& p, const std::string& text);

/// Finds an executable by name on $PATH (or returns it as is if it has a '/').
std::filesystem::path find_executable(const std::string& name);

/// How to start a child.
struct child_options {
  std::vector<std::string> args;                ///< argv[1..]
  std::map<std::string, std::string> env;       ///< added to (or replacing in) the inherited environment
  std::vector<std::string> unset_env;           ///< removed from the inherited environment
  std::filesystem::path stdout_path;            ///< empty: /dev/null
  std::filesystem::path stderr_path;            ///< empty: /dev/null
  std::filesystem::path cwd;                    ///< empty: inherit
  bool kill_with_parent = true;                 ///< PR_SET_PDEATHSIG(SIGKILL) in the child
};

/// A fork/exec'ed child process. Its exit code is the process's exit status,
/// or 128 + signal number if it was killed by a signal. The destructor kills
/// it with SIGKILL if it is still running and reaps it.
class child_process {
public:
  child_process(const std::filesystem::path& exe, child_options opts);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }

  /// True until the child has exited (reaps it when it has).
  bool running();

  /// Sends `sig` if the child is still running.
  void send_signal(int sig);

  /// Waits until the child exits; its exit code, or nullopt at the deadline
  /// (the child then keeps running).
  std::optional<int> wait_for(std::chrono::milliseconds deadline);

  /// SIGKILL and reap; the exit code (137 unless it had already exited).
  int kill();

  /// Exit code once exited.
  std::optional<int> exit_code() const { return exit_code_; }

  /// What the child wrote so far (empty if that stream went to /dev/null).
  std::string stdout_text() const { return read_text(opts_.stdout_path); }
  std::string stderr_text() const { return read_text(opts_.stderr_path); }

private:
  bool reap(bool block);

  child_options opts_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

/// Runs a command to completion (with a deadline, then SIGKILL); its exit
/// code, stdout and stderr.
struct run_result {
  int exit_code = -1; ///< -1 if the deadline passed and it was killed
  std::string out;
  std::string err;
};
/// Runs `exe` to completion (killed at `deadline`); `unset_env` names
/// inherited variables to drop.
run_result run_command(const std::filesystem::path& exe, std::vector<std::string> args,
                       std::map<std::string, std::string> env = {},
                       std::chrono::milliseconds deadline = 30s,
                       std::vector<std::string> unset_env = {});

} // namespace weft::test
