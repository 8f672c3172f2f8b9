#include "app/catalog_service.h"

#include <algorithm>
#include <functional>

#include "domain/ids.h"
#include "domain/placement.h"

namespace domicile {
namespace {

// How many times a lost compare-and-set is retried on a fresh snapshot before giving up.
constexpr int kMaxCasAttempts = 8;

// Builds a change from a snapshot; called again on a fresh snapshot after a lost race.
using ChangeBuilder = std::function<Result<CatalogChange>(const ShardMap&)>;

// Load, build, validate, commit; on kConflict start over from a fresh snapshot.
Result<AppliedChange> CommitWithRetry(CatalogStore& store, const ChangeBuilder& build) {
  Status last;
  for (int attempt = 0; attempt < kMaxCasAttempts; ++attempt) {
    auto snapshot = store.Load();
    if (!snapshot.ok()) return snapshot.status();
    auto change = build(*snapshot);
    if (!change.ok()) return change.status();
    auto applied = snapshot->Apply(*change);
    if (!applied.ok()) return applied.status();
    Status st = store.Commit(snapshot->version(), *applied, change->reason);
    if (st.ok()) return applied;
    if (st.code() != StatusCode::kConflict) return st;
    last = st;
  }
  return Conflict("gave up after " + std::to_string(kMaxCasAttempts) +
                  " concurrent updates of the catalog: " + last.message());
}

std::string Where(const Topology& topology, int line) {
  return topology.source + ":" + (line > 0 ? std::to_string(line) : "?") + ": ";
}

std::vector<std::string> Normalized(const std::vector<std::string>& codes) {
  std::vector<std::string> out;
  for (const auto& c : codes) {
    auto n = NormalizeJurisdictionCode(c);
    out.push_back(n.ok() ? *n : c);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

Result<AppliedChange> CatalogService::Submit(const CatalogChange& change) {
  return CommitWithRetry(store_, [&](const ShardMap&) -> Result<CatalogChange> { return change; });
}

Result<ApplyReport> CatalogService::ApplyTopology(const Topology& topology) {
  uint64_t old_version = 0;
  auto applied = CommitWithRetry(store_, [&](const ShardMap& base) -> Result<CatalogChange> {
    old_version = base.version();
    CatalogChange change;
    change.reason = "catalog apply " + topology.source;
    std::vector<int> lines;  // source line of each op, for problem messages
    for (const auto& j : topology.jurisdictions) {
      change.ops.push_back(PutJurisdiction{j.jurisdiction});
      lines.push_back(j.line);
    }
    for (const auto& s : topology.shards) {
      change.ops.push_back(PutShard{s.shard});
      lines.push_back(s.line);
    }
    // Placement needs the shards declared above, and must see earlier placements of this
    // same file so load spreads; so place on a working map that grows tenant by tenant.
    auto working = base.Apply(change);
    std::vector<std::string> problems;
    StatusCode placement_code = StatusCode::kPolicyRefused;
    for (const auto& t : topology.tenants) {
      Tenant tenant;
      tenant.id = t.id;
      tenant.allowed = t.allow;
      auto id = NormalizeId("tenant", t.id);
      const Tenant* existing = id.ok() ? base.FindTenant(*id) : nullptr;
      if (existing != nullptr) tenant.state = existing->state;  // a file never thaws a tenant
      if (t.shard) {
        tenant.home_shard = *t.shard;
      } else if (existing != nullptr) {
        tenant.home_shard = existing->home_shard;  // applying again must not move it
      } else if (working.ok()) {
        auto shard = Placement::Choose(working->map, Normalized(t.allow));
        if (!shard.ok()) {
          if (problems.empty()) placement_code = shard.status().code();
          problems.push_back(Where(topology, t.line) + "tenant " + t.id + ": " +
                             shard.status().message());
          continue;
        }
        tenant.home_shard = (*shard)->id;
      }
      change.ops.push_back(PutTenant{tenant});
      lines.push_back(t.line);
      if (working.ok()) {
        auto next = working->map.Apply(CatalogChange{{PutTenant{tenant}}, {}});
        if (next.ok()) working = std::move(next);
      }
    }
    auto problem_list = base.Check(change);
    for (const auto& p : problem_list) {
      problems.push_back(Where(topology, lines[p.op_index]) + p.message);
    }
    if (!problems.empty()) {
      std::string text;
      for (const auto& p : problems) text += (text.empty() ? "" : "\n") + p;
      StatusCode code = problem_list.empty() ? placement_code : problem_list.front().code;
      return Status(code, std::move(text));
    }
    return change;
  });
  if (!applied.ok()) return applied.status();
  ApplyReport report;
  report.old_version = old_version;
  report.new_version = applied->map.version();
  for (const auto& op : applied->effective) report.changes.push_back(DescribeOp(op));
  return report;
}

Result<Shard> CatalogService::AddShard(const Shard& shard) {
  auto applied = CommitWithRetry(store_, [&](const ShardMap& base) -> Result<CatalogChange> {
    auto id = NormalizeId("shard", shard.id);
    if (!id.ok()) return id.status();
    if (base.FindShard(*id) != nullptr) {
      // The same shard again is a no-op; different settings would silently rewrite it.
      auto probe = base.Apply(CatalogChange{{PutShard{shard}}, {}});
      if (!probe.ok()) return probe.status();
      if (probe->changed()) {
        return AlreadyExists("shard '" + *id + "' already exists with other settings");
      }
    }
    return CatalogChange{{PutShard{shard}}, "shard add " + *id};
  });
  if (!applied.ok()) return applied.status();
  auto id = NormalizeId("shard", shard.id);
  return *applied->map.FindShard(*id);
}

Status CatalogService::SetShardState(const std::string& shard_id, ShardState state) {
  auto applied = CommitWithRetry(store_, [&](const ShardMap&) -> Result<CatalogChange> {
    return CatalogChange{{domicile::SetShardState{shard_id, state}},
                         "shard " + shard_id + " " + std::string(ShardStateName(state))};
  });
  return applied.status();
}

Result<Tenant> CatalogService::AddTenant(const std::string& raw_id,
                                         const std::vector<std::string>& allowed,
                                         const std::optional<std::string>& shard) {
  auto id = NormalizeId("tenant", raw_id);
  if (!id.ok()) return id.status();
  auto applied = CommitWithRetry(store_, [&](const ShardMap& base) -> Result<CatalogChange> {
    Tenant tenant;
    tenant.id = *id;
    tenant.allowed = allowed;
    if (allowed.empty()) {
      return PolicyRefused(
          "residency rule R1 (allowed-jurisdiction-required): tenant '" + *id +
          "' must allow at least one jurisdiction");
    }
    if (const Tenant* existing = base.FindTenant(*id)) {
      bool same_allowed = existing->allowed == Normalized(allowed);
      std::optional<std::string> wanted_shard;
      if (shard) {
        auto s = NormalizeId("shard", *shard);
        if (!s.ok()) return s.status();
        wanted_shard = *s;
      }
      if (same_allowed && (!wanted_shard || *wanted_shard == existing->home_shard)) {
        return CatalogChange{};  // same tenant again: a no-op
      }
      return AlreadyExists("tenant '" + *id + "' already exists on shard " +
                           existing->home_shard + " (use tenant move to change its shard)");
    }
    if (shard) {
      tenant.home_shard = *shard;
    } else {
      auto chosen = Placement::Choose(base, Normalized(allowed));
      if (!chosen.ok()) return chosen.status();
      tenant.home_shard = (*chosen)->id;
    }
    return CatalogChange{{PutTenant{tenant}}, "tenant add " + *id};
  });
  if (!applied.ok()) return applied.status();
  return *applied->map.FindTenant(*id);
}

}  // namespace domicile
