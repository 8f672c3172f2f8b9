// The one place that includes Boost.Asio, with the aliases the pgwire front end uses.
#pragma once

// The order matters, so the formatter may not sort these.
// clang-format off
#include <chrono>
#include <string>
#include <string_view>
#include <utility>  // before Asio: Boost 1.74 needs std::exchange declared (DEPENDENCIES.md)

#include "frontends/pgwire/awaitable_frames.h"  // before Asio: it specializes Asio
#include <boost/asio.hpp>
#include <boost/version.hpp>
// clang-format on

namespace domicile::pgwire {

namespace asio = boost::asio;
using asio::ip::tcp;
using ErrorCode = boost::system::error_code;

// The executor of every pgwire coroutine, socket and timer: an io_context's own, not Asio's
// type-erased any_io_executor (the default). With one concrete executor a completed read
// resumes its coroutine by a direct call; with any_io_executor each completion went through
// type-erased work tracking, a type-erased execute and a wrapped function object, about a
// third of Asio's cost per wait.
using Executor = asio::io_context::executor_type;
template <typename T = void>
using awaitable = asio::awaitable<T, Executor>;
using Socket = asio::basic_stream_socket<tcp, Executor>;
using Acceptor = asio::basic_socket_acceptor<tcp, Executor>;
using DnsResolver = asio::ip::basic_resolver<tcp, Executor>;
using SteadyTimer = asio::basic_waitable_timer<std::chrono::steady_clock,
                                               asio::wait_traits<std::chrono::steady_clock>,
                                               Executor>;
// Completion token for co_await in these coroutines (plain: failures throw).
inline constexpr asio::use_awaitable_t<Executor> kUseAwaitable{};

// Completion token for co_await that reports errors in `ec` instead of throwing: the data
// plane never throws.
inline auto Await(ErrorCode& ec) { return asio::redirect_error(kUseAwaitable, ec); }

// How much one socket read asks for.
inline constexpr size_t kReadChunk = 16 * 1024;

#if BOOST_VERSION == 107400
// The completion handler of a read awaited with AwaitRead. While the read is pending it owns
// the coroutine stack, as Asio's own awaitable_handler does; on completion it stores the
// outcome in the waiting coroutine's variables and resumes that coroutine. Asio's
// use_awaitable runs every operation's initiation as a coroutine of its own (a frame to
// allocate, start, return a value from and pop, per wait); this skips that frame.
class ResumeAfterRead : public asio::detail::awaitable_thread<Executor> {
 public:
  ResumeAfterRead(asio::detail::awaitable_thread<Executor>* waiting, size_t& n, ErrorCode& ec)
      : asio::detail::awaitable_thread<Executor>(std::move(*waiting)), n_(&n), ec_(&ec) {}

  void operator()(const ErrorCode& ec, size_t n) {
    *ec_ = ec;
    *n_ = n;
    this->top_of_stack_->attach_thread(this);
    this->pump();
  }

 private:
  size_t* n_;
  ErrorCode* ec_;
};
#endif

// `co_await AwaitRead(socket, buffers, n, ec);` in a pgwire coroutine: reads what `buffers`
// take, waiting for at least a byte; then `n` holds the count and `ec` the error. `n` and
// `ec` are the coroutine's own variables.
template <typename Buffers>
auto AwaitRead(Socket& socket, const Buffers& buffers, size_t& n, ErrorCode& ec) {
#if BOOST_VERSION == 107400
  // Asio's awaitable frames run a function of this form once the coroutine has suspended
  // (awaitable_frame_base::await_transform), the hook its own operations start from.
  return [&socket, buffers, &n, &ec](asio::detail::awaitable_frame_base<Executor>* frame)
             -> asio::detail::awaitable_thread<Executor>* {
    socket.async_read_some(buffers, ResumeAfterRead(frame->detach_thread(), n, ec));
    return nullptr;
  };
#else
  return [](Socket& s, Buffers b, size_t& count, ErrorCode& error) -> awaitable<void> {
    count = co_await s.async_read_some(b, Await(error));
  }(socket, buffers, n, ec);
#endif
}

// co_await ReadSome(socket, at, n, ec): reads up to kReadChunk bytes into `at`, waiting for
// them. Asio 1.74 tries a recv() before it waits (and stops only at end of file), so a read
// that has to wait costs one recv() that fails with EAGAIN. Skipping it after any short read
// (the socket looked drained) was tried and reverted: when the peer's data and its FIN arrive
// before the read, the short read leaves the FIN pending with no edge left for epoll to report
// (Asio registers no EPOLLRDHUP), and the next read waits forever (asio_read_test.cc). The
// reads between requests skip it only when it is safe (quiet_read_buffer.h).
inline auto ReadSome(Socket& socket, char* at, size_t& n, ErrorCode& ec) {
  return AwaitRead(socket, asio::buffer(at, kReadChunk), n, ec);
}

// Writes what the socket's send buffer takes now (nearly always all of it) and drops that
// from the front of `bytes`, without waiting and without posting a completion, so the
// thread does not go round the scheduler and epoll again before it carries on. Puts the
// socket in non-blocking mode. Returns the write's error, if any (a full buffer is none).
inline ErrorCode SendNow(Socket& socket, std::string_view& bytes) {
  ErrorCode ec;
  if (bytes.empty()) return ec;
  if (!socket.non_blocking()) socket.non_blocking(true, ec);
  size_t n = ec ? 0 : socket.write_some(asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) ec = {};
  if (!ec) bytes.remove_prefix(n);
  return ec;
}

// SendNow for an output buffer the caller keeps: what went is erased from its front, so the
// buffer holds exactly what is still to send.
inline ErrorCode SendFrontNow(Socket& socket, std::string& buffer) {
  std::string_view rest = buffer;
  ErrorCode ec = SendNow(socket, rest);
  if (!ec) buffer.erase(0, buffer.size() - rest.size());
  return ec;
}

// Writes all of `bytes`: SendNow, then whatever the buffer did not take asynchronously.
// Returns the write's error, if any.
inline awaitable<ErrorCode> SendAll(Socket& socket, std::string_view bytes) {
  ErrorCode ec = SendNow(socket, bytes);
  if (ec || bytes.empty()) co_return ec;
  co_await asio::async_write(socket, asio::buffer(bytes.data(), bytes.size()), Await(ec));
  co_return ec;
}

}  // namespace domicile::pgwire
