// ReadSome, the data plane's socket read: it must never lose a wakeup. A read after a short
// one completes when bytes arrive later, a full read leaves the rest readable at once, end of
// file ends a waiting read, and end of file that arrived together with the last data ends the
// read after it (the case that sank a "skip the speculative recv after a short read" rule:
// asio.h). A lost wakeup shows here as a read that never completes.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "frontends/pgwire/asio.h"
#include "frontends/pgwire/quiet_read_buffer.h"

namespace domicile::pgwire {
namespace {

using namespace std::chrono_literals;

class ReadSomeTest : public ::testing::Test {
 protected:
  ReadSomeTest() {
    Acceptor acceptor(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    writer_.connect(acceptor.local_endpoint());
    acceptor.accept(reader_);
  }

  // Reads until `want` bytes came (or a read fails), one ReadSome at a time, or one read
  // through a QuietReadBuffer (a server connection's or a client session's read) when
  // `quiet_after` is set. `reply`, when set, is written back after each read, as the router
  // answers a request.
  awaitable<void> ReadUntil(size_t want, const char* quiet_after = nullptr,
                            const std::string& reply = "") {
    std::vector<char> buffer(kReadChunk);
    while (received_.size() < want) {
      ErrorCode ec;
      size_t n = 0;
      if (quiet_after != nullptr) {
        co_await AwaitRead(
            reader_, QuietReadBuffer{asio::buffer(buffer.data(), buffer.size()), true, quiet_after},
            n, ec);
      } else {
        co_await ReadSome(reader_, buffer.data(), n, ec);
      }
      if (ec) {
        error_ = ec;
        co_return;
      }
      received_.append(buffer.data(), n);
      ++reads_;
      if (!reply.empty()) {
        ErrorCode write_error;
        asio::write(reader_, asio::buffer(reply), write_error);
      }
    }
  }

  // Sends `message`, which marks the socket quiet, and the same again once the reader waits;
  // both must be read through a QuietReadBuffer: the second wakes the quiet read.
  void ExpectTheNextOneWakesAQuietRead(const std::string& message, const char* quiet_after,
                                       const char* what) {
    asio::write(writer_, asio::buffer(message));
    WriteLater(50ms, message);  // after the first read marked the socket quiet
    asio::co_spawn(io_, ReadUntil(2 * message.size(), quiet_after), asio::detached);
    io_.run_for(5s);
    EXPECT_EQ(received_, message + message) << "the read after " << what << " never woke";
    EXPECT_FALSE(error_) << error_.message();
  }

  // Writes `bytes` to the reader's peer after `delay`, from the io_context's own thread.
  void WriteLater(std::chrono::milliseconds delay, std::string bytes) {
    auto timer = std::make_shared<SteadyTimer>(io_, delay);
    timer->async_wait([this, timer, bytes = std::move(bytes)](const ErrorCode&) {
      asio::write(writer_, asio::buffer(bytes));
    });
  }

  asio::io_context io_{1};
  Socket reader_{io_};
  tcp::socket writer_{io_};
  std::string received_;
  int reads_ = 0;
  ErrorCode error_;
};

TEST_F(ReadSomeTest, ReadsAfterAShortReadWakeWhenBytesArriveLater) {
  asio::write(writer_, asio::buffer(std::string("hello")));
  WriteLater(50ms, "world");  // each after the reader has drained the socket and waits
  WriteLater(100ms, "again");
  asio::co_spawn(io_, ReadUntil(15), asio::detached);
  io_.run_for(5s);
  EXPECT_EQ(received_, "helloworldagain") << "a read after a short read never woke";
  EXPECT_EQ(reads_, 3);
  EXPECT_FALSE(error_) << error_.message();
}

TEST_F(ReadSomeTest, AFullReadLeavesTheRestReadableAtOnce) {
  const std::string bytes(kReadChunk * 3 + 100, 'x');
  asio::write(writer_, asio::buffer(bytes));  // fits the loopback socket buffers
  asio::co_spawn(io_, ReadUntil(bytes.size()), asio::detached);
  io_.run_for(5s);
  EXPECT_EQ(received_.size(), bytes.size()) << "bytes left behind a full read were never read";
  EXPECT_FALSE(error_) << error_.message();
}

TEST_F(ReadSomeTest, EndOfFileEndsAReadThatWaits) {
  asio::write(writer_, asio::buffer(std::string("last words")));
  auto timer = std::make_shared<SteadyTimer>(io_, 50ms);
  timer->async_wait([this, timer](const ErrorCode&) { writer_.shutdown(tcp::socket::shutdown_send); });
  asio::co_spawn(io_, ReadUntil(1000), asio::detached);
  io_.run_for(5s);
  EXPECT_EQ(received_, "last words");
  EXPECT_EQ(error_, asio::error::eof) << error_.message();
}

TEST_F(ReadSomeTest, EndOfFileThatCameWithTheDataEndsTheNextRead) {
  // The reader already waits when data and FIN arrive together: epoll reports the socket
  // readable once, the read takes the data (less than it asked for), and the FIN must still
  // end the next read, though no new readiness edge will ever come for it.
  auto timer = std::make_shared<SteadyTimer>(io_, 50ms);
  timer->async_wait([this, timer](const ErrorCode&) {
    asio::write(writer_, asio::buffer(std::string("goodbye")));
    writer_.shutdown(tcp::socket::shutdown_send);
  });
  asio::co_spawn(io_, ReadUntil(1000), asio::detached);
  io_.run_for(5s);
  EXPECT_EQ(received_, "goodbye");
  EXPECT_EQ(error_, asio::error::eof) << "a read after the last data never saw the end of file";
}

// A server read that ends after a ReadyForQuery marks the socket idle (no speculative recv
// before the next read): the server's next answer must still wake that read.
TEST_F(ReadSomeTest, ServerReadAfterReadyForQueryWakesOnTheNextAnswer) {
  const std::string ready("Z\0\0\0\5I", 6);
  const std::string complete = std::string("C\0\0\0\x0dSELECT 1\0", 14) + ready;
  ExpectTheNextOneWakesAQuietRead(complete, kServerQuietAfter, "a ReadyForQuery");
}

const std::string kQuery = std::string("Q\0\0\0\x0dSELECT 1", 13) + '\0';

// The same for a client's read that ends after its Query: its next request wakes the read.
TEST_F(ReadSomeTest, ClientReadAfterAQueryWakesOnTheNextRequest) {
  ExpectTheNextOneWakesAQuietRead(kQuery, kClientQuietAfter, "a Query");
}

// A client that sends its Query and closes at once: the Query and the FIN arrive together,
// and the read that takes the Query marks the socket quiet, so no edge is left for the FIN.
// The router's answer draws a reset from the closed socket, and that must end the next read.
TEST_F(ReadSomeTest, AClientThatClosedRightAfterItsQueryEndsTheReadAfterTheAnswer) {
  auto timer = std::make_shared<SteadyTimer>(io_, 50ms);
  timer->async_wait([this, timer](const ErrorCode&) {
    asio::write(writer_, asio::buffer(kQuery));
    writer_.close();
  });
  const std::string ready("Z\0\0\0\5I", 6);
  asio::co_spawn(io_, ReadUntil(1000, kClientQuietAfter, ready), asio::detached);
  io_.run_for(5s);
  EXPECT_EQ(received_, kQuery);
  EXPECT_TRUE(error_) << "the read after the answer to a closed client never ended";
}

TEST(QuietReadBufferTest, ServerQuietOnlyWhenWholeMessagesEndWithReadyForQuery) {
  const std::string ready("Z\0\0\0\5I", 6);
  const std::string complete("C\0\0\0\x0dSELECT 1\0", 14);
  auto idle = [](const std::string& s) { return EndsQuiet(s.data(), s.size(), kServerQuietAfter); };
  EXPECT_TRUE(idle(ready));
  EXPECT_TRUE(idle(complete + ready));
  EXPECT_FALSE(idle(complete));                    // no ReadyForQuery yet
  EXPECT_FALSE(idle(ready + complete));            // something came after it
  EXPECT_FALSE(idle(complete + ready.substr(0, 5)));  // ReadyForQuery cut short
  EXPECT_FALSE(idle(""));
  EXPECT_FALSE(idle(std::string("D\0\0\0\x02", 5) + ready));  // a length below 4: not framed
  // Bytes that look like a ReadyForQuery at the end of a longer message are not one.
  EXPECT_FALSE(idle(std::string("D\0\0\0\x0c", 5) + "abc" + ready.substr(0, 5)));
}

TEST(QuietReadBufferTest, ClientQuietOnlyWhenWholeMessagesEndWithQueryOrSync) {
  const std::string sync("S\0\0\0\4", 5);
  const std::string flush("H\0\0\0\4", 5);
  const std::string execute("E\0\0\0\x09\0\0\0\0\0", 10);
  const std::string terminate("X\0\0\0\4", 5);
  auto quiet = [](const std::string& s) {
    return EndsQuiet(s.data(), s.size(), kClientQuietAfter);
  };
  EXPECT_TRUE(quiet(kQuery));
  EXPECT_TRUE(quiet(execute + sync));
  EXPECT_TRUE(quiet(kQuery + kQuery));   // pipelined: the answer to the last one is awaited
  EXPECT_FALSE(quiet(execute));          // the batch goes on: no answer is due
  EXPECT_FALSE(quiet(execute + flush));  // a Flush may get no answer at all
  EXPECT_FALSE(quiet(kQuery + terminate));
  EXPECT_FALSE(quiet(kQuery.substr(0, kQuery.size() - 1)));  // cut short
  EXPECT_FALSE(quiet(""));
  // A ReadyForQuery quiets a server read, not a client's.
  EXPECT_FALSE(quiet(std::string("Z\0\0\0\5I", 6)));
}

}  // namespace
}  // namespace domicile::pgwire
