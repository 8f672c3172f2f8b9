#include "frontends/pgwire/awaitable_frames.h"

#include <new>

namespace domicile::pgwire {
namespace {

struct FreeFrame {
  FreeFrame* next;
};

// One thread's freed frames. Frames are plain ::operator new memory, so a frame freed on
// another thread than the one that made it simply joins that thread's lists.
struct ThreadFrames {
  FreeFrame* head[AwaitableFramePool::kClasses] = {};
  size_t count[AwaitableFramePool::kClasses] = {};
  size_t reused = 0;
  bool gone = false;  // destroyed at thread exit: frames freed later go straight back

  ~ThreadFrames() {
    gone = true;
    for (FreeFrame*& frame : head) {
      while (frame != nullptr) {
        FreeFrame* next = frame->next;
        ::operator delete(frame);
        frame = next;
      }
    }
  }
};

thread_local ThreadFrames tls_frames;

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
  auto* free_frame = static_cast<FreeFrame*>(frame);
  free_frame->next = frames.head[c];
  frames.head[c] = free_frame;
  ++frames.count[c];
}

size_t AwaitableFramePool::ReusedOnThisThread() { return tls_frames.reused; }

}  // namespace domicile::pgwire
