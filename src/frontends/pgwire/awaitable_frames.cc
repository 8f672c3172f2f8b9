#include "frontends/pgwire/awaitable_frames.h"

#include <new>

namespace domicile::pgwire {
namespace {

struct FreeFrame {
  FreeFrame* next;
};

// One thread's freed frames. Frames are plain ::operator new memory, so a frame freed on
// another thread than the one that made it simply joins that thread's lists. Trivially
// destructible, so reaching it is a plain thread-pointer offset with no guard call; the lists
// are emptied at thread exit by a FramesCleanup, set up when the thread first keeps a frame.
struct ThreadFrames {
  FreeFrame* head[AwaitableFramePool::kClasses];
  size_t count[AwaitableFramePool::kClasses];
  size_t reused;
  bool cleanup_armed;
  bool gone;  // emptied at thread exit: frames freed later go straight back
};

constinit thread_local ThreadFrames tls_frames{};

struct FramesCleanup {
  ~FramesCleanup() {
    tls_frames.gone = true;
    for (FreeFrame*& frame : tls_frames.head) {
      while (frame != nullptr) {
        FreeFrame* next = frame->next;
        ::operator delete(frame);
        frame = next;
      }
    }
  }
};

void ArmCleanup() {
  thread_local FramesCleanup cleanup;
  (void)cleanup;
  tls_frames.cleanup_armed = true;
}

// The class of a frame of `size` bytes; kClasses when it is too big to pool.
size_t ClassOf(size_t size) {
  size_t c = (size + AwaitableFramePool::kGranule - 1) / AwaitableFramePool::kGranule;
  return c == 0 ? 0 : c - 1 < AwaitableFramePool::kClasses ? c - 1 : AwaitableFramePool::kClasses;
}

}  // namespace

void* AwaitableFramePool::Allocate(size_t size) {
  size_t c = ClassOf(size);
  if (c == kClasses) return ::operator new(size);
  ThreadFrames& frames = tls_frames;
  if (frames.gone) return ::operator new(size);
  if (FreeFrame* frame = frames.head[c]) {
    frames.head[c] = frame->next;
    --frames.count[c];
    ++frames.reused;
    return frame;
  }
  return ::operator new((c + 1) * kGranule);  // the class's full size, so any frame of it fits
}

void AwaitableFramePool::Deallocate(void* frame, size_t size) noexcept {
  size_t c = ClassOf(size);
  if (c == kClasses) {
    ::operator delete(frame);
    return;
  }
  ThreadFrames& frames = tls_frames;
  if (frames.gone || frames.count[c] == kFramesPerClass) {
    ::operator delete(frame);
    return;
  }
  if (!frames.cleanup_armed) ArmCleanup();
  auto* free_frame = static_cast<FreeFrame*>(frame);
  free_frame->next = frames.head[c];
  frames.head[c] = free_frame;
  ++frames.count[c];
}

size_t AwaitableFramePool::ReusedOnThisThread() { return tls_frames.reused; }

}  // namespace domicile::pgwire
