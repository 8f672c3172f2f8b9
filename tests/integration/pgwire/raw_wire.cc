// RawWire: blocking socket with poll() deadlines and minimal v3 framing.
#include "integration/pgwire/raw_wire.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace domicile::testing {
namespace {

void PutInt32(std::string& out, uint32_t v) {
  v = htonl(v);
  out.append(reinterpret_cast<const char*>(&v), 4);
}

}  // namespace

std::string RawMessage::Field(char code) const {
  size_t at = 0;
  while (at < body.size() && body[at] != '\0') {
    size_t end = body.find('\0', at + 1);
    if (end == std::string::npos) break;
    if (body[at] == code) return body.substr(at + 1, end - at - 1);
    at = end + 1;
  }
  return "";
}

RawWire::RawWire(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd_ >= 0 && connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

RawWire::~RawWire() {
  if (fd_ >= 0) close(fd_);
}

void RawWire::Send(const std::string& bytes) {
  size_t sent = 0;
  while (fd_ >= 0 && sent < bytes.size()) {
    ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;  // the router may close first: the reads tell the test
    sent += static_cast<size_t>(n);
  }
}

void RawWire::ShutdownWrite() { shutdown(fd_, SHUT_WR); }

int RawWire::LocalPort() const {
  sockaddr_in address{};
  socklen_t size = sizeof address;
  if (fd_ < 0 || getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) return 0;
  return ntohs(address.sin_port);
}

bool RawWire::Fill(size_t want, std::chrono::steady_clock::time_point deadline) {
  while (in_.size() < want) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out_ = true;
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[8192];
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) {
      eof_ = true;  // closed or reset
      return false;
    }
    in_.append(buf, static_cast<size_t>(n));
  }
  return true;
}

std::optional<RawMessage> RawWire::Read(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  if (fd_ < 0 || !Fill(5, deadline)) return std::nullopt;
  uint32_t len;
  std::memcpy(&len, in_.data() + 1, 4);
  len = ntohl(len);
  if (len < 4 || !Fill(1 + len, deadline)) return std::nullopt;
  RawMessage m{in_[0], in_.substr(5, len - 4)};
  in_.erase(0, 1 + len);
  return m;
}

std::optional<RawMessage> RawWire::ReadUntilErrorOrReady() {
  while (auto m = Read()) {
    if (m->type == 'E') return m;
    if (m->type == 'Z') return std::nullopt;
  }
  return std::nullopt;
}

std::string RawWire::Startup(const std::string& user, const std::string& database) {
  std::string body;
  PutInt32(body, 196608);
  body += "user";
  body += '\0';
  body += user;
  body += '\0';
  body += "database";
  body += '\0';
  body += database;
  body += '\0';
  body += '\0';
  std::string out;
  PutInt32(out, static_cast<uint32_t>(body.size() + 4));
  return out + body;
}

std::string RawWire::Message(char type, const std::string& body) {
  std::string out(1, type);
  PutInt32(out, static_cast<uint32_t>(body.size() + 4));
  return out + body;
}

}  // namespace domicile::testing
