// PgServer: a throwaway PostgreSQL 15 server on loopback, in a temp dir, for tests.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace domicile::testing {

struct PgServerOptions {
  int max_connections = 200;
  // Extra "name=value" server settings, passed as `-c name=value`.
  std::vector<std::string> settings;
  std::chrono::seconds start_timeout{30};
  // A hot standby with no primary: it stays in recovery, so it is read-only, and a BEGIN
  // that asks for READ WRITE or SERIALIZABLE fails there.
  bool standby = false;
};

// Rows of a query in text form; nullopt is NULL.
using PgRows = std::vector<std::vector<std::optional<std::string>>>;

// One initdb'd cluster with its postmaster. The postmaster is a direct child of the test
// process, leading its own process group, and is stopped by PID (SIGINT, then SIGKILL to the
// group) in the destructor, so it goes away when a test fails or throws; it also gets
// SIGKILL if the test process dies (PR_SET_PDEATHSIG), so create servers from a thread that
// outlives them (the gtest main thread). As root, the server runs as the `postgres` user.
// Setup helpers throw std::runtime_error (tests only): gtest reports the message.
// Not thread-safe.
class PgServer {
 public:
  // Runs initdb and starts the server; throws with the initdb output or server log on failure.
  explicit PgServer(PgServerOptions options = {});
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  int port() const { return port_; }
  // libpq keyword/value string: "host=127.0.0.1 port=N dbname=<dbname> user=postgres".
  std::string Dsn(const std::string& dbname = "postgres") const;
  void CreateDatabase(const std::string& name);
  // Runs `sql` (one or more statements) on a fresh connection and returns the last result's
  // rows as text; throws with the server's message on error.
  PgRows Exec(const std::string& sql, const std::string& dbname = "postgres");
  // The first column of the first row ("" for NULL); throws when there is no row.
  std::string Scalar(const std::string& sql, const std::string& dbname = "postgres");

  // SIGKILL to the postmaster and every backend: a power cut. The server stays down until
  // Restart(). Existing client connections break.
  void Kill();
  // Stops the server if it runs (fast shutdown) and starts it again on the same port and data.
  void Restart();
  bool running() const { return pid_ > 0; }
  // The postmaster's PID as recorded in postmaster.pid; -1 while down.
  pid_t pid() const { return pid_; }
  std::string Log() const;
  const std::filesystem::path& data_dir() const { return data_dir_; }

 private:
  void InitDb();
  // Starts the postmaster on port_; on failure returns false and fills `failure`.
  bool TryStart(std::string* failure);
  void Start(bool keep_port);
  // Never throws: used by the destructor.
  void Stop();

  PgServerOptions options_;
  TempDir dir_;
  std::filesystem::path data_dir_;
  std::filesystem::path socket_dir_;
  std::filesystem::path log_path_;
  int port_ = 0;
  pid_t pid_ = -1;
  // Set when running as root: the account the server runs under.
  std::optional<uid_t> run_uid_;
  gid_t run_gid_ = 0;
};

// One PgServer for all tests of a suite: Start() in SetUpTestSuite, Stop() in
// TearDownTestSuite. A failed start is recorded instead of thrown so every test of the suite
// fails with the reason rather than crashing the binary.
class SharedPgServer {
 public:
  void Start(PgServerOptions options = {});
  void Stop() { server_.reset(); }
  bool ok() const { return server_ != nullptr; }
  const std::string& error() const { return error_; }
  PgServer& server() { return *server_; }

 private:
  std::unique_ptr<PgServer> server_;
  std::string error_;
};

// Base fixture sharing one server across the tests of `Suite` (CRTP keeps one server per
// suite): `class FooTest : public PgServerTest<FooTest> {};`. A derived SetUp must call
// PgServerTest::SetUp() first.
template <typename Suite>
class PgServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { shared_.Start(); }
  static void TearDownTestSuite() { shared_.Stop(); }
  void SetUp() override { ASSERT_TRUE(shared_.ok()) << shared_.error(); }
  static PgServer& pg() { return shared_.server(); }

 private:
  static inline SharedPgServer shared_;
};

}  // namespace domicile::testing
