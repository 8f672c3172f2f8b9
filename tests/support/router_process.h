// RouterProcess: a `domicile serve` child on a free loopback port over a catalog it applied.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "support/child_process.h"
#include "support/temp_dir.h"

namespace domicile::testing {

struct RouterOptions {
  std::string binary;    // the domicile executable (DOMICILE_BINARY in integration tests)
  std::string topology;  // TOML topology text for `catalog apply`
  std::string settings;  // settings file text for `serve --config` ("" for none)
  int workers = 2;
  std::chrono::seconds start_timeout{20};
};

// Writes the topology and settings into a temp dir, applies the topology to a fresh catalog,
// then runs `domicile serve --listen 127.0.0.1:0` and reads the port it prints ("... on
// 127.0.0.1:PORT ..."). Ready means the port accepts connections. The server is a direct
// child stopped by PID in the destructor (SIGTERM, then SIGKILL), so it goes away when a
// test fails or throws. Setup failures throw std::runtime_error with the router's output.
// Create it from the gtest main thread (see ChildProcess). Not thread-safe.
class RouterProcess {
 public:
  explicit RouterProcess(RouterOptions options);
  ~RouterProcess();
  RouterProcess(const RouterProcess&) = delete;
  RouterProcess& operator=(const RouterProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return child_ ? child_->pid() : -1; }
  bool Running() { return child_ && child_->Running(); }
  // libpq keyword/value string for the router: "host=127.0.0.1 port=P user=U dbname=app".
  std::string Conninfo(const std::string& user = "app") const;
  // What the router printed on stdout and stderr so far.
  std::string Log() const;
  const TempDir& dir() const { return dir_; }

 private:
  void Stop();

  RouterOptions options_;
  TempDir dir_;
  std::unique_ptr<ChildProcess> child_;
  int port_ = 0;
};

// True when a TCP connect to 127.0.0.1:port succeeds.
bool LoopbackAccepts(int port);

}  // namespace domicile::testing
