// Bytes no driver sends: the router answers 08P01 or closes that one client, and keeps
// serving everyone else.
#include <gtest/gtest.h>

#include "integration/pgwire/pgwire_cluster.h"
#include "integration/pgwire/raw_wire.h"

namespace domicile::testing {
namespace {

class PgwireProtocolTest : public PgwireTest {
 protected:
  static void SetUpTestSuite() { StartRouter("[server]\nmax_message_bytes = 65536\n"); }
  static void TearDownTestSuite() { StopRouter(); }

  // The router either sends a 08P01 ErrorResponse or just closes, and does so promptly.
  static void ExpectRefused(RawWire& wire) {
    auto m = wire.Read();
    if (m) {
      EXPECT_EQ(m->type, 'E');
      EXPECT_EQ(m->Field('C'), "08P01") << m->Field('M');
      m = wire.Read();
      EXPECT_FALSE(m.has_value()) << "the router went on after a protocol violation";
    }
    EXPECT_FALSE(wire.timed_out()) << "the router neither answered nor closed";
  }

  void ExpectStillServing() {
    auto r = Psql({"-c", "/* domicile.tenant=e1 */ SELECT current_database()"});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    EXPECT_EQ(r.out, "eu1\n");
  }

  // A logged-in raw connection.
  static std::unique_ptr<RawWire> LoggedIn() {
    auto wire = std::make_unique<RawWire>(router().port());
    wire->Send(RawWire::Startup("app", "app"));
    while (auto m = wire->Read()) {
      if (m->type == 'Z') return wire;
      if (m->type == 'E') break;
    }
    ADD_FAILURE() << "startup through the router failed";
    return wire;
  }
};

TEST_F(PgwireProtocolTest, HttpRequestInsteadOfStartup) {
  RawWire wire(router().port());
  ASSERT_TRUE(wire.connected());
  wire.Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  ExpectRefused(wire);
  ExpectStillServing();
}

TEST_F(PgwireProtocolTest, OversizedStartupLength) {
  RawWire wire(router().port());
  wire.Send(std::string("\x7f\xff\xff\xff\x00\x03\x00\x00", 8));
  ExpectRefused(wire);
  ExpectStillServing();
}

TEST_F(PgwireProtocolTest, StartupLengthBelowMinimum) {
  RawWire wire(router().port());
  wire.Send(std::string("\x00\x00\x00\x02", 4));
  ExpectRefused(wire);
  ExpectStillServing();
}

TEST_F(PgwireProtocolTest, TruncatedStartupThenHangUp) {
  RawWire wire(router().port());
  std::string startup = RawWire::Startup("app", "app");
  wire.Send(startup.substr(0, startup.size() / 2));
  wire.ShutdownWrite();
  ExpectRefused(wire);
  ExpectStillServing();
}

TEST_F(PgwireProtocolTest, OversizedMessageAfterStartup) {
  auto wire = LoggedIn();
  wire->Send(std::string("Q\x7f\xff\xff\xf0", 5) + "SELECT 1");
  ExpectRefused(*wire);
  // Just past max_message_bytes is refused the same way.
  wire = LoggedIn();
  wire->Send(RawWire::Message('Q', std::string(70000, ' ') + "SELECT 1" + '\0'));
  ExpectRefused(*wire);
  ExpectStillServing();
}

TEST_F(PgwireProtocolTest, MalformedMessagesAfterStartup) {
  auto wire = LoggedIn();
  wire->Send(std::string("Q\x00\x00\x00\x02", 5));  // length below 4
  ExpectRefused(*wire);
  wire = LoggedIn();
  wire->Send(RawWire::Message('?', "x"));  // no such message type
  ExpectRefused(*wire);
  wire = LoggedIn();
  wire->Send(RawWire::Message('Q', "SELECT 1"));  // no terminating NUL
  ExpectRefused(*wire);
  wire = LoggedIn();
  wire->Send(RawWire::Message('B', std::string("\0\0\xff\xff", 4)));  // Bind cut short
  wire->Send(RawWire::Message('S', ""));
  ExpectRefused(*wire);
  ExpectStillServing();
}

// Extended-protocol messages are decoded when their batch runs: a malformed one ends the
// session then, before any message of the batch (or the Query that made it run) reaches a
// shard.
TEST_F(PgwireProtocolTest, MalformedBatchMessageEndsTheSessionBeforeAnyOfItRuns) {
  auto wire = LoggedIn();
  using namespace std::string_literals;
  wire->Send(RawWire::Message(
      'P', "\0/* domicile.tenant=e1 */ CREATE TABLE abuse_batch (a int)\0\0\0"s));
  wire->Send(RawWire::Message('D', "X\0"s));  // no such Describe target
  wire->Send(RawWire::Message('Q', "/* domicile.tenant=e1 */ CREATE TABLE abuse_query (a int)\0"s));
  ExpectRefused(*wire);
  auto r = Psql({"-c",
                 "/* domicile.tenant=e1 */ SELECT to_regclass('abuse_batch') IS NULL AND "
                 "to_regclass('abuse_query') IS NULL"});
  EXPECT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_EQ(r.out, "t\n") << "part of a refused batch ran";
}

TEST_F(PgwireProtocolTest, ManyBadClientsAtOnce) {
  std::vector<std::unique_ptr<RawWire>> wires;
  for (int i = 0; i < 50; ++i) {
    wires.push_back(std::make_unique<RawWire>(router().port()));
    wires.back()->Send(i % 2 == 0 ? std::string("\xde\xad\xbe\xef\xde\xad\xbe\xef", 8)
                                  : std::string(64, '\xff'));
  }
  for (auto& w : wires) ExpectRefused(*w);
  ExpectStillServing();
}

}  // namespace
}  // namespace domicile::testing
