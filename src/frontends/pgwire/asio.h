// The one place that includes Boost.Asio, with the aliases the pgwire front end uses.
#pragma once

#include <string_view>
#include <utility>  // before Asio: Boost 1.74 needs std::exchange declared (DEPENDENCIES.md)

#include <boost/asio.hpp>

namespace domicile::pgwire {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using ErrorCode = boost::system::error_code;

// Completion token for co_await that reports errors in `ec` instead of throwing: the data
// plane never throws.
inline auto Await(ErrorCode& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

// How much one socket read asks for.
inline constexpr size_t kReadChunk = 16 * 1024;

// One socket read straight into a decoder's buffer (its Prepare/Commit), so received bytes
// are never copied. Returns the read's error, if any.
template <typename Decoder>
awaitable<ErrorCode> ReceiveInto(tcp::socket& socket, Decoder& decoder) {
  char* at = decoder.Prepare(kReadChunk);
  ErrorCode ec;
  size_t n = co_await socket.async_read_some(asio::buffer(at, kReadChunk), Await(ec));
  decoder.Commit(n);
  co_return ec;
}

// Writes all of `bytes`: straight away when the socket's send buffer takes them (nearly
// always), which posts no completion, so the thread does not go round the scheduler and
// epoll again before it carries on; whatever the buffer did not take is sent asynchronously.
// Puts the socket in non-blocking mode. Returns the write's error, if any.
inline awaitable<ErrorCode> SendAll(tcp::socket& socket, std::string_view bytes) {
  ErrorCode ec;
  if (!socket.non_blocking()) socket.non_blocking(true, ec);
  size_t n = ec ? 0 : socket.write_some(asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) ec = {};
  if (ec || n == bytes.size()) co_return ec;
  bytes.remove_prefix(n);
  co_await asio::async_write(socket, asio::buffer(bytes.data(), bytes.size()), Await(ec));
  co_return ec;
}

}  // namespace domicile::pgwire
