// Clock: the time source of the app layer, so tests can move time by hand.
#pragma once

#include <chrono>

namespace domicile {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point Now() const = 0;
};

// The real monotonic clock.
class SteadyClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() const override {
    return std::chrono::steady_clock::now();
  }
};

}  // namespace domicile
