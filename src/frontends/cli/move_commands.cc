// `domicile tenant move T --to SHARD` and `domicile tenant moves`: online tenant moves.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/catalog/sqlite/sqlite_move_store.h"
#include "app/move_runner.h"
#include "domain/ids.h"
#include "frontends/cli/catalog_access.h"
#include "frontends/cli/command.h"
#include "frontends/cli/exit_codes.h"
#include "frontends/cli/mover_factory.h"
#include "frontends/cli/serve_config.h"
#include "frontends/cli/views.h"

namespace domicile::cli {
namespace {

struct MoveCliOptions {
  std::string data_dir = kDefaultDataDir;
  std::string tenant;
  std::string to;
  std::string id;
  std::string config;
  std::string relay;  // jurisdiction this process (the copy's relay) runs in
  int64_t grace_ms = 24LL * 3600 * 1000;
  int64_t hold_propagation_ms = 50;
  int64_t inflight_wait_ms = 2000;
  bool detach = false;
  bool undo = false;
  bool resume = false;
  bool create_schema = false;
  bool quiet = false;
};

struct ListOptions {
  std::string data_dir = kDefaultDataDir;
  bool all = false;
  bool json = false;
  bool resume = false;
  std::string config;
};

// Everything a move command needs open at once.
struct MoveContext {
  std::unique_ptr<CatalogStore> catalog;
  std::unique_ptr<MoveStore> moves;
  std::unique_ptr<EngineMoverFactory> movers;
};

Result<MoveContext> OpenMoveContext(const std::string& data_dir, const std::string& config) {
  MoveContext ctx;
  Result<std::unique_ptr<CatalogStore>> catalog = OpenCatalog(data_dir, /*create=*/false);
  if (!catalog.ok()) return catalog.status();
  ctx.catalog = std::move(*catalog);
  Result<std::unique_ptr<SqliteMoveStore>> moves = SqliteMoveStore::Open(CatalogPath(data_dir));
  if (!moves.ok()) return moves.status();
  ctx.moves = std::move(*moves);
  RoutingRules rules;
  if (!config.empty()) {
    Result<ServeConfig> loaded = LoadServeConfig(config);
    if (!loaded.ok()) return loaded.status();
    rules = loaded->routing;
  }
  ctx.movers = std::make_unique<EngineMoverFactory>(*ctx.catalog, std::move(rules));
  return ctx;
}

std::string Megabytes(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", bytes / 1e6);
  return text;
}

uint64_t RowsCopied(const TenantMove& m) {
  uint64_t rows = 0;
  for (const auto& t : m.tables) rows += t.rows_copied;
  return rows;
}

uint64_t BytesCopied(const TenantMove& m) {
  uint64_t bytes = 0;
  for (const auto& t : m.tables) bytes += t.bytes_copied;
  return bytes;
}

// Prints the saga's steps, and a progress line (rows, bytes, rate) that rewrites itself
// while the copy runs.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO)) {}

  void Expect(const std::string& table, uint64_t rows) { expected_[table] = rows; }

  // One "  metric NAME=VALUE" line per measurement (bench/move_bench.sh reads them).
  void Metric(std::string_view name, int64_t value) {
    if (quiet_) return;
    if (in_progress_line_) std::cerr << '\n';
    in_progress_line_ = false;
    std::cerr << "  metric " << name << "=" << value << '\n';
  }

  void operator()(const TenantMove& m, std::string_view event) {
    if (quiet_) return;
    const auto now = std::chrono::steady_clock::now();
    if (event == "copying") started_ = now;
    if (event == "progress") {
      if (!started_) started_ = now;
      const double seconds =
          std::max(1e-3, std::chrono::duration<double>(now - *started_).count());
      const uint64_t rows = RowsCopied(m), bytes = BytesCopied(m);
      std::string table;
      for (const auto& t : m.tables) {
        if (t.rows_copied) table = t.table;
      }
      uint64_t expected = 0;
      for (const auto& [name, n] : expected_) expected += n;
      const double rate = rows / seconds;
      char eta[32] = "";
      if (expected > rows && rate > 0) {
        std::snprintf(eta, sizeof eta, "  ETA %4.0f s", (expected - rows) / rate);
      }
      char line[240];
      std::snprintf(line, sizeof line,
                    "  copying %-20s %10llu/%llu rows (%3.0f%%)  %10s  %9.0f rows/s  %6.1f MB/s%s",
                    table.c_str(), static_cast<unsigned long long>(rows),
                    static_cast<unsigned long long>(expected),
                    expected ? 100.0 * std::min<uint64_t>(rows, expected) / expected : 0.0,
                    Megabytes(bytes).c_str(), rate, bytes / 1e6 / seconds, eta);
      std::cerr << (tty_ ? "\r" : "") << line << (tty_ ? "" : "\n") << std::flush;
      in_progress_line_ = tty_;
      return;
    }
    if (event == "verified") return;  // one per table; "cutting-over" sums them up
    if (in_progress_line_) std::cerr << '\n';
    in_progress_line_ = false;
    std::cerr << "move " << m.id << ": " << Describe(m, event) << '\n';
  }

