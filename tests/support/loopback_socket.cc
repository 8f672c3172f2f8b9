// LoopbackSocket: bind to 127.0.0.1:0, read back the port, listen if asked.
#include "support/loopback_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace domicile::testing {

LoopbackSocket::LoopbackSocket(bool listen_too) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  if (listen_too) listen(fd_, 16);
}

LoopbackSocket::~LoopbackSocket() { close(fd_); }

}  // namespace domicile::testing
