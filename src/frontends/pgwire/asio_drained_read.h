// DrainedReadBuffer: a read buffer whose short read tells Asio's reactor that the socket is
// drained, so the next read waits for epoll instead of first trying recv() for nothing.
//
// Boost 1.74's epoll reactor reads speculatively before it queues every read and stops only
// at end of file. With the request/response traffic of a proxy the socket is nearly always
// empty when the next read starts, so each wait cost one recv() that failed with EAGAIN:
// 3.4 recvfrom per select-only transaction against PgBouncer's 2. A stream read that returns
// less than it asked for has emptied the receive queue (more data raises a new edge-triggered
// event, which re-enables speculation), the rule Tokio applies to its readiness for the same
// reason. The rule is applied inside the operation (under the reactor's descriptor lock, as
// Asio applies its own end-of-file rule), never from the completion handler, which could run
// after a newer event and swallow it.
//
// Specializing the recv operation for our own buffer type is a customization of an Asio
// internal, so it is only compiled for the Boost version it was checked against; any other
// version reads exactly as Asio does by default.
#pragma once

#include <utility>  // before Asio: Boost 1.74 needs std::exchange declared (DEPENDENCIES.md)

#include <boost/asio.hpp>
#include <boost/version.hpp>

namespace domicile::pgwire {

struct DrainedReadBuffer {
  boost::asio::mutable_buffer buffer;
  const boost::asio::mutable_buffer* begin() const { return &buffer; }
  const boost::asio::mutable_buffer* end() const { return &buffer + 1; }
};

}  // namespace domicile::pgwire

#if BOOST_VERSION == 107400 && defined(BOOST_ASIO_HAS_EPOLL)
#define DOMICILE_DRAINED_READ 1
namespace boost::asio::detail {

template <>
class reactive_socket_recv_op_base<domicile::pgwire::DrainedReadBuffer> : public reactor_op {
 public:
  reactive_socket_recv_op_base(const boost::system::error_code& success_ec, socket_type socket,
                               socket_ops::state_type state,
                               const domicile::pgwire::DrainedReadBuffer& buffers,
                               socket_base::message_flags flags, func_type complete_func)
      : reactor_op(success_ec, &reactive_socket_recv_op_base::do_perform, complete_func),
        socket_(socket),
        state_(state),
        buffer_(buffers.buffer),
        flags_(flags) {}

  static status do_perform(reactor_op* base) {
    auto* o = static_cast<reactive_socket_recv_op_base*>(base);
    bool stream = (o->state_ & socket_ops::stream_oriented) != 0;
    if (!socket_ops::non_blocking_recv1(o->socket_, o->buffer_.data(), o->buffer_.size(),
                                        o->flags_, stream, o->ec_, o->bytes_transferred_)) {
      return not_done;  // EAGAIN: queued until epoll reports the socket readable
    }
    // Asio's own rule exhausts the socket at end of file (0 bytes); a short read does too.
    bool drained = stream && o->bytes_transferred_ < o->buffer_.size();
    return drained ? done_and_exhausted : done;
  }

 private:
  socket_type socket_;
  socket_ops::state_type state_;
  boost::asio::mutable_buffer buffer_;
  socket_base::message_flags flags_;
};

}  // namespace boost::asio::detail
#else
#define DOMICILE_DRAINED_READ 0
#endif
