#include "domain/shard_map.h"

#include <algorithm>

#include "domain/ids.h"
#include "domain/residency_policy.h"

namespace domicile {
namespace {

// Sorts, removes duplicates.
void SortUnique(std::vector<std::string>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

Status NormalizeJurisdiction(Jurisdiction* j) {
  auto code = NormalizeJurisdictionCode(j->code);
  if (!code.ok()) return code.status();
  j->code = *code;
  if (j->name.empty()) j->name = j->code;
  if (j->name.size() > 200) return InvalidArgument("jurisdiction " + j->code + ": name too long");
  for (auto& region : j->regions) {
    auto r = NormalizeRegion(region);
    if (!r.ok()) return InvalidArgument("jurisdiction " + j->code + ": " + r.status().message());
    region = *r;
  }
  SortUnique(&j->regions);
  return Status::Ok();
}

Status NormalizeShard(Shard* s) {
  auto id = NormalizeId("shard", s->id);
  if (!id.ok()) return id.status();
  s->id = *id;
  auto region = NormalizeRegion(s->region);
  if (!region.ok()) return InvalidArgument("shard " + s->id + ": " + region.status().message());
  s->region = *region;
  if (s->address.empty()) {
    return InvalidArgument("shard " + s->id + ": needs an address (" +
                           (s->engine == Engine::kSqlite ? "path" : "dsn") + ")");
  }
  if (s->weight == 0) return InvalidArgument("shard " + s->id + ": weight must be > 0");
  return Status::Ok();
}

Status NormalizeTenant(Tenant* t) {
  auto id = NormalizeId("tenant", t->id);
  if (!id.ok()) return id.status();
  t->id = *id;
  if (t->allowed.empty()) {
    return ResidencyRefusal{ResidencyRule::kAllowedJurisdictionRequired,
                            "tenant '" + t->id + "' must allow at least one jurisdiction"}
        .ToStatus();
  }
  for (auto& code : t->allowed) {
    auto c = NormalizeJurisdictionCode(code);
    if (!c.ok()) return InvalidArgument("tenant " + t->id + ": " + c.status().message());
    code = *c;
  }
  SortUnique(&t->allowed);
  auto home = NormalizeId("shard", t->home_shard);
  if (!home.ok()) return InvalidArgument("tenant " + t->id + ": " + home.status().message());
  t->home_shard = *home;
  return Status::Ok();
}

}  // namespace

const Jurisdiction* ShardMap::FindJurisdiction(std::string_view code) const {
  auto it = std::lower_bound(jurisdictions_.begin(), jurisdictions_.end(), code,
                             [](const Jurisdiction& j, std::string_view c) { return j.code < c; });
  return it != jurisdictions_.end() && it->code == code ? &*it : nullptr;
}

const Jurisdiction* ShardMap::JurisdictionOfRegion(std::string_view region) const {
  auto it = region_to_jurisdiction_.find(region);
  return it == region_to_jurisdiction_.end() ? nullptr : &jurisdictions_[it->second];
}

const Shard* ShardMap::FindShard(std::string_view id) const {
  auto it = shard_slots_.find(id);
  return it == shard_slots_.end() ? nullptr : &shards_[it->second];
}

const Tenant* ShardMap::FindTenant(std::string_view id) const {
  auto it = tenants_.find(id);
  return it == tenants_.end() ? nullptr : &it->second.tenant;
}

Result<Route> ShardMap::Resolve(std::string_view tenant_id) const {
  auto it = tenants_.find(tenant_id);
  if (it == tenants_.end()) return NotFound("unknown tenant '" + std::string(tenant_id) + "'");
  return Route{&it->second.tenant, &shards_[it->second.shard_slot]};
}

size_t ShardMap::TenantsOn(std::string_view shard_id) const {
  auto it = shard_slots_.find(shard_id);
  return it == shard_slots_.end() ? 0 : tenants_per_shard_[it->second];
}

std::vector<const Shard*> ShardMap::SortedShards() const {
  std::vector<const Shard*> out;
  for (const auto& s : shards_) out.push_back(&s);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->id < b->id; });
  return out;
}

