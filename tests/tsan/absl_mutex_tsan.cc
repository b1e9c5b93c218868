// ThreadSanitizer builds only (FP_TSAN=ON): tells TSan about absl::Mutex,
// CondVar and Notification.
//
// Debian's libabsl is not built with -fsanitize=thread, so its Mutex carries
// no TSan annotations: TSan sees neither the locks of our code nor those of
// gRPC (whose gpr_mu/gpr_cv are absl::Mutex/CondVar), and reports every
// access guarded by them as a data race. This file interposes the exported
// Mutex/CondVar entry points: each forwards to the library's own function
// (found with dlsym(RTLD_NEXT)) between the matching __tsan_mutex_*
// annotations, so TSan learns the happens-before edges the mutex provides.
// Waits (Await, CondVar::Wait) are a release before and an acquire after;
// TSan ignores memory accesses between a pre_ and post_ annotation, which
// covers the conditions absl evaluates (under the real lock) while waiting.
// It changes no behaviour, only what TSan can see.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

namespace {

template <typename Fn>
Fn Real(const char* symbol) {
  void* f = dlsym(RTLD_NEXT, symbol);
  if (f == nullptr) {
    std::fprintf(stderr, "absl_mutex_tsan: %s not found\n", symbol);
    std::abort();
  }
  return reinterpret_cast<Fn>(f);
}

#define FP_REAL(type, symbol)                  \
  static const auto real = Real<type>(symbol); \
  (void)0

// Some library entry points call others (CondVar::WaitWithTimeout calls
// WaitWithDeadline through the PLT, so into this file again); only the
// outermost call on a thread annotates.
thread_local int depth = 0;

class Outer {
 public:
  Outer() : outer_(depth++ == 0) {}
  ~Outer() { --depth; }
  explicit operator bool() const { return outer_; }

