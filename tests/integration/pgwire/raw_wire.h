// RawWire: a bare TCP client for sending the router bytes no driver would send.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace domicile::testing {

// One backend message as read off the wire.
struct RawMessage {
  char type = 0;
  std::string body;
  // An ErrorResponse field ('C' SQLSTATE, 'M' message), or "".
  std::string Field(char code) const;
};

// Not thread-safe. Reads give up at a deadline so a hung router fails the test, not CI.
class RawWire {
 public:
  explicit RawWire(int port);
  ~RawWire();
  RawWire(const RawWire&) = delete;
  RawWire& operator=(const RawWire&) = delete;

  bool connected() const { return fd_ >= 0; }
  void Send(const std::string& bytes);
  void ShutdownWrite();
  // The client side's own TCP port (to find the connection in /proc/net/tcp); 0 if unknown.
  int LocalPort() const;
  // The next message; nullopt at EOF (the router closed) or when `timeout` passes
  // (timed_out() tells which).
  std::optional<RawMessage> Read(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Reads until ErrorResponse, ReadyForQuery or EOF: the first ErrorResponse, if any.
  std::optional<RawMessage> ReadUntilErrorOrReady();
  bool timed_out() const { return timed_out_; }
  bool eof() const { return eof_; }

  // A v3 StartupMessage.
  static std::string Startup(const std::string& user, const std::string& database);
  // A frontend message: type, int32 length, body.
  static std::string Message(char type, const std::string& body);

 private:
  bool Fill(size_t want, std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string in_;
  bool timed_out_ = false;
  bool eof_ = false;
};

}  // namespace domicile::testing