std::vector<const Tenant*> ShardMap::SortedTenants() const {
  std::vector<const Tenant*> out;
  out.reserve(tenants_.size());
  for (const auto& [id, e] : tenants_) out.push_back(&e.tenant);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->id < b->id; });
  return out;
}

void ShardMap::ForEachTenant(const std::function<void(const Tenant&)>& fn) const {
  for (const auto& [id, e] : tenants_) fn(e.tenant);
}

std::vector<Problem> ShardMap::Check(const CatalogChange& change) const {
  ShardMap work = *this;
  std::vector<Problem> problems;
  Effects effects;
  work.ApplyOps(change, version_ + 1, &problems, &effects);
  return problems;
}

Result<AppliedChange> ShardMap::Apply(const CatalogChange& change) const {
  AppliedChange out{*this, {}};
  std::vector<Problem> problems;
  out.map.ApplyOps(change, version_ + 1, &problems, &out.effective);
  if (!problems.empty()) {
    std::string text;
    for (const auto& p : problems) {
      if (!text.empty()) text += "\n";
      text += p.message;
    }
    return Status(problems.front().code, std::move(text));
  }
  if (out.changed()) out.map.version_ = version_ + 1;
  return out;
}

void ShardMap::ApplyOps(const CatalogChange& change, uint64_t new_version,
                        std::vector<Problem>* problems, Effects* effects) {
  for (size_t i = 0; i < change.ops.size(); ++i) {
    Status st = ApplyOne(change.ops[i], new_version, effects);
    if (!st.ok()) problems->push_back(Problem{i, st.code(), st.message()});
  }
}

Status ShardMap::ApplyOne(const CatalogOp& op, uint64_t new_version, Effects* effects) {
  if (auto* p = std::get_if<PutJurisdiction>(&op)) return PutJurisdictionOp(p->jurisdiction, effects);
  if (auto* p = std::get_if<PutShard>(&op)) return PutShardOp(p->shard, effects);
  if (auto* p = std::get_if<SetShardState>(&op)) return SetShardStateOp(p->shard_id, p->state, effects);
  if (auto* p = std::get_if<PutTenant>(&op)) return PutTenantOp(p->tenant, new_version, effects);
  if (auto* p = std::get_if<SetTenantState>(&op)) {
    return SetTenantStateOp(p->tenant_id, p->state, new_version, effects);
  }
  return RemoveTenantOp(std::get<RemoveTenant>(op).tenant_id, effects);
}

Status ShardMap::PutJurisdictionOp(Jurisdiction j, Effects* effects) {
  DOMICILE_RETURN_IF_ERROR(NormalizeJurisdiction(&j));
  for (const auto& region : j.regions) {
    const Jurisdiction* owner = JurisdictionOfRegion(region);
    if (owner != nullptr && owner->code != j.code) {
      return InvalidArgument("region " + region + " cannot be in jurisdiction " + j.code +
                             ": it already belongs to " + owner->code);
    }
  }
  const Jurisdiction* existing = FindJurisdiction(j.code);
  if (existing != nullptr && *existing == j) return Status::Ok();
  // A region in use by a shard may not leave its jurisdiction: the shard would become lawless.
  if (existing != nullptr) {
    for (const auto& s : shards_) {
      if (s.jurisdiction == j.code &&
          !std::binary_search(j.regions.begin(), j.regions.end(), s.region)) {
        return InvalidArgument("jurisdiction " + j.code + " cannot drop region " + s.region +
                               ": shard " + s.id + " is there");
      }
    }
  }
  auto it = std::lower_bound(jurisdictions_.begin(), jurisdictions_.end(), j.code,
                             [](const Jurisdiction& a, const std::string& c) { return a.code < c; });
  effects->push_back(PutJurisdiction{j});
  if (existing != nullptr) {
    *it = std::move(j);
  } else {
    jurisdictions_.insert(it, std::move(j));
  }
  RebuildRegionIndex();
  return Status::Ok();
}

