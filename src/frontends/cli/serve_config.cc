#include "frontends/cli/serve_config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <thread>
#include <vector>

namespace domicile::cli {
namespace {

class ConfigReader {
 public:
  explicit ConfigReader(std::string path) : path_(std::move(path)) {}

  void Problem(const toml::node& node, const std::string& text) {
    problems_.push_back(path_ + ":" + std::to_string(node.source().begin.line) + ": " + text);
  }

  // Flags keys of `table` not in `known`.
  void CheckKeys(const toml::table& table, const std::string& where,
                 std::initializer_list<std::string_view> known) {
    for (const auto& [key, node] : table) {
      bool ok = false;
      for (auto k : known) ok |= key.str() == k;
      if (!ok) Problem(node, "unknown key '" + std::string(key.str()) + "' in " + where);
    }
  }

  template <typename T>
  void Read(const toml::table& table, std::string_view key, T* out, int64_t min, int64_t max) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return;
    auto value = node->value<int64_t>();
    if (!value || *value < min || *value > max) {
      Problem(*node, std::string(key) + " must be an integer from " + std::to_string(min) +
                         " to " + std::to_string(max));
      return;
    }
    *out = static_cast<T>(*value);
  }

  void ReadMs(const toml::table& table, std::string_view key, std::chrono::milliseconds* out) {
    int64_t ms = out->count();
    Read(table, key, &ms, 1, 86'400'000);
    *out = std::chrono::milliseconds(ms);
  }

  void ReadString(const toml::table& table, std::string_view key, std::string* out) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return;
    auto value = node->value<std::string>();
    if (!value) {
      Problem(*node, std::string(key) + " must be a string");
      return;
    }
    *out = *value;
  }

  const toml::table* Table(const toml::table& root, std::string_view key) {
    const toml::node* node = root.get(key);
    if (node == nullptr) return nullptr;
    if (!node->is_table()) {
      Problem(*node, "[" + std::string(key) + "] must be a table");
      return nullptr;
    }
    return node->as_table();
  }

  std::vector<std::string> problems_;
  std::string path_;
};

}  // namespace

int DefaultWorkers() {
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency() / 2));
}

Status ParseListen(const std::string& text, ServeConfig* config) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return InvalidArgument("listen address '" + text + "' must be HOST:PORT");
  }
  unsigned port = 0;
  std::string_view digits(text.data() + colon + 1, text.size() - colon - 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || end != digits.data() + digits.size() || port > 65535) {
    return InvalidArgument("listen address '" + text + "' has a bad port");
  }
  config->listen_host = text.substr(0, colon);
  if (config->listen_host.size() > 2 && config->listen_host.front() == '[') {
    config->listen_host = config->listen_host.substr(1, config->listen_host.size() - 2);
  }
  config->listen_port = static_cast<uint16_t>(port);
  return Status::Ok();
}