 private:
  static std::string Describe(const TenantMove& m, std::string_view event) {
    if (event == "planned") {
      std::string tables;
      for (const auto& t : m.tables) tables += (tables.empty() ? "" : ", ") + t.table;
      std::string line = "planned: tenant " + m.tenant + " from " + m.source_shard + " to " +
                         m.target_shard + " (tables: " + tables + ")";
      if (m.requires_freeze) {
        line += "\n  engines differ: no change stream; tenant " + m.tenant +
                " is FROZEN (writes refused, reads go on) for the whole copy";
      }
      return line;
    }
    if (event == "copied") {
      return "copied " + std::to_string(RowsCopied(m)) + " rows, " + Megabytes(BytesCopied(m));
    }
    if (event == "cutting-over") {
      std::string line = "verified:";
      for (const auto& t : m.tables) {
        line += " " + t.table + " " + std::to_string(t.source_rows) + " rows";
      }
      return line + ", counts and checksums equal; cutting over";
    }
    if (event == "flipped") {
      return "flipped: tenant " + m.tenant + " now lives on " + m.target_shard +
             " (catalog version " + std::to_string(m.flip_version) + "); its transactions were held " +
             std::to_string(m.hold_ms) + " ms";
    }
    if (event == "cutover-aborted") return "cutover aborted (" + m.failure + "); catching up again";
    if (event == "failed") return "FAILED: " + m.failure + "; the catalog still points at " + m.source_shard;
    return std::string(event);
  }

