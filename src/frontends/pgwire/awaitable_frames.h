// Coroutine frames of Asio's awaitables come from per-thread free lists by size.
//
// Boost 1.74 keeps one freed frame per thread for reuse (any size up to 1 KiB); everything else
// is a malloc and a free. A statement of the router's data plane runs several frames at once
// (Run, HandleQuery, Relay, the initiation of each read), so all but one went to malloc, three
// times per statement. Here each size class keeps up to kFramesPerClass freed frames.
//
// This replaces Asio's allocation for awaitable frames by specializing its internal
// thread_info_base::allocate/deallocate for that purpose. The specialization must be seen
// before Asio's awaitable.hpp is instantiated anywhere, so this header is included before
// <boost/asio.hpp> (asio.h, quiet_read_buffer.h), and it is compiled only for the Boost
// version it was checked against; with another one Asio's own recycling stays.
#pragma once

#include <boost/asio/detail/thread_info_base.hpp>
#include <boost/version.hpp>
#include <cstddef>
#include <utility>  // before Asio: Boost 1.74 needs std::exchange declared (DEPENDENCIES.md)

namespace domicile::pgwire {

class AwaitableFramePool {
 public:
  static constexpr size_t kGranule = 64;         // size classes: 64, 128, ... bytes
  static constexpr size_t kClasses = 32;         // frames up to 2 KiB are pooled
  static constexpr size_t kFramesPerClass = 16;  // per thread

  static void* Allocate(size_t size);
  static void Deallocate(void* frame, size_t size) noexcept;
  // How many allocations on this thread a freed frame has served (for tests).
  static size_t ReusedOnThisThread();
};

}  // namespace domicile::pgwire

#if BOOST_VERSION == 107400
namespace boost::asio::detail {

template <>
inline void* thread_info_base::allocate(thread_info_base::awaitable_frame_tag, thread_info_base*,
                                        std::size_t size) {
  return domicile::pgwire::AwaitableFramePool::Allocate(size);
}

template <>
inline void thread_info_base::deallocate(thread_info_base::awaitable_frame_tag, thread_info_base*,
                                         void* pointer, std::size_t size) {
  domicile::pgwire::AwaitableFramePool::Deallocate(pointer, size);
}

}  // namespace boost::asio::detail
#endif
