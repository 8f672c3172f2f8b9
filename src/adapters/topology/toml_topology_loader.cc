// Topology files through toml++: shape checks here, catalog rules in the domain.
#include "adapters/topology/toml_topology_loader.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include "domain/shard.h"

namespace domicile {
namespace {

namespace fs = std::filesystem;

std::string_view TypeName(toml::node_type type) {
  switch (type) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date/time";
    default:
      return "nothing";
  }
}

// Levenshtein distance, to suggest the key a typo meant ("regoin" -> "region").
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string Folded(std::string_view s, bool upper) {
  std::string out(s);
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    c = static_cast<char>(upper ? std::toupper(u) : std::tolower(u));
  }
  return out;
}

// Walks the parsed document, collecting every problem instead of stopping at the first.
class Reader {
 public:
  Reader(std::string source, fs::path base_dir)
      : source_(std::move(source)), base_dir_(std::move(base_dir)) {}

  Result<Topology> Read(const toml::table& root) {
    Topology topology;
    topology.source = source_;
    for (auto&& [key, node] : root) {
      const toml::array* entries = EntriesOf(key, node);
      if (entries == nullptr) continue;
      for (const toml::node& entry : *entries) {
        const toml::table* table = entry.as_table();
        if (table == nullptr) {
          Add(entry, "'" + std::string(key.str()) + "' must be an array of tables: write [[" +
                         std::string(key.str()) + "]]");
        } else if (key.str() == "jurisdiction") {
          ReadJurisdiction(*table, &topology);
        } else if (key.str() == "shard") {
          ReadShard(*table, &topology);
        } else {
          ReadTenant(*table, &topology);
        }
      }
    }
    if (!problems_.empty()) {
      // toml++ keeps keys sorted, so sections are visited out of file order: restore it.
      std::stable_sort(problems_.begin(), problems_.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      std::string message;
      for (const auto& [line, text] : problems_) {
        if (!message.empty()) message += '\n';
        message += source_ + ":" + std::to_string(line) + ": " + text;
      }
      return InvalidArgument(message);
    }
    return topology;
  }

 private:
  void AddAt(int line, const std::string& message) { problems_.emplace_back(line, message); }
  void Add(const toml::node& node, const std::string& message) {
    AddAt(static_cast<int>(node.source().begin.line), message);
  }
  static int LineOf(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

  // The entries of a top-level key, or null (with a problem) when the key is not one of ours.
  const toml::array* EntriesOf(const toml::key& key, const toml::node& node) {
    static constexpr std::string_view kSections[] = {"jurisdiction", "shard", "tenant"};
    if (std::find(std::begin(kSections), std::end(kSections), key.str()) == std::end(kSections)) {
      UnknownKey(key, kSections, "at the top level");
      return nullptr;
    }
    const toml::array* array = node.as_array();
    if (array == nullptr) {
      AddAt(static_cast<int>(key.source().begin.line),
            "'" + std::string(key.str()) + "' must be an array of tables: write [[" +
                std::string(key.str()) + "]]");
    }
    return array;
  }

  template <size_t N>
  void UnknownKey(const toml::key& key, const std::string_view (&known)[N],
                  std::string_view where) {
    std::string message = "unknown key '" + std::string(key.str()) + "' " + std::string(where);
    const std::string_view* best = nullptr;
    size_t best_distance = 3;  // suggest only close matches
    for (const auto& k : known) {
      size_t d = EditDistance(key.str(), k);
      if (d < best_distance) best = &k, best_distance = d;
    }
    if (best != nullptr) message += " (did you mean '" + std::string(*best) + "'?)";
    AddAt(static_cast<int>(key.source().begin.line), message);
  }

  template <size_t N>
  void CheckKeys(const toml::table& table, const std::string_view (&known)[N],
                 std::string_view section) {
    for (auto&& [key, node] : table) {
      if (std::find(std::begin(known), std::end(known), key.str()) == std::end(known)) {
        UnknownKey(key, known, "in [[" + std::string(section) + "]]");
      }
    }
  }

  std::optional<std::string> String(const toml::table& table, std::string_view key,
                                    std::string_view section, bool required) {
    const toml::node* node = table.get(key);
    if (node == nullptr) {
      if (required) {
        AddAt(LineOf(table), "[[" + std::string(section) + "]] is missing required key '" +
                                 std::string(key) + "'");
      }
      return std::nullopt;
    }
    if (node->is_string()) return *node->value<std::string>();
    Add(*node,
        "'" + std::string(key) + "' must be a string, not " + std::string(TypeName(node->type())));
    return std::nullopt;
  }

  std::optional<std::vector<std::string>> Strings(const toml::table& table, std::string_view key,
                                                  std::string_view section) {
    const toml::node* node = table.get(key);
    if (node == nullptr) {
      AddAt(LineOf(table),
            "[[" + std::string(section) + "]] is missing required key '" + std::string(key) + "'");
      return std::nullopt;
    }
    const toml::array* array = node->as_array();
    if (array == nullptr) {
      Add(*node, "'" + std::string(key) + "' must be an array of strings, not " +
                     std::string(TypeName(node->type())));
      return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (size_t i = 0; i < array->size(); ++i) {
      const toml::node& item = *array->get(i);
      if (item.is_string()) {
        out.push_back(*item.value<std::string>());
      } else {
        Add(item, "'" + std::string(key) + "[" + std::to_string(i) + "]' must be a string, not " +
                      std::string(TypeName(item.type())));
        ok = false;
      }
    }
    return ok ? std::optional(std::move(out)) : std::nullopt;
  }

  // An optional integer in [min, UINT32_MAX]; false when present but wrong.
  bool Uint32(const toml::table& table, std::string_view key, uint32_t min, uint32_t* out) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return true;
    if (!node->is_integer()) {
      Add(*node, "'" + std::string(key) + "' must be an integer, not " +
                     std::string(TypeName(node->type())));
      return false;
    }
    int64_t v = *node->value<int64_t>();
    if (v < min || v > std::numeric_limits<uint32_t>::max()) {
      Add(*node, "'" + std::string(key) + "' must be between " + std::to_string(min) + " and " +
                     std::to_string(std::numeric_limits<uint32_t>::max()) + ", not " +
                     std::to_string(v));
      return false;
    }
    *out = static_cast<uint32_t>(v);
    return true;
  }

  // Remembers each id's first line, to report a second declaration of it.
  void CheckDuplicate(std::map<std::string, int>* seen, const std::string& key,
                      const std::string& id, int line, std::string_view what) {
    auto [it, inserted] = seen->emplace(key, line);
    if (!inserted) {
      AddAt(line, std::string(what) + " '" + id + "' is declared twice (first at line " +
                      std::to_string(it->second) + ")");
    }
  }

  void ReadJurisdiction(const toml::table& t, Topology* topology) {
    static constexpr std::string_view kKeys[] = {"code", "name", "regions"};
    CheckKeys(t, kKeys, "jurisdiction");
    auto code = String(t, "code", "jurisdiction", true);
    auto name = String(t, "name", "jurisdiction", false);
    auto regions = Strings(t, "regions", "jurisdiction");
    if (!code || !regions) return;
    CheckDuplicate(&jurisdictions_, Folded(*code, true), *code, LineOf(t), "jurisdiction");
    TopologyJurisdiction j;
    j.jurisdiction.code = *code;
    j.jurisdiction.name = name.value_or(*code);
    j.jurisdiction.regions = std::move(*regions);
    j.line = LineOf(t);
    topology->jurisdictions.push_back(std::move(j));
  }

  void ReadShard(const toml::table& t, Topology* topology) {
    static constexpr std::string_view kKeys[] = {"id",   "engine", "region",   "dsn",
                                                 "path", "weight", "capacity", "state"};
    CheckKeys(t, kKeys, "shard");
    TopologyShard s;
    s.line = LineOf(t);
    bool ok = true;
    auto id = String(t, "id", "shard", true);
    auto engine_name = String(t, "engine", "shard", true);
    auto region = String(t, "region", "shard", true);
    auto dsn = String(t, "dsn", "shard", false);
    auto path = String(t, "path", "shard", false);
    auto state_name = String(t, "state", "shard", false);
    ok &= Uint32(t, "weight", 1, &s.shard.weight);
    ok &= Uint32(t, "capacity", 0, &s.shard.capacity);
    std::optional<Engine> engine;
    if (engine_name) {
      engine = ParseEngine(*engine_name);
      if (!engine) {
        Add(*t.get("engine"),
            "engine '" + *engine_name + "' is not supported: use \"postgres\" or \"sqlite\"");
      }
    }
    if (state_name) {
      if (auto state = ParseShardState(*state_name)) {
        s.shard.state = *state;
      } else {
        Add(*t.get("state"),
            "state '" + *state_name + "' is not one of \"active\", \"draining\", \"offline\"");
        ok = false;
      }
    }
    if (engine == Engine::kPostgres) {
      if (path) Add(*t.get("path"), "'path' is for sqlite shards; a postgres shard takes 'dsn'");
      if (!dsn) AddAt(s.line, "postgres shard needs 'dsn' (a libpq connection string)");
      ok &= dsn.has_value() && !path;
      if (dsn) s.shard.address = *dsn;
    } else if (engine == Engine::kSqlite) {
      if (dsn) Add(*t.get("dsn"), "'dsn' is for postgres shards; a sqlite shard takes 'path'");
      if (!path) AddAt(s.line, "sqlite shard needs 'path' (its database file)");
      if (path && path->empty()) Add(*t.get("path"), "'path' must not be empty");
      ok &= path.has_value() && !path->empty() && !dsn;
      if (ok) s.shard.address = ResolvePath(*path);
    }
    if (!id || !engine || !region || !ok) return;
    CheckDuplicate(&shards_, Folded(*id, false), *id, s.line, "shard");
    s.shard.id = *id;
    s.shard.engine = *engine;
    s.shard.region = *region;
    topology->shards.push_back(std::move(s));
  }

  void ReadTenant(const toml::table& t, Topology* topology) {
    static constexpr std::string_view kKeys[] = {"id", "allow", "shard"};
    CheckKeys(t, kKeys, "tenant");
    auto id = String(t, "id", "tenant", true);
    auto allow = Strings(t, "allow", "tenant");
    const bool shard_present = t.contains("shard");
    auto shard = String(t, "shard", "tenant", false);
    if (!id || !allow || (shard_present && !shard)) return;
    TopologyTenant tenant;
    tenant.line = LineOf(t);
    CheckDuplicate(&tenants_, Folded(*id, false), *id, tenant.line, "tenant");
    tenant.id = *id;
    tenant.allow = std::move(*allow);
    tenant.shard = std::move(shard);
    topology->tenants.push_back(std::move(tenant));
  }

  std::string ResolvePath(const std::string& raw) const {
    fs::path p(raw);
    if (p.is_relative() && !base_dir_.empty()) p = base_dir_ / p;
    std::error_code ec;
    fs::path abs = fs::absolute(p, ec);
    return (ec ? p : abs).lexically_normal().string();
  }

  std::string source_;
  fs::path base_dir_;
  std::vector<std::pair<int, std::string>> problems_;  // line, message
  std::map<std::string, int> jurisdictions_, shards_, tenants_;
};

}  // namespace

Result<Topology> LoadTopologyString(std::string_view text, const std::string& source_name,
                                    const std::string& base_dir) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return InvalidArgument(source_name + ":" + std::to_string(where.line) + ":" +
                           std::to_string(where.column) + ": " + std::string(e.description()));
  }
  return Reader(source_name, base_dir).Read(root);
}

Result<Topology> LoadTopologyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  if (!in || fs::is_directory(path, ec)) {
    return InvalidArgument("cannot read topology file '" + path + "'");
  }
  std::ostringstream text;
  text << in.rdbuf();
  fs::path dir = fs::path(path).parent_path();
  return LoadTopologyString(text.str(), path, dir.empty() ? "." : dir.string());
}

}  // namespace domicile
