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

}  // namespace domicile::pgwire
