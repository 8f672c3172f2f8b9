// PgServer: initdb, spawning the postmaster, readiness, and stopping it by PID.
#include "support/pg_server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace domicile::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kPgBin = "/usr/lib/postgresql/15/bin";
constexpr int kFreshPortAttempts = 5;
constexpr int kSamePortAttempts = 20;
constexpr auto kStopGrace = std::chrono::seconds(10);

struct Account {
  uid_t uid;
  gid_t gid;
};

std::string ErrnoText(const std::string& what) { return what + ": " + std::strerror(errno); }

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

int OpenLog(const fs::path& path, bool truncate) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : O_APPEND);
  int fd = open(path.c_str(), flags, 0644);
  if (fd < 0) throw std::runtime_error(ErrnoText("open " + path.string()));
  return fd;
}

// Forks and execs argv[0] with stdout and stderr on `out_fd`. The child leads a new session,
// drops to `account` if given, and is SIGKILLed when this process dies. Between fork and exec
// only async-signal-safe calls are made (the test process may have threads).
pid_t Spawn(const std::vector<std::string>& argv, int out_fd,
            const std::optional<Account>& account) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) throw std::runtime_error(ErrnoText("open /dev/null"));
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(null_fd);
    throw std::runtime_error(ErrnoText("fork"));
  }
  if (pid == 0) {
    setsid();
    dup2(null_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(out_fd, STDERR_FILENO);
    close_range(3, ~0U, 0);
    if (account) {
      if (setgroups(1, &account->gid) != 0 || setgid(account->gid) != 0 ||
          setuid(account->uid) != 0) {
        static const char kMsg[] = "pg_server: cannot switch to the postgres account\n";
        (void)!write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
        _exit(126);
      }
    }
    // After setuid: a credential change clears the parent-death signal.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    execv(args[0], args.data());
    static const char kMsg[] = "pg_server: exec failed\n";
    (void)!write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
    _exit(127);
  }
  close(null_fd);
  return pid;
}

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(ErrnoText("socket"));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::string err = ErrnoText("bind 127.0.0.1:0");
    close(fd);
    throw std::runtime_error(err);
  }
  close(fd);
  return ntohs(addr.sin_port);
}

// The postmaster PID once postmaster.pid says "ready" (line 8, as pg_ctl reads it), else -1.
pid_t ReadyPostmasterPid(const fs::path& data_dir) {
  std::ifstream in(data_dir / "postmaster.pid");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  if (lines.size() < 8 || lines[7].rfind("ready", 0) != 0) return -1;
  return static_cast<pid_t>(std::stol(lines[0]));
}

// True once `pid` (our child) has exited; leaves it unreaped so its PID stays ours.
bool HasExited(pid_t pid) {
  siginfo_t info{};
  if (waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0) return true;
  return info.si_pid == pid;
}

std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> children;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return children;
  while (dirent* entry = readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    std::string stat = ReadFile(fs::path("/proc") / entry->d_name / "stat");
    size_t paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream rest(stat.substr(paren + 1));
    std::string state;
    long ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) children.push_back(static_cast<pid_t>(pid));
  }
  closedir(proc);
  return children;
}

// SIGKILLs the postmaster and its children (each backend leads its own process group, so a
// group kill of the postmaster would miss them). Stopping the postmaster first keeps it from
// forking while its children are listed.
void KillServerTree(pid_t postmaster) {
  kill(postmaster, SIGSTOP);
  for (pid_t child : ChildrenOf(postmaster)) {
    kill(-child, SIGKILL);  // with anything the backend itself started
    kill(child, SIGKILL);
  }
  kill(-postmaster, SIGKILL);
  waitpid(postmaster, nullptr, 0);
}