  bool quiet_;
  bool tty_;
  bool in_progress_line_ = false;
  std::map<std::string, uint64_t> expected_;  // rows per table in the copy's snapshot
  std::optional<std::chrono::steady_clock::time_point> started_;
};

MoveRunnerOptions RunnerOptions(const MoveCliOptions& opts, ProgressPrinter* printer) {
  MoveRunnerOptions o;
  o.hold_propagation = std::chrono::milliseconds(opts.hold_propagation_ms);
  o.inflight_wait = std::chrono::milliseconds(opts.inflight_wait_ms);
  o.observer = [printer](const TenantMove& m, std::string_view e) { (*printer)(m, e); };
  o.copy_expected = [printer](const std::string& t, uint64_t n) { printer->Expect(t, n); };
  o.metric = [printer](std::string_view name, int64_t value) { printer->Metric(name, value); };
  // Crash tests: DOMICILE_MOVE_CRASH_AT=point[:n] kills this process (SIGKILL) at the n-th
  // time the saga reaches `point`, exactly like `kill -9` from outside would there.
  // DOMICILE_MOVE_PAUSE_AT=point:ms sleeps there once (tests interleave a client with it).
  std::function<void(std::string_view)> pause;
  if (const char* at = std::getenv("DOMICILE_MOVE_PAUSE_AT")) {
    std::string spec = at;
    const size_t colon = spec.find(':');
    const int ms = colon == std::string::npos ? 1000 : std::atoi(spec.c_str() + colon + 1);
    spec.resize(std::min(colon, spec.size()));
    auto done = std::make_shared<bool>(false);
    pause = [spec, ms, done](std::string_view point) {
      if (point == spec && !*done) {
        *done = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      }
    };
    o.crash_point = pause;
  }
  if (const char* at = std::getenv("DOMICILE_MOVE_CRASH_AT")) {
    std::string spec = at;
    int nth = 1;
    if (size_t colon = spec.find(':'); colon != std::string::npos) {
      nth = std::max(1, std::atoi(spec.c_str() + colon + 1));
      spec.resize(colon);
    }
    auto seen = std::make_shared<int>(0);
    o.crash_point = [spec, nth, seen, pause](std::string_view point) {
      if (pause) pause(point);
      if (point == spec && ++*seen == nth) {
        std::cerr << "\nDOMICILE_MOVE_CRASH_AT: killing the move at '" << spec << "'\n";
        std::fflush(nullptr);
        ::kill(::getpid(), SIGKILL);
      }
    };
  }
  return o;
}

// The outcome of a run as the CLI's exit status.
Status Outcome(const TenantMove& m) {
  switch (m.state) {
    case MoveState::kDone:
      std::cout << "move " << m.id << " done: tenant " << m.tenant << " on " << m.target_shard
                << ", held " << m.hold_ms << " ms at cutover\n";
      return Status::Ok();
    case MoveState::kCleaningUp:
      std::cout << "move " << m.id << ": tenant " << m.tenant << " on " << m.target_shard
                << ", held " << m.hold_ms << " ms at cutover; " << m.source_shard
                << " keeps its rows (fenced) until the grace period ends, for --undo; "
                   "`domicile tenant moves --resume` purges them after that\n";
      return Status::Ok();
    case MoveState::kRolledBack:
      std::cout << "move " << m.id << " rolled back: tenant " << m.tenant << " on "
                << m.source_shard << '\n';
      return Status::Ok();
    case MoveState::kFailed:
      return Status(StatusCode::kInternal,
                    "move " + m.id + " FAILED: " + m.failure + "; the catalog still points at " +
                        m.source_shard + "; undo with `domicile tenant move " + m.tenant + " --undo`");
    default:
      return Status::Ok();
  }
}

Status RunMove(const MoveCliOptions& opts) {
  auto tenant = NormalizeId("tenant", opts.tenant);
  if (!tenant.ok()) return tenant.status();
  if (!opts.undo && !opts.resume && opts.to.empty()) {
    return InvalidArgument("tenant move needs --to SHARD (or --undo / --resume)");
  }
  if (opts.grace_ms < 0 || opts.hold_propagation_ms < 0 || opts.inflight_wait_ms <= 0) {
    return InvalidArgument("--grace-ms and --hold-propagation-ms must be >= 0, --inflight-wait-ms > 0");
  }
  Result<MoveContext> ctx = OpenMoveContext(opts.data_dir, opts.config);
  if (!ctx.ok()) return ctx.status();
  ProgressPrinter printer(opts.quiet);
  MoveRunner runner(*ctx->catalog, *ctx->moves, *ctx->movers, RunnerOptions(opts, &printer));

  std::string move_id;
  if (opts.undo || opts.resume) {
    Result<std::optional<TenantMove>> open = ctx->moves->Unfinished(*tenant);
    if (!open.ok()) return open.status();
    if (!*open) return NotFound("tenant " + *tenant + " has no unfinished move");
    move_id = (*open)->id;
  } else {
    MoveRequest request{*tenant, opts.to, opts.id, opts.grace_ms, opts.create_schema, opts.relay};
    Result<TenantMove> planned = runner.Plan(request);
    if (!planned.ok()) return planned.status();
    move_id = planned->id;
    if (opts.detach) {
      std::cout << move_id << '\n' << std::flush;
      if (pid_t pid = fork(); pid != 0) {
        return pid < 0 ? Internal("fork failed") : Status::Ok();
      }
      setsid();
      // The background run writes its progress to DIR/moves/ID.log, not to a terminal it
      // no longer owns.
      const std::string dir = opts.data_dir + "/moves";
      ::mkdir(dir.c_str(), 0755);
      const std::string log = dir + "/" + move_id + ".log";
      if (!std::freopen(log.c_str(), "a", stdout) || !std::freopen(log.c_str(), "a", stderr)) {
        return Unavailable("cannot write " + log);
      }
      std::freopen("/dev/null", "r", stdin);
    }
  }
  Result<TenantMove> ended = opts.undo ? runner.Undo(move_id) : runner.Run(move_id);
  if (!ended.ok()) {
    return Status(ended.status().code(),
                  "move " + move_id + ": " + ended.status().message() +
                      " (the move can be resumed with `domicile tenant move " + *tenant +
                      " --resume` or undone with --undo)");
  }
  return Outcome(*ended);
}

nlohmann::json MoveJson(const TenantMove& m) {
  nlohmann::json tables = nlohmann::json::array();
  for (const auto& t : m.tables) {
    tables.push_back({{"table", t.table}, {"rows_copied", t.rows_copied},
                      {"bytes_copied", t.bytes_copied}, {"verified", t.verified},
                      {"source_rows", t.source_rows}, {"target_rows", t.target_rows},
                      {"matches", t.Matches()}});
  }
  return {{"id", m.id}, {"tenant", m.tenant}, {"source", m.source_shard},
          {"target", m.target_shard}, {"state", MoveStateName(m.state)},
          {"frozen_copy", m.requires_freeze}, {"tables", tables},
          {"applied_position", m.applied_position}, {"hold_ms", m.hold_ms},
          {"cutover_attempts", m.cutover_attempts}, {"flip_version", m.flip_version},
          {"grace_end_ms", m.grace_end_ms}, {"planned_at_ms", m.planned_at_ms},
          {"updated_at_ms", m.updated_at_ms}, {"failure", m.failure}};
}

Status RunList(const ListOptions& opts) {
  Result<MoveContext> ctx = OpenMoveContext(opts.data_dir, opts.config);
  if (!ctx.ok()) return ctx.status();
  Result<std::vector<TenantMove>> moves = ctx->moves->List(opts.all || opts.json);
  if (!moves.ok()) return moves.status();
  if (opts.resume) {
    ProgressPrinter printer(false);
    MoveCliOptions defaults;
    MoveRunner runner(*ctx->catalog, *ctx->moves, *ctx->movers, RunnerOptions(defaults, &printer));
    Status worst;
    for (const TenantMove& m : *moves) {
      if (IsTerminal(m.state) || m.state == MoveState::kFailed) continue;
      Result<TenantMove> ended = runner.Run(m.id);
      Status s = ended.ok() ? Outcome(*ended) : ended.status();
      if (!s.ok()) {
        std::cerr << "move " << m.id << ": " << s.message() << '\n';
        worst = s;
      }
    }
    return worst;
  }
  if (opts.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const TenantMove& m : *moves) out.push_back(MoveJson(m));
    std::cout << out.dump(2) << '\n';
    return Status::Ok();
  }
  if (moves->empty()) {
    std::cout << (opts.all ? "no moves\n" : "no unfinished moves (--all lists ended ones)\n");
    return Status::Ok();
  }
  std::vector<std::vector<std::string>> rows = {
      {"move", "tenant", "route", "state", "rows", "copied", "hold", "note"}};
  for (const TenantMove& m : *moves) {
    rows.push_back({m.id, m.tenant, m.source_shard + " -> " + m.target_shard,
                    std::string(MoveStateName(m.state)) + (m.requires_freeze ? " (frozen)" : ""),
                    std::to_string(RowsCopied(m)), Megabytes(BytesCopied(m)),
                    m.hold_ms ? std::to_string(m.hold_ms) + " ms" : "-",
                    m.failure.empty() ? "" : m.failure.substr(0, 60)});
  }
  PrintTable(std::cout, rows, "");
  return Status::Ok();
}

}  // namespace

