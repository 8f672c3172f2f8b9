// Decoded<T>: the three outcomes of an incremental decode step (message, need more, error).
#pragma once

#include <utility>
#include <variant>

#include "domain/status.h"

namespace domicile::pgwire {

// Not an error: the buffer holds only part of the next message.
struct NeedMoreData {};

// Exactly one of: a decoded value, NeedMoreData, or a non-ok Status. A Status means the
// stream is unusable (protocol violation); the caller reports it and closes the connection.
template <typename T>
class Decoded {
 public:
  Decoded(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Decoded(NeedMoreData) : v_(NeedMoreData{}) {}      // NOLINT
  Decoded(Status status) : v_(std::move(status)) {}  // NOLINT: callers pass only errors

  bool has_value() const { return std::holds_alternative<T>(v_); }
  bool need_more_data() const { return std::holds_alternative<NeedMoreData>(v_); }
  bool is_error() const { return std::holds_alternative<Status>(v_); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  // The error; an ok Status unless is_error().
  const Status& status() const {
    static const Status kOk;
    return is_error() ? std::get<Status>(v_) : kOk;
  }

 private:
  std::variant<NeedMoreData, T, Status> v_;
};

}  // namespace domicile::pgwire