std::string QuoteConninfo(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string QuoteIdent(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

PgServer::PgServer(PgServerOptions options) : options_(std::move(options)), dir_("domicile-pg") {
  data_dir_ = dir_.path() / "data";
  socket_dir_ = dir_.path() / "sock";
  log_path_ = dir_.path() / "server.log";
  fs::create_directory(socket_dir_);
  if (geteuid() == 0) {  // initdb and postgres refuse to run as root
    passwd* pw = getpwnam("postgres");
    if (pw == nullptr) throw std::runtime_error("running as root but there is no postgres user");
    run_uid_ = pw->pw_uid;
    run_gid_ = pw->pw_gid;
    for (const fs::path& p : {dir_.path(), socket_dir_}) {
      if (chown(p.c_str(), *run_uid_, run_gid_) != 0) {
        throw std::runtime_error(ErrnoText("chown " + p.string()));
      }
    }
  }
  InitDb();
  Start(/*keep_port=*/false);
}

PgServer::~PgServer() { Stop(); }

void PgServer::InitDb() {
  fs::path log = dir_.path() / "initdb.log";
  int fd = OpenLog(log, /*truncate=*/true);
  std::optional<Account> account;
  if (run_uid_) account = Account{*run_uid_, run_gid_};
  pid_t pid = Spawn({std::string(kPgBin) + "/initdb", "-D", data_dir_.string(), "-U", "postgres",
                     "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"},
                    fd, account);
  close(fd);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("initdb failed (" + DescribeExit(status) + "):\n" + ReadFile(log));
  }
  // Its presence is all PostgreSQL reads; with nothing to replay from, recovery never ends.
  if (options_.standby) std::ofstream(data_dir_ / "standby.signal").flush();
}

bool PgServer::TryStart(std::string* failure) {
  std::vector<std::string> argv = {std::string(kPgBin) + "/postgres", "-D", data_dir_.string(),
                                   "-p", std::to_string(port_)};
  std::vector<std::string> settings = {
      "listen_addresses=127.0.0.1",
      "unix_socket_directories=" + socket_dir_.string(),
      "wal_level=logical",
      // fsync=off is for speed; commits still reach the OS, so they survive Kill().
      "fsync=off",
      "full_page_writes=off",
      "max_connections=" + std::to_string(options_.max_connections),
      "shared_buffers=32MB",
      "max_wal_senders=10",
      "max_replication_slots=10",
      "logging_collector=off",
  };
  settings.insert(settings.end(), options_.settings.begin(), options_.settings.end());
  for (const std::string& s : settings) {
    argv.push_back("-c");
    argv.push_back(s);
  }
  int fd = OpenLog(log_path_, /*truncate=*/false);
  std::optional<Account> account;
  if (run_uid_) account = Account{*run_uid_, run_gid_};
  pid_t child = Spawn(argv, fd, account);
  close(fd);

  auto deadline = Clock::now() + options_.start_timeout;
  while (true) {
    int status = 0;
    if (waitpid(child, &status, WNOHANG) == child) {
      *failure =
          "postgres on port " + std::to_string(port_) + " exited with " + DescribeExit(status);
      return false;
    }
    // postmaster.pid may still be a stale file from a killed server: insist on our PID.
    if (ReadyPostmasterPid(data_dir_) == child) {
      pid_ = child;
      return true;
    }
    if (Clock::now() > deadline) {
      KillServerTree(child);
      *failure =
          "postgres was not ready within " + std::to_string(options_.start_timeout.count()) + "s";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void PgServer::Start(bool keep_port) {
  std::string failure;
  // A fresh port may be taken between probing and binding; a kept port (Restart) may still be
  // held briefly by a dying server. Either way, retrying is the fix.
  int attempts = keep_port ? kSamePortAttempts : kFreshPortAttempts;
  for (int i = 0; i < attempts; ++i) {
    if (!keep_port) port_ = FreeLoopbackPort();
    if (TryStart(&failure)) return;
    if (keep_port) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("PostgreSQL did not start: " + failure + "\n--- server log ---\n" +
                           Log());
}

void PgServer::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGINT);  // fast shutdown: ends sessions, no checkpoint wait for clients
  auto deadline = Clock::now() + kStopGrace;
  while (!HasExited(pid_) && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  KillServerTree(pid_);  // reaps; kills anything left if the fast shutdown hung
  pid_ = -1;
}

void PgServer::Kill() {
  if (pid_ <= 0) return;
  KillServerTree(pid_);
  pid_ = -1;
}

void PgServer::Restart() {
  Stop();
  Start(/*keep_port=*/true);
}

std::string PgServer::Log() const { return ReadFile(log_path_); }

std::string PgServer::Dsn(const std::string& dbname) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + QuoteConninfo(dbname) +
         " user=postgres";
}

void PgServer::CreateDatabase(const std::string& name) {
  Exec("CREATE DATABASE " + QuoteIdent(name));
}

PgRows PgServer::Exec(const std::string& sql, const std::string& dbname) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(Dsn(dbname).c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error("cannot connect to " + Dsn(dbname) + ": " +
                             PQerrorMessage(conn.get()));
  }
  // Notices ("... already exists, skipping") would clutter test output.
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), sql.c_str()), &PQclear);
  ExecStatusType status = PQresultStatus(res.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error("`" + sql + "` failed: " + PQerrorMessage(conn.get()));
  }
  PgRows rows;
  for (int r = 0; r < PQntuples(res.get()); ++r) {
    auto& row = rows.emplace_back();
    for (int c = 0; c < PQnfields(res.get()); ++c) {
      if (PQgetisnull(res.get(), r, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(res.get(), r, c), PQgetlength(res.get(), r, c)));
      }
    }
  }
  return rows;
}

std::string PgServer::Scalar(const std::string& sql, const std::string& dbname) {
  PgRows rows = Exec(sql, dbname);
  if (rows.empty() || rows[0].empty()) throw std::runtime_error("`" + sql + "` returned no row");
  return rows[0][0].value_or("");
}

void SharedPgServer::Start(PgServerOptions options) {
  try {
    server_ = std::make_unique<PgServer>(std::move(options));
    error_.clear();
  } catch (const std::exception& e) {
    server_.reset();
    error_ = std::string("shared PgServer failed to start: ") + e.what();
  }
}

}  // namespace domicile::testing
