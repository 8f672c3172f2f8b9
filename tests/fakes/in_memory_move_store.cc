// InMemoryMoveStore: a MoveStore fake with the real uniqueness and compare-and-set rules.
#include "fakes/in_memory_move_store.h"

#include <algorithm>
#include <set>

namespace domicile::testing {

bool InMemoryMoveStore::TakeFailure(Status* out) {
  if (fail_next_ <= 0) return false;
  --fail_next_;
  *out = failure_;
  return true;
}

Status InMemoryMoveStore::CheckWritable(const TenantMove& move) const {
  if (!IsTerminal(move.state)) {
    for (const auto& [id, other] : moves_) {
      if (id != move.id && other.tenant == move.tenant && !IsTerminal(other.state)) {
        return Conflict("tenant " + move.tenant + " already has an unfinished move " + id + " (" +
                        std::string(MoveStateName(other.state)) + ")");
      }
    }
  }
  std::set<std::string> seen;
  for (const auto& table : move.tables) {
    if (!seen.insert(table.table).second) {
      return InvalidArgument(move.Label() + " lists table " + table.table + " twice");
    }
  }
  return Status::Ok();
}

Status InMemoryMoveStore::Create(const TenantMove& move) {
  std::lock_guard<std::mutex> lock(mu_);
  Status failure;
  if (TakeFailure(&failure)) return failure;
  if (moves_.count(move.id) > 0) return AlreadyExists("move " + move.id + " already exists");
  DOMICILE_RETURN_IF_ERROR(CheckWritable(move));
  moves_.emplace(move.id, move);
  return Status::Ok();
}

Status InMemoryMoveStore::Save(const TenantMove& expected, const TenantMove& move) {
  std::lock_guard<std::mutex> lock(mu_);
  Status failure;
  if (TakeFailure(&failure)) return failure;
  if (expected.id != move.id) {
    return InvalidArgument("cannot save move " + move.id + " over move " + expected.id);
  }
  auto it = moves_.find(move.id);
  if (it == moves_.end()) return NotFound("no move '" + move.id + "'");
  const TenantMove& now = it->second;
  if (now.state != expected.state || now.updated_at_ms != expected.updated_at_ms) {
    return Conflict(now.Label() + " moved on: it is " + std::string(MoveStateName(now.state)) +
                    " (updated at " + std::to_string(now.updated_at_ms) + "), not " +
                    std::string(MoveStateName(expected.state)) + " (updated at " +
                    std::to_string(expected.updated_at_ms) + ")");
  }
  DOMICILE_RETURN_IF_ERROR(CheckWritable(move));
  it->second = move;
  return Status::Ok();
}

Result<TenantMove> InMemoryMoveStore::Get(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  Status failure;
  if (TakeFailure(&failure)) return failure;
  auto it = moves_.find(id);
  if (it == moves_.end()) return NotFound("no move '" + id + "'");
  return it->second;
}

Result<std::optional<TenantMove>> InMemoryMoveStore::Unfinished(const std::string& tenant) {
  std::lock_guard<std::mutex> lock(mu_);
  Status failure;
  if (TakeFailure(&failure)) return failure;
  for (const auto& [id, move] : moves_) {
    if (move.tenant == tenant && !IsTerminal(move.state)) return std::optional<TenantMove>(move);
  }
  return std::optional<TenantMove>();
}

Result<std::vector<TenantMove>> InMemoryMoveStore::List(bool include_ended) {
  std::lock_guard<std::mutex> lock(mu_);
  Status failure;
  if (TakeFailure(&failure)) return failure;
  std::vector<TenantMove> out;
  for (const auto& [id, move] : moves_) {
    if (include_ended || !IsTerminal(move.state)) out.push_back(move);
  }
  // moves_ is in id order, so a stable sort leaves ties by id.
  std::stable_sort(out.begin(), out.end(), [](const TenantMove& a, const TenantMove& b) {
    return a.planned_at_ms > b.planned_at_ms;
  });
  return out;
}

void InMemoryMoveStore::FailNextCalls(int n, Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_ = n;
  failure_ = std::move(status);
}

}  // namespace domicile::testing
