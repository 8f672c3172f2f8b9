// ChildProcess: runs a program (psql, pgbench, python, node, domicile) with captured output,
// stopped by PID when the test is done with it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace domicile::testing {

struct ProcessOptions {
  // "NAME=VALUE" entries added to (or replacing in) the test process's environment; a bare
  // "NAME" removes it.
  std::vector<std::string> env;
  std::string stdin_text;  // fed from a file, so a child that never reads cannot block us
  std::string cwd;         // the test's cwd when empty
};

struct ProcessResult {
  int exit_code = -1;  // -1 when it did not exit normally
  int signal = 0;      // the signal that ended it, or 0
  bool timed_out = false;
  std::string out;
  std::string err;
  // "exit 3" / "signal 9" / "timed out", then stdout and stderr: for assertion messages.
  std::string Describe() const;
};

// One started child. argv[0] is looked up in PATH. Output goes to files in a private temp
// dir, readable while it runs. The child gets SIGKILL if the test process dies
// (PR_SET_PDEATHSIG: create children from the gtest main thread) and in the destructor if
// it still runs. Not thread-safe. Setup failures throw std::runtime_error (tests only).
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const ProcessOptions& options = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int sig);
  // True while the child has not exited (reaps it when it has).
  bool Running();
  // Waits up to `timeout` for the child to exit; on timeout kills it (SIGKILL) and returns
  // a result with timed_out set.
  ProcessResult Wait(std::chrono::milliseconds timeout);
  // What the child wrote so far.
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  ProcessResult Collect();

  TempDir dir_;
  pid_t pid_ = -1;
  int status_ = 0;
  bool exited_ = false;
};

// Runs argv to completion (or kills it after `timeout`) and returns what it did.
ProcessResult RunProcess(const std::vector<std::string>& argv, const ProcessOptions& options = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace domicile::testing
