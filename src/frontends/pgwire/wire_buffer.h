// WireBuffer: the receive buffer a decoder parses in place, so messages can be string_views.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace domicile::pgwire {

// Bytes received but not yet consumed. Consumed bytes are dropped lazily (when more data
// arrives), so views handed out by a decoder stay valid until the next Append()/Prepare().
// Not thread-safe: one connection, one thread.
class WireBuffer {
 public:
  // Copies `bytes` to the end.
  void Append(std::string_view bytes) {
    Compact();
    data_.append(bytes);
  }
  // Zero-copy receive: returns room for `n` bytes at the end; the caller writes into it and
  // then calls Commit() with how many it actually wrote (<= n).
  char* Prepare(size_t n) {
    Compact();
    size_t at = data_.size();
    data_.resize(at + n);
    pending_ = n;
    return data_.data() + at;
  }
  void Commit(size_t written) {
    if (written > pending_) written = pending_;
    data_.resize(data_.size() - (pending_ - written));
    pending_ = 0;
  }

  std::string_view Readable() const {
    return std::string_view(data_).substr(read_, data_.size() - read_ - pending_);
  }
  void Consume(size_t n) { read_ += n; }
  size_t size() const { return data_.size() - read_ - pending_; }
  // Drops everything (after a fatal error nothing more will be parsed).
  void Clear() {
    data_.clear();
    read_ = 0;
    pending_ = 0;
  }

 private:
  void Compact() {
    if (pending_ != 0) Commit(0);  // a Prepare() never committed wrote nothing
    if (read_ == 0) return;
    data_.erase(0, read_);
    read_ = 0;
  }

  std::string data_;
  size_t read_ = 0;
  size_t pending_ = 0;
};

}  // namespace domicile::pgwire