Status ShardMap::PutShardOp(Shard s, Effects* effects) {
  DOMICILE_RETURN_IF_ERROR(NormalizeShard(&s));
  const Jurisdiction* j = JurisdictionOfRegion(s.region);
  if (j == nullptr) {
    return InvalidArgument("shard " + s.id + ": region " + s.region +
                           " is in no known jurisdiction (add it to a [[jurisdiction]] first)");
  }
  s.jurisdiction = j->code;
  auto slot = shard_slots_.find(s.id);
  if (slot == shard_slots_.end()) {
    uint32_t index = static_cast<uint32_t>(shards_.size());
    effects->push_back(PutShard{s});
    shards_.push_back(std::move(s));
    shard_slots_.emplace(shards_.back().id, index);
    tenants_per_shard_.push_back(0);
    return Status::Ok();
  }
  Shard& current = shards_[slot->second];
  if (current == s) return Status::Ok();
  if (current.engine != s.engine && tenants_per_shard_[slot->second] > 0) {
    return InvalidArgument("shard " + s.id + ": cannot change engine while it holds tenants");
  }
  Shard previous = current;
  current = std::move(s);
  if (previous.jurisdiction != current.jurisdiction) {
    Status st = CheckTenantsOn(slot->second);
    if (!st.ok()) {
      current = std::move(previous);
      return st;
    }
  }
  effects->push_back(PutShard{current});
  return Status::Ok();
}

Status ShardMap::SetShardStateOp(const std::string& raw_id, ShardState state, Effects* effects) {
  auto id = NormalizeId("shard", raw_id);
  if (!id.ok()) return id.status();
  auto slot = shard_slots_.find(*id);
  if (slot == shard_slots_.end()) return NotFound("unknown shard '" + *id + "'");
  Shard& s = shards_[slot->second];
  if (s.state != state) {
    s.state = state;
    effects->push_back(PutShard{s});
  }
  return Status::Ok();
}

Status ShardMap::PutTenantOp(Tenant t, uint64_t new_version, Effects* effects) {
  DOMICILE_RETURN_IF_ERROR(NormalizeTenant(&t));
  for (const auto& code : t.allowed) {
    if (FindJurisdiction(code) == nullptr) {
      return NotFound("tenant " + t.id + ": unknown jurisdiction '" + code + "'");
    }
  }
  auto slot = shard_slots_.find(t.home_shard);
  if (slot == shard_slots_.end()) {
    return NotFound("tenant " + t.id + ": unknown shard '" + t.home_shard + "'");
  }
  const Shard& shard = shards_[slot->second];
  if (auto refusal = ResidencyPolicy::CheckPlacement(t, shard)) return refusal->ToStatus();

  auto existing = tenants_.find(t.id);
  bool arriving = existing == tenants_.end() || existing->second.shard_slot != slot->second;
  if (arriving) {
    // Only new arrivals are held to the shard's state and capacity: tenants already there stay.
    if (shard.state != ShardState::kActive) {
      return PolicyRefused("shard " + shard.id + " is " + std::string(ShardStateName(shard.state)) +
                           " and takes no new tenants");
    }
    if (shard.capacity != 0 && tenants_per_shard_[slot->second] >= shard.capacity) {
      return PolicyRefused("shard " + shard.id + " is full (capacity " +
                           std::to_string(shard.capacity) + " tenants)");
    }
  }
  if (existing != tenants_.end()) {
    Tenant candidate = t;
    candidate.version = existing->second.tenant.version;
    if (candidate == existing->second.tenant) return Status::Ok();
    --tenants_per_shard_[existing->second.shard_slot];
    t.version = new_version;
    effects->push_back(PutTenant{t});
    existing->second = TenantEntry{std::move(t), slot->second};
  } else {
    t.version = new_version;
    effects->push_back(PutTenant{t});
    std::string key = t.id;
    tenants_.emplace(std::move(key), TenantEntry{std::move(t), slot->second});
  }
  ++tenants_per_shard_[slot->second];
  return Status::Ok();
}