void AddMoveCommands(CLI::App& tenant, Action* action) {
  auto opts = std::make_shared<MoveCliOptions>();
  CLI::App* move = tenant.add_subcommand(
      "move", "move a tenant to another shard online (copy, catch up, verify, cutover)");
  move->add_option("TENANT", opts->tenant, "tenant id")->required();
  move->add_option("--to", opts->to, "target shard id");
  move->add_option("--id", opts->id, "move id (default: m<unix ms>-<tenant>)");
  move->add_option("--config", opts->config,
                   "settings file of `domicile serve` (its [routing]/[tables] tenant keys)");
  move->add_option("--grace-ms", opts->grace_ms,
                   "keep the source's rows (fenced) this long after the flip, for --undo")
      ->capture_default_str();
  move->add_option("--hold-propagation-ms", opts->hold_propagation_ms,
                   "wait this long for routers to see the hold (> their catalog_ttl_ms)")
      ->capture_default_str();
  move->add_option("--inflight-wait-ms", opts->inflight_wait_ms,
                   "bound on the tenant's in-flight transactions at cutover; past it the "
                   "cutover is aborted and retried")
      ->capture_default_str();
  move->add_option("--relay", opts->relay,
                   "jurisdiction this process runs in: the rows pass through it, so it must be "
                   "allowed for the tenant (residency rule R3)");
  move->add_flag("--create-schema", opts->create_schema,
                 "create missing tables on the target like the source");
  move->add_flag("--detach", opts->detach,
                 "print the move id and run in the background (output in DIR/moves/ID.log)");
  move->add_flag("--undo", opts->undo, "roll back the tenant's unfinished move");
  move->add_flag("--resume", opts->resume, "continue the tenant's unfinished move");
  move->add_flag("-q,--quiet", opts->quiet, "no progress output");
  AddDataOption(move, &opts->data_dir);
  move->callback([opts, action] { *action = [opts] { return RunMove(*opts); }; });

  auto list = std::make_shared<ListOptions>();
  CLI::App* moves = tenant.add_subcommand("moves", "list tenant moves and their progress");
  moves->add_flag("--all", list->all, "include ended moves");
  moves->add_flag("--json", list->json, "JSON output (all moves)");
  moves->add_flag("--resume", list->resume,
                  "continue every unfinished move (and purge sources whose grace period ended)");
  moves->add_option("--config", list->config, "settings file of `domicile serve`");
  AddDataOption(moves, &list->data_dir);
  moves->callback([list, action] { *action = [list] { return RunList(*list); }; });
}

}  // namespace domicile::cli
