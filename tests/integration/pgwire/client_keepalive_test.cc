// Client sockets get TCP keepalive, with the times `[server] tcp_keepalives_*` set: it is what
// ends the session of a client that half-closed right after a request and went away
// (quiet_read_buffer.h). Checked on the router's own end of a connection, in /proc/net/tcp.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "integration/pgwire/pgwire_cluster.h"
#include "integration/pgwire/raw_wire.h"

namespace domicile::testing {
namespace {

using namespace std::chrono_literals;

// The timer of the IPv4 TCP socket from local port `local` to remote port `remote` on
// loopback, as /proc/net/tcp shows it ("tr:tm->when": 2 is the keepalive timer, `when` its
// clock ticks left); nullopt while there is no such socket.
struct TcpTimer {
  int kind = 0;
  long ticks_left = 0;
};
std::optional<TcpTimer> TimerOf(int local, int remote) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // header
  char want_local[32], want_remote[32];
  std::snprintf(want_local, sizeof want_local, "0100007F:%04X", local);
  std::snprintf(want_remote, sizeof want_remote, "0100007F:%04X", remote);
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local_address, remote_address, state, queues, timer;
    fields >> slot >> local_address >> remote_address >> state >> queues >> timer;
    if (local_address != want_local || remote_address != want_remote) continue;
    TcpTimer t;
    unsigned kind = 0;
    unsigned long when = 0;
    if (std::sscanf(timer.c_str(), "%x:%lx", &kind, &when) != 2) return std::nullopt;
    t.kind = static_cast<int>(kind);
    t.ticks_left = static_cast<long>(when);
    return t;
  }
  return std::nullopt;
}

class PgwireClientKeepaliveTest : public PgwireTest {
 protected:
  static void SetUpTestSuite() {
    StartRouter("[server]\ntcp_keepalives_idle = 7\ntcp_keepalives_interval = 2\n");
  }
  static void TearDownTestSuite() { StopRouter(); }
};

TEST_F(PgwireClientKeepaliveTest, AClientSocketKeepsAliveOnTheConfiguredIdleTime) {
  RawWire wire(router().port());
  ASSERT_TRUE(wire.connected());
  wire.Send(RawWire::Startup("app", "app"));
  const int client_port = wire.LocalPort();
  ASSERT_NE(client_port, 0);
  // The session sets its socket's options as it starts, just after the accept.
  std::optional<TcpTimer> timer;
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(20ms)) {
    timer = TimerOf(router().port(), client_port);
    if (timer && timer->kind == 2) break;
  }
  ASSERT_TRUE(timer) << "no router-side socket for client port " << client_port;
  EXPECT_EQ(timer->kind, 2) << "no keepalive timer on the router's end of the connection";
  // 7 s at USER_HZ 100 at most; the OS default would be 7200 s.
  EXPECT_GT(timer->ticks_left, 0);
  EXPECT_LE(timer->ticks_left, 700);
}

}  // namespace
}  // namespace domicile::testing