Status ShardMap::SetTenantStateOp(const std::string& raw_id, TenantState state,
                                  uint64_t new_version, Effects* effects) {
  auto id = NormalizeId("tenant", raw_id);
  if (!id.ok()) return id.status();
  auto it = tenants_.find(*id);
  if (it == tenants_.end()) return NotFound("unknown tenant '" + *id + "'");
  Tenant& t = it->second.tenant;
  if (t.state != state) {
    t.state = state;
    t.version = new_version;
    effects->push_back(PutTenant{t});
  }
  return Status::Ok();
}

Status ShardMap::RemoveTenantOp(const std::string& raw_id, Effects* effects) {
  auto id = NormalizeId("tenant", raw_id);
  if (!id.ok()) return id.status();
  auto it = tenants_.find(*id);
  if (it == tenants_.end()) return NotFound("unknown tenant '" + *id + "'");
  --tenants_per_shard_[it->second.shard_slot];
  tenants_.erase(it);
  effects->push_back(RemoveTenant{*id});
  return Status::Ok();
}

Status ShardMap::CheckTenantsOn(int64_t shard_slot) const {
  for (const auto& [id, e] : tenants_) {
    if (shard_slot >= 0 && e.shard_slot != static_cast<uint32_t>(shard_slot)) continue;
    if (auto refusal = ResidencyPolicy::CheckPlacement(e.tenant, shards_[e.shard_slot])) {
      return refusal->ToStatus();
    }
  }
  return Status::Ok();
}

void ShardMap::RebuildRegionIndex() {
  region_to_jurisdiction_.clear();
  for (size_t i = 0; i < jurisdictions_.size(); ++i) {
    for (const auto& r : jurisdictions_[i].regions) region_to_jurisdiction_.emplace(r, i);
  }
}

Result<ShardMap> ShardMap::Build(uint64_t version, std::vector<Jurisdiction> jurisdictions,
                                 std::vector<Shard> shards, std::vector<Tenant> tenants) {
  ShardMap map;
  std::vector<Problem> problems;
  auto note = [&](const Status& st) {
    if (!st.ok()) problems.push_back(Problem{problems.size(), st.code(), st.message()});
  };
  Effects ignored;
  for (auto& j : jurisdictions) note(map.PutJurisdictionOp(std::move(j), &ignored));
  for (auto& s : shards) note(map.PutShardOp(std::move(s), &ignored));
  map.tenants_.reserve(tenants.size());  // one allocation instead of ~20 rehashes at 1M
  // Stored tenants may sit on draining shards or over capacity; only residency is checked.
  for (auto& t : tenants) {
    Status st = NormalizeTenant(&t);
    if (st.ok()) {
      auto slot = map.shard_slots_.find(t.home_shard);
      if (slot == map.shard_slots_.end()) {
        st = Corrupt("tenant " + t.id + " lives on unknown shard " + t.home_shard);
      } else if (auto refusal = ResidencyPolicy::CheckPlacement(t, map.shards_[slot->second])) {
        st = Corrupt(refusal->ToStatus().message());
      } else if (map.tenants_.count(t.id) != 0) {
        st = Corrupt("tenant " + t.id + " is stored twice");
      } else {
        ++map.tenants_per_shard_[slot->second];
        std::string key = t.id;
        map.tenants_.emplace(std::move(key), TenantEntry{std::move(t), slot->second});
      }
    }
    note(st);
  }
  if (!problems.empty()) {
    std::string text = "stored catalog is inconsistent:";
    for (const auto& p : problems) text += "\n" + p.message;
    return Corrupt(std::move(text));
  }
  map.version_ = version;
  return map;
}

}  // namespace domicile
