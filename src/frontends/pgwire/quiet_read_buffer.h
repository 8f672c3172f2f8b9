// QuietReadBuffer: the buffer of a read from a peer (a PostgreSQL server or a client), whose
// bytes tell Asio's reactor when the peer has gone quiet, so the next read waits for epoll
// without first trying a recv() that fails with EAGAIN.
//
// Boost 1.74's epoll reactor tries a recv() before it queues every read and stops only at end
// of file. The router reads right after it writes, so nearly every read paid one EAGAIN
// recv(): a server read right after the request, before PostgreSQL can have answered, and a
// client read right after the answer, before the client can have sent its next request.
// "A short read means drained" is not safe on its own: when a peer's last bytes and its FIN
// arrive together, a short read leaves the FIN pending and no new edge comes for it (Asio
// registers no EPOLLRDHUP), so the next read would wait forever. Here the read must also end
// exactly after a message the router always answers, framed from a message boundary:
//   - from a server, a ReadyForQuery: the backend is idle and sends nothing until the router
//     writes again;
//   - from a client, a Query or a Sync: the client waits for the router's answer.
// Either way the router writes to that peer next. A peer that closed meanwhile answers that
// write with a reset, and the reset wakes the read with an error. The one case left is a
// client that half-closes (shutdown(SHUT_WR)) right after a Query or Sync and sends no
// Terminate; TCP keepalive (on for client sockets, as in PostgreSQL and PgBouncer) ends its
// session once the peer is gone. The rule is applied inside the operation, under the
// reactor's descriptor lock, as Asio applies its own end-of-file rule.
//
// Specializing Asio's recv operation for our own buffer type customizes an Asio internal, so
// it is compiled only for the Boost version it was checked against; with any other version
// the buffer reads exactly as Asio does by default.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>  // before Asio: Boost 1.74 needs std::exchange declared (DEPENDENCIES.md)

#include "frontends/pgwire/asio.h"

namespace domicile::pgwire {

// The message types after which each kind of peer waits for the router.
inline constexpr const char* kServerQuietAfter = "Z";   // ReadyForQuery
inline constexpr const char* kClientQuietAfter = "QS";  // Query, Sync

struct QuietReadBuffer {
  boost::asio::mutable_buffer buffer;
  bool at_message_start = false;  // nothing of a partial message was buffered before it
  const char* quiet_after = "";   // kServerQuietAfter or kClientQuietAfter
  const boost::asio::mutable_buffer* begin() const { return &buffer; }
  const boost::asio::mutable_buffer* end() const { return &buffer + 1; }
};

// Whether `bytes` (starting at a message boundary) are whole messages (type byte, then a
// length that counts itself), the last of one of the types in `quiet_after`.
inline bool EndsQuiet(const char* bytes, size_t n, const char* quiet_after) {
  size_t at = 0;
  char last = 0;
  while (n - at >= 5) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes + at + 1);
    uint32_t len = uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
    if (len < 4 || len > n - at - 1) return false;
    last = bytes[at];
    at += 1 + len;
  }
  if (at != n) return false;
  for (const char* t = quiet_after; *t != 0; ++t) {
    if (*t == last) return true;
  }
  return false;
}

}  // namespace domicile::pgwire

#if BOOST_VERSION == 107400 && defined(BOOST_ASIO_HAS_EPOLL)
namespace boost::asio::detail {

template <>
class reactive_socket_recv_op_base<domicile::pgwire::QuietReadBuffer> : public reactor_op {
 public:
  reactive_socket_recv_op_base(const boost::system::error_code& success_ec, socket_type socket,
                               socket_ops::state_type state,
                               const domicile::pgwire::QuietReadBuffer& buffers,
                               socket_base::message_flags flags, func_type complete_func)
      : reactor_op(success_ec, &reactive_socket_recv_op_base::do_perform, complete_func),
        socket_(socket),
        state_(state),
        buffer_(buffers),
        flags_(flags) {}

  static status do_perform(reactor_op* base) {
    auto* o = static_cast<reactive_socket_recv_op_base*>(base);
    bool stream = (o->state_ & socket_ops::stream_oriented) != 0;
    char* data = static_cast<char*>(o->buffer_.buffer.data());
    const size_t size = o->buffer_.buffer.size();
    if (!socket_ops::non_blocking_recv1(o->socket_, data, size, o->flags_, stream, o->ec_,
                                        o->bytes_transferred_)) {
      return not_done;  // EAGAIN: queued until epoll reports the socket readable
    }
    const size_t n = o->bytes_transferred_;
    if (stream && n == 0) return done_and_exhausted;  // Asio's own rule: end of file
    bool quiet = stream && !o->ec_ && n < size && o->buffer_.at_message_start &&
                 domicile::pgwire::EndsQuiet(data, n, o->buffer_.quiet_after);
    return quiet ? done_and_exhausted : done;
  }

 private:
  socket_type socket_;
  socket_ops::state_type state_;
  domicile::pgwire::QuietReadBuffer buffer_;
  socket_base::message_flags flags_;
};

}  // namespace boost::asio::detail
#endif

namespace domicile::pgwire {

// co_await ReadQuiet(socket, at, at_message_start, quiet_after, n, ec): ReadSome (asio.h)
// through a QuietReadBuffer; `at_message_start` when nothing of a partial message is buffered
// before `at`.
inline auto ReadQuiet(Socket& socket, char* at, bool at_message_start, const char* quiet_after,
                      size_t& n, ErrorCode& ec) {
  return AwaitRead(
      socket, QuietReadBuffer{asio::buffer(at, kReadChunk), at_message_start, quiet_after}, n, ec);
}

}  // namespace domicile::pgwire
