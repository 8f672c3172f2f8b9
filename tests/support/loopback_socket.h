// LoopbackSocket: a 127.0.0.1 port that refuses connections or accepts and never answers.
#pragma once

namespace domicile::testing {

// Holds an ephemeral loopback port for its lifetime, so no server can take it. Merely bound,
// connections to it are refused; listening, TCP handshakes complete but nothing is ever said
// (a hung server). Not thread-safe.
class LoopbackSocket {
 public:
  explicit LoopbackSocket(bool listen_too);
  ~LoopbackSocket();
  LoopbackSocket(const LoopbackSocket&) = delete;
  LoopbackSocket& operator=(const LoopbackSocket&) = delete;

  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace domicile::testing
