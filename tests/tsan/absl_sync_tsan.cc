// ThreadSanitizer builds only (FP_TSAN). Debian's libabsl is not compiled
// with -fsanitize=thread, so TSan cannot see absl::Mutex, CondVar and
// Notification synchronise: every access they guard looks like a race. The
// test executables are linked with -Wl,--wrap=<symbol> for the functions
// below (list in tests/CMakeLists.txt), so our calls into libabsl pass
// through these wrappers, which report the lock / unlock / release /
// acquire edges with TSan's annotation interface. Accesses made inside
// libabsl while it evaluates a Condition are not checked (clang's
// -Wthread-safety covers those functions instead).
#include <sanitizer/tsan_interface.h>

#include <type_traits>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

// The mangled names below spell Debian 12's inline namespace.
static_assert(std::is_same_v<absl::Mutex, absl::debian3::Mutex>,
              "update the mangled names for this Abseil's inline namespace");

using absl::Condition;
using absl::CondVar;
using absl::Duration;
using absl::Mutex;
using absl::Notification;
using absl::Time;

namespace {

void Released(Mutex* mu) {
  __tsan_mutex_pre_unlock(mu, 0);
  __tsan_mutex_post_unlock(mu, 0);
}

}  // namespace

extern "C" {

// Mutex::Lock / Unlock.
void __real__ZN4absl7debian35Mutex4LockEv(Mutex* self);
void __wrap__ZN4absl7debian35Mutex4LockEv(Mutex* self) {
  __tsan_mutex_pre_lock(self, 0);
  __real__ZN4absl7debian35Mutex4LockEv(self);
  __tsan_mutex_post_lock(self, 0, 0);
}
void __real__ZN4absl7debian35Mutex6UnlockEv(Mutex* self);
void __wrap__ZN4absl7debian35Mutex6UnlockEv(Mutex* self) {
  __tsan_mutex_pre_unlock(self, 0);
  __real__ZN4absl7debian35Mutex6UnlockEv(self);
  __tsan_mutex_post_unlock(self, 0);
}

// Mutex::Await / AwaitWithTimeout / AwaitWithDeadline: held before and after, released while
// waiting. The wait itself runs in TSan's ignore region (pre_lock .. post_lock).
void __real__ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE(Mutex* self, const Condition& cond);
void __wrap__ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE(Mutex* self, const Condition& cond) {
  Released(self);
  __tsan_mutex_pre_lock(self, 0);
  __real__ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE(self, cond);
  __tsan_mutex_post_lock(self, 0, 0);
}
bool __real__ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE(
    Mutex* self, const Condition& cond, Duration timeout);
bool __wrap__ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE(
    Mutex* self, const Condition& cond, Duration timeout) {
  Released(self);
  __tsan_mutex_pre_lock(self, 0);
  const bool met = __real__ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE(
      self, cond, timeout);
  __tsan_mutex_post_lock(self, 0, 0);
  return met;
}

bool __real__ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE(
    Mutex* self, const Condition& cond, Time deadline);
bool __wrap__ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE(
    Mutex* self, const Condition& cond, Time deadline) {
  Released(self);
  __tsan_mutex_pre_lock(self, 0);
  const bool met = __real__ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE(
      self, cond, deadline);
  __tsan_mutex_post_lock(self, 0, 0);
  return met;
}

// CondVar::Wait / WaitWithDeadline / WaitWithTimeout: `mu` is released
// while waiting and held again on return.
void __real__ZN4absl7debian37CondVar4WaitEPNS0_5MutexE(CondVar* self, Mutex* mu);
void __wrap__ZN4absl7debian37CondVar4WaitEPNS0_5MutexE(CondVar* self, Mutex* mu) {
  Released(mu);
  __tsan_mutex_pre_lock(mu, 0);
  __real__ZN4absl7debian37CondVar4WaitEPNS0_5MutexE(self, mu);
  __tsan_mutex_post_lock(mu, 0, 0);
}
bool __real__ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE(CondVar* self,
                                                                              Mutex* mu, Time t);
bool __wrap__ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE(CondVar* self,
                                                                              Mutex* mu, Time t) {
  Released(mu);
  __tsan_mutex_pre_lock(mu, 0);
  const bool timed_out =
      __real__ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE(self, mu, t);
  __tsan_mutex_post_lock(mu, 0, 0);
  return timed_out;
}
bool __real__ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE(CondVar* self,
                                                                                 Mutex* mu,
                                                                                 Duration d);
bool __wrap__ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE(CondVar* self,
                                                                                 Mutex* mu,
                                                                                 Duration d) {
  Released(mu);
  __tsan_mutex_pre_lock(mu, 0);
  const bool timed_out =
      __real__ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE(self, mu, d);
  __tsan_mutex_post_lock(mu, 0, 0);
  return timed_out;
}

// Notification: Notify releases, a successful wait acquires.
void __real__ZN4absl7debian312Notification6NotifyEv(Notification* self);
void __wrap__ZN4absl7debian312Notification6NotifyEv(Notification* self) {
  __tsan_release(self);
  __real__ZN4absl7debian312Notification6NotifyEv(self);
}
void __real__ZNK4absl7debian312Notification19WaitForNotificationEv(const Notification* self);
void __wrap__ZNK4absl7debian312Notification19WaitForNotificationEv(const Notification* self) {
  __real__ZNK4absl7debian312Notification19WaitForNotificationEv(self);
  __tsan_acquire(const_cast<Notification*>(self));
}
bool __real__ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE(
    const Notification* self, Duration timeout);
bool __wrap__ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE(
    const Notification* self, Duration timeout) {
  const bool notified =
      __real__ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE(
          self, timeout);
  if (notified) __tsan_acquire(const_cast<Notification*>(self));
  return notified;
}

}  // extern "C"