Result<ServeConfig> LoadServeConfig(const std::string& path) {
  ServeConfig config;
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return InvalidArgument(path + ":" + std::to_string(e.source().begin.line) + ": " +
                           std::string(e.description()));
  }
  ConfigReader r(path);
  r.CheckKeys(root, "the settings file", {"server", "pool", "routing", "tables", "users"});
  if (const auto* server = r.Table(root, "server")) {
    r.CheckKeys(*server, "[server]",
                {"listen", "workers", "embedded_threads", "max_message_bytes", "server_version",
                 "startup_timeout_ms", "tcp_keepalives_idle", "tcp_keepalives_interval",
                 "tcp_keepalives_count"});
    std::string listen;
    r.ReadString(*server, "listen", &listen);
    if (!listen.empty()) {
      Status st = ParseListen(listen, &config);
      if (!st.ok()) r.Problem(*server->get("listen"), st.message());
    }
    r.Read(*server, "workers", &config.workers, 1, 256);
    r.Read(*server, "embedded_threads", &config.embedded_threads, 1, 256);
    r.Read(*server, "max_message_bytes", &config.router.max_message_size, 1024,
           int64_t{1} << 30);
    r.ReadString(*server, "server_version", &config.router.server_version);
    r.ReadMs(*server, "startup_timeout_ms", &config.router.startup_timeout);
    // Linux's own limits for TCP_KEEPIDLE/TCP_KEEPINTVL (32767 s) and TCP_KEEPCNT (127).
    r.Read(*server, "tcp_keepalives_idle", &config.router.tcp_keepalives_idle, 0, 32767);
    r.Read(*server, "tcp_keepalives_interval", &config.router.tcp_keepalives_interval, 0, 32767);
    r.Read(*server, "tcp_keepalives_count", &config.router.tcp_keepalives_count, 0, 127);
  }
  if (const auto* pool = r.Table(root, "pool")) {
    r.CheckKeys(*pool, "[pool]",
                {"mode", "min_size", "max_size", "global_max", "acquire_timeout_ms",
                 "idle_timeout_ms", "server_lifetime_ms", "breaker_min_backoff_ms",
                 "breaker_max_backoff_ms"});
    auto& p = config.router.pool;
    std::string mode = "transaction";
    r.ReadString(*pool, "mode", &mode);
    if (mode == "session") {
      p.mode = pgwire::PoolMode::kSession;
    } else if (mode != "transaction") {
      r.Problem(*pool->get("mode"), "mode must be \"transaction\" or \"session\"");
    }
    r.Read(*pool, "min_size", &p.min_size, 0, 10000);
    r.Read(*pool, "max_size", &p.max_size, 1, 10000);
    r.Read(*pool, "global_max", &p.global_max, 1, 100000);
    r.ReadMs(*pool, "acquire_timeout_ms", &p.acquire_timeout);
    r.ReadMs(*pool, "idle_timeout_ms", &p.idle_timeout);
    r.ReadMs(*pool, "server_lifetime_ms", &p.server_lifetime);
    r.ReadMs(*pool, "breaker_min_backoff_ms", &p.breaker_min_backoff);
    r.ReadMs(*pool, "breaker_max_backoff_ms", &p.breaker_max_backoff);
  }
  if (const auto* routing = r.Table(root, "routing")) {
    r.CheckKeys(*routing, "[routing]", {"tenant_key", "catalog_ttl_ms", "hold_timeout_ms"});
    r.ReadString(*routing, "tenant_key", &config.routing.default_key_column);
    r.ReadMs(*routing, "catalog_ttl_ms", &config.catalog_ttl);
    r.ReadMs(*routing, "hold_timeout_ms", &config.router.hold_timeout);
  }
  if (const auto* tables = r.Table(root, "tables")) {
    for (const auto& [name, node] : *tables) {
      if (!node.is_table()) {
        r.Problem(node, "[tables." + std::string(name.str()) + "] must be a table");
        continue;
      }
      const auto& t = *node.as_table();
      r.CheckKeys(t, "[tables." + std::string(name.str()) + "]", {"tenant_key"});
      std::string column;
      r.ReadString(t, "tenant_key", &column);
      if (column.empty()) {
        r.Problem(node, "[tables." + std::string(name.str()) + "] needs tenant_key");
      } else {
        config.routing.table_key_columns[std::string(name.str())] = column;
      }
    }
  }
  if (const auto* users = r.Table(root, "users")) {
    for (const auto& [name, node] : *users) {
      std::string user(name.str());
      if (!node.is_table()) {
        r.Problem(node, "[users." + user + "] must be a table");
        continue;
      }
      const auto& u = *node.as_table();
      r.CheckKeys(u, "[users." + user + "]", {"password", "scram"});
      std::string password, scram;
      r.ReadString(u, "password", &password);
      r.ReadString(u, "scram", &scram);
      if (password.empty() == scram.empty()) {
        r.Problem(node, "[users." + user + "] needs exactly one of password or scram");
        continue;
      }
      auto verifier = scram.empty() ? pgwire::MakeScramVerifier(password)
                                    : pgwire::ParseScramVerifier(scram);
      if (!verifier.ok()) {
        r.Problem(node, "[users." + user + "]: " + verifier.status().message());
        continue;
      }
      config.router.users[user] = pgwire::ClientUser{user, *verifier};
    }
  }
  if (!r.problems_.empty()) {
    std::string text;
    for (const auto& p : r.problems_) text += (text.empty() ? "" : "\n") + p;
    return InvalidArgument(std::move(text));
  }
  return config;
}

}  // namespace domicile::cli
