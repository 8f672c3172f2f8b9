// `domicile serve`: the PostgreSQL front door over the catalog in --data.
#include <csignal>
#include <iostream>

#include "adapters/sql/pgquery/pg_query_statement_analyzer.h"
#include "app/resolver.h"
#include "frontends/cli/catalog_access.h"
#include "frontends/cli/command.h"
#include "frontends/cli/serve_command.h"
#include "frontends/cli/serve_config.h"
#include "frontends/cli/storage_factory.h"
#include "frontends/pgwire/embedded_executor.h"
#include "frontends/pgwire/pgwire_server.h"

namespace domicile::cli {
namespace {

struct ServeOptions {
  std::string data_dir = kDefaultDataDir;
  std::string listen;
  std::string config_path;
  int workers = 0;
  int embedded_threads = 0;
};

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost" ||
         host.rfind("127.", 0) == 0;
}

}  // namespace

Status RunServe(const std::string& data_dir, ServeConfig config,
                const std::function<void(uint16_t)>& on_listening) {
  if (config.router.users.empty() && !IsLoopback(config.listen_host)) {
    return InvalidArgument("no [users] are configured, so domicile accepts trust logins and "
                           "listens on loopback only; add [users] to listen on " +
                           config.listen_host);
  }
  if (config.workers <= 0) config.workers = DefaultWorkers();
  auto store = OpenCatalog(data_dir, /*create=*/false);
  if (!store.ok()) return store.status();
  Resolver resolver(**store, ResolverOptions{config.catalog_ttl});
  DOMICILE_RETURN_IF_ERROR(resolver.Start());
  PgQueryStatementAnalyzer analyzer(config.routing);
  // Declared before the io_context and shut down before it is destroyed: its workers post
  // results back to sessions running there.
  pgwire::EmbeddedExecutor embedded([](const Shard& shard) { return MakeShardStorage(shard); },
                                    pgwire::EmbeddedSettings{config.embedded_threads});
  // Run by this thread only (see PgwireServer). With one network thread, every socket and
  // its reactor state are only ever touched by that thread, so Asio may skip its
  // per-descriptor locks (two lock pairs per wait); with more, a pooled server connection
  // moves between the threads' reactors, so they stay. Posts from other threads (embedded
  // workers, cancels) still go through the scheduler's lock either way.
  pgwire::asio::io_context io(config.workers == 1 ? BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO : 1);
  pgwire::ServerPools pools(io, config.router.pool);
  pgwire::RouterContext ctx{io, resolver, analyzer, pools, config.router, {}, {}};
  ctx.embedded = &embedded;
  pgwire::PgwireServer server(io, ctx);
  DOMICILE_RETURN_IF_ERROR(server.Listen(config.listen_host, config.listen_port));
  pools.StartJanitor();
  pgwire::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const pgwire::ErrorCode& ec, int) {
    if (!ec) server.Stop();
  });
  auto map = resolver.Snapshot();
  std::cout << "domicile: serving catalog version " << map->version() << " ("
            << map->tenant_count() << " tenants on " << map->SortedShards().size()
            << " shards) on " << config.listen_host << ":" << server.port() << " with "
            << config.workers << " worker threads (+" << config.embedded_threads
            << " for sqlite shards), " << (config.router.pool.mode ==
                                                         pgwire::PoolMode::kTransaction
                                                             ? "transaction"
                                                             : "session")
            << " pooling\n";
  std::cout << "domicile: catalog changes are " << resolver.change_detection() << "\n";
  if (config.router.users.empty()) {
    std::cout << "domicile: no [users] configured: accepting trust logins on loopback only\n";
  }
  std::cout.flush();
  if (on_listening) on_listening(server.port());
  server.Run(config.workers);
  embedded.Shutdown();
  pools.Stop();
  resolver.Stop();
  std::cout << "domicile: stopped\n";
  return Status::Ok();
}

void AddServeCommand(CLI::App& app, Action* action) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* serve = app.add_subcommand(
      "serve", "serve the catalog's tenants to PostgreSQL clients (psql, drivers, pgbench)");
  AddDataOption(serve, &options->data_dir);
  serve->add_option("--listen", options->listen, "HOST:PORT to listen on (default 127.0.0.1:6432)");
  serve->add_option("--config", options->config_path, "settings file (TOML, see README)")
      ->check(CLI::ExistingFile);
  serve->add_option("--workers", options->workers, "network threads (default: half the cores, at least 1)")
      ->check(CLI::Range(1, 256));
  serve->add_option("--embedded-threads", options->embedded_threads,
                    "worker threads running statements on sqlite shards (default 2)")
      ->check(CLI::Range(1, 256));
  serve->callback([options, action] {
    *action = [options]() -> Status {
      ServeConfig config;
      if (!options->config_path.empty()) {
        auto loaded = LoadServeConfig(options->config_path);
        if (!loaded.ok()) return loaded.status();
        config = std::move(*loaded);
      }
      if (!options->listen.empty()) DOMICILE_RETURN_IF_ERROR(ParseListen(options->listen, &config));
      if (options->workers > 0) config.workers = options->workers;
      if (options->embedded_threads > 0) config.embedded_threads = options->embedded_threads;
      return RunServe(options->data_dir, std::move(config), nullptr);
    };
  });
}

}  // namespace domicile::cli
