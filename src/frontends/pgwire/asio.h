// The one place that includes Boost.Asio, with the aliases the pgwire front end uses.
#pragma once

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

}  // namespace domicile::pgwire
