#include <cstring>

#include "frontends/pgwire/router_context.h"

#include "frontends/pgwire/scram.h"

namespace domicile::pgwire {

std::pair<int32_t, int32_t> CancelRegistry::Register(std::shared_ptr<CancelSlot> slot) {
  int32_t secret = 0;
  auto random = RandomBytes(sizeof(secret));
  if (random.ok()) std::memcpy(&secret, random->data(), sizeof(secret));
  std::lock_guard<std::mutex> lock(mu_);
  int32_t pid;
  do {
    pid = next_pid_++;
    if (next_pid_ <= 0) next_pid_ = 1000;
  } while (entries_.count(pid) != 0);
  entries_[pid] = Entry{secret, std::move(slot)};
  return {pid, secret};
}

void CancelRegistry::Unregister(int32_t pid) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.erase(pid);
}

std::shared_ptr<CancelSlot> CancelRegistry::Lookup(int32_t pid, int32_t secret) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(pid);
  if (it == entries_.end() || it->second.secret != secret) return nullptr;
  return it->second.slot;
}

}  // namespace domicile::pgwire