 private:
  const bool outer_;
};

void PreLock(const void* mu, unsigned flags) {
  __tsan_mutex_pre_lock(const_cast<void*>(mu), flags);
}
void PostLock(const void* mu, unsigned flags) {
  __tsan_mutex_post_lock(const_cast<void*>(mu), flags, 0);
}
void PreUnlock(const void* mu, unsigned flags) {
  __tsan_mutex_pre_unlock(const_cast<void*>(mu), flags);
}
void PostUnlock(const void* mu, unsigned flags) {
  __tsan_mutex_post_unlock(const_cast<void*>(mu), flags);
}

// The mangled names below are those of Debian's absl (inline namespace
// debian3, LTS 20220623).
using MutexFn = void (*)(absl::Mutex*);
using MutexBoolFn = bool (*)(absl::Mutex*);
using CondFn = void (*)(absl::Mutex*, const absl::Condition&);
using CondDeadlineFn = bool (*)(absl::Mutex*, const absl::Condition&, absl::Time);
using CondTimeoutFn = bool (*)(absl::Mutex*, const absl::Condition&, absl::Duration);

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

Mutex::~Mutex() {
  FP_REAL(MutexFn, "_ZN4absl7debian35MutexD2Ev");
  const Outer outer;
  if (outer) __tsan_mutex_destroy(this, __tsan_mutex_not_static);
  real(this);
}

void Mutex::Lock() {
  FP_REAL(MutexFn, "_ZN4absl7debian35Mutex4LockEv");
  const Outer outer;
  if (outer) PreLock(this, 0);
  real(this);
  if (outer) PostLock(this, 0);
}

void Mutex::Unlock() {
  FP_REAL(MutexFn, "_ZN4absl7debian35Mutex6UnlockEv");
  const Outer outer;
  if (outer) PreUnlock(this, 0);
  real(this);
  if (outer) PostUnlock(this, 0);
}

bool Mutex::TryLock() {
  FP_REAL(MutexBoolFn, "_ZN4absl7debian35Mutex7TryLockEv");
  const Outer outer;
  if (outer) PreLock(this, __tsan_mutex_try_lock);
  const bool locked = real(this);
  if (outer) PostLock(this, locked ? __tsan_mutex_try_lock : __tsan_mutex_try_lock_failed);
  return locked;
}

void Mutex::ReaderLock() {
  FP_REAL(MutexFn, "_ZN4absl7debian35Mutex10ReaderLockEv");
  const Outer outer;
  if (outer) PreLock(this, __tsan_mutex_read_lock);
  real(this);
  if (outer) PostLock(this, __tsan_mutex_read_lock);
}

void Mutex::ReaderUnlock() {
  FP_REAL(MutexFn, "_ZN4absl7debian35Mutex12ReaderUnlockEv");
  const Outer outer;
  if (outer) PreUnlock(this, __tsan_mutex_read_lock);
  real(this);
  if (outer) PostUnlock(this, __tsan_mutex_read_lock);
}

bool Mutex::ReaderTryLock() {
  FP_REAL(MutexBoolFn, "_ZN4absl7debian35Mutex13ReaderTryLockEv");
  const Outer outer;
  if (outer) PreLock(this, __tsan_mutex_try_read_lock);
  const bool locked = real(this);
  if (outer)
    PostLock(this, locked ? __tsan_mutex_try_read_lock : __tsan_mutex_try_read_lock_failed);
  return locked;
}

void Mutex::LockWhen(const Condition& cond) {
  FP_REAL(CondFn, "_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE");
  const Outer outer;
  if (outer) PreLock(this, 0);
  real(this, cond);
  if (outer) PostLock(this, 0);
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, absl::Time deadline) {
  FP_REAL(CondDeadlineFn,
          "_ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  const Outer outer;
  if (outer) PreLock(this, 0);
  const bool met = real(this, cond, deadline);
  if (outer) PostLock(this, 0);
  return met;
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, absl::Duration timeout) {
  FP_REAL(CondTimeoutFn,
          "_ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  const Outer outer;
  if (outer) PreLock(this, 0);
  const bool met = real(this, cond, timeout);
  if (outer) PostLock(this, 0);
  return met;
}

void Mutex::Await(const Condition& cond) {
  FP_REAL(CondFn, "_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE");
  const Outer outer;
  if (outer) PreUnlock(this, 0);
  real(this, cond);
  if (outer) PostUnlock(this, 0);
  if (outer) PreLock(this, 0);
  if (outer) PostLock(this, 0);
}

bool Mutex::AwaitWithDeadline(const Condition& cond, absl::Time deadline) {
  FP_REAL(CondDeadlineFn, "_ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  const Outer outer;
  if (outer) PreUnlock(this, 0);
  const bool met = real(this, cond, deadline);
  if (outer) PostUnlock(this, 0);
  if (outer) PreLock(this, 0);
  if (outer) PostLock(this, 0);
  return met;
}

bool Mutex::AwaitWithTimeout(const Condition& cond, absl::Duration timeout) {
  FP_REAL(CondTimeoutFn,
          "_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  const Outer outer;
  if (outer) PreUnlock(this, 0);
  const bool met = real(this, cond, timeout);
  if (outer) PostUnlock(this, 0);
  if (outer) PreLock(this, 0);
  if (outer) PostLock(this, 0);
  return met;
}

void CondVar::Wait(Mutex* mu) {
  using Fn = void (*)(CondVar*, Mutex*);
  FP_REAL(Fn, "_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE");
  const Outer outer;
  if (outer) PreUnlock(mu, 0);
  real(this, mu);
  if (outer) PostUnlock(mu, 0);
  if (outer) PreLock(mu, 0);
  if (outer) PostLock(mu, 0);
}

bool CondVar::WaitWithDeadline(Mutex* mu, absl::Time deadline) {
  using Fn = bool (*)(CondVar*, Mutex*, absl::Time);
  FP_REAL(Fn, "_ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  const Outer outer;
  if (outer) PreUnlock(mu, 0);
  const bool timed_out = real(this, mu, deadline);
  if (outer) PostUnlock(mu, 0);
  if (outer) PreLock(mu, 0);
  if (outer) PostLock(mu, 0);
  return timed_out;
}

bool CondVar::WaitWithTimeout(Mutex* mu, absl::Duration timeout) {
  using Fn = bool (*)(CondVar*, Mutex*, absl::Duration);
  FP_REAL(Fn, "_ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  const Outer outer;
  if (outer) PreUnlock(mu, 0);
  const bool timed_out = real(this, mu, timeout);
  if (outer) PostUnlock(mu, 0);
  if (outer) PreLock(mu, 0);
  if (outer) PostLock(mu, 0);
  return timed_out;
}

// Notification publishes through an atomic flag (no mutex on the fast
// path): a release on Notify, an acquire when a wait returns notified.
// HasBeenNotified() is inline (its atomic load is instrumented, but pairs
// with no release TSan saw), so code that polls it may still be reported.
void Notification::Notify() {
  using Fn = void (*)(Notification*);
  FP_REAL(Fn, "_ZN4absl7debian312Notification6NotifyEv");
  const Outer outer;
  if (outer) __tsan_release(&notified_yet_);
  real(this);
}

void Notification::WaitForNotification() const {
  using Fn = void (*)(const Notification*);
  FP_REAL(Fn, "_ZNK4absl7debian312Notification19WaitForNotificationEv");
  const Outer outer;
  real(this);
  if (outer) __tsan_acquire(const_cast<std::atomic<bool>*>(&notified_yet_));
}

bool Notification::WaitForNotificationWithTimeout(absl::Duration timeout) const {
  using Fn = bool (*)(const Notification*, absl::Duration);
  FP_REAL(Fn, "_ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE");
  const Outer outer;
  const bool notified = real(this, timeout);
  if (outer && notified) __tsan_acquire(const_cast<std::atomic<bool>*>(&notified_yet_));
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(absl::Time deadline) const {
  using Fn = bool (*)(const Notification*, absl::Time);
  FP_REAL(Fn, "_ZNK4absl7debian312Notification31WaitForNotificationWithDeadlineENS0_4TimeE");
  const Outer outer;
  const bool notified = real(this, deadline);
  if (outer && notified) __tsan_acquire(const_cast<std::atomic<bool>*>(&notified_yet_));
  return notified;
}

ABSL_NAMESPACE_END
}  // namespace absl
