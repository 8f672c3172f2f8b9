// CoarseSteadyNow: steady_clock's time as of the kernel's last tick, for pool bookkeeping.
#pragma once

#include <time.h>

#include <chrono>

namespace domicile::pgwire {

// CLOCK_MONOTONIC_COARSE shares CLOCK_MONOTONIC's epoch (steady_clock's, on Linux) and lags it
// by at most one tick (1-4 ms). It is read from the vDSO without touching the hardware clock,
// which on a VM's paravirtual clock costs ~60 ns a call: too much twice per transaction for
// idle and lifetime checks that count in seconds.
inline std::chrono::steady_clock::time_point CoarseSteadyNow() {
#if defined(CLOCK_MONOTONIC_COARSE)
  timespec ts{};
  if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) == 0) {
    return std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
  }
#endif
  return std::chrono::steady_clock::now();  // elsewhere: the fine clock
}

}  // namespace domicile::pgwire
