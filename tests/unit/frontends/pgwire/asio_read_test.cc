// ReadSome, the data plane's socket read: it must never lose a wakeup. A read after a short
// one completes when bytes arrive later, a full read leaves the rest readable at once, end of
// file ends a waiting read, and end of file that arrived together with the last data ends the
// read after it (the case that sank a "skip the speculative recv after a short read" rule:
// asio.h). A lost wakeup shows here as a read that never completes.
#include "frontends/pgwire/asio.h"
#include "frontends/pgwire/server_read_buffer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

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
  // through a ServerReadBuffer (the server connection's read) when `as_server`.
  awaitable<void> ReadUntil(size_t want, bool as_server = false) {
    std::vector<char> buffer(kReadChunk);
    while (received_.size() < want) {
      ErrorCode ec;
      size_t n = 0;
      if (as_server) {
        co_await AwaitRead(
            reader_, ServerReadBuffer{asio::buffer(buffer.data(), buffer.size()), true}, n, ec);
      } else {
        co_await ReadSome(reader_, buffer.data(), n, ec);
      }
      if (ec) {
        error_ = ec;
        co_return;
      }
      received_.append(buffer.data(), n);
      ++reads_;
    }
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
  asio::write(writer_, asio::buffer(complete));
  WriteLater(50ms, complete);  // after the first read marked the socket idle
  asio::co_spawn(io_, ReadUntil(2 * complete.size(), /*as_server=*/true), asio::detached);
  io_.run_for(5s);
  EXPECT_EQ(received_, complete + complete) << "the read after a ReadyForQuery never woke";
  EXPECT_FALSE(error_) << error_.message();
}

TEST(ServerReadBufferTest, IdleOnlyWhenWholeMessagesEndWithReadyForQuery) {
  const std::string ready("Z\0\0\0\5I", 6);
  const std::string complete("C\0\0\0\x0dSELECT 1\0", 14);
  auto idle = [](const std::string& s) { return EndsWithReadyForQuery(s.data(), s.size()); };
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

}  // namespace
}  // namespace domicile::pgwire
