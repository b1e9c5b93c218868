// SerialExecutor: one background thread running closures in the order they
// were scheduled. The model manager runs loads, unloads and the destruction
// of retired versions on it, so that none of these ever runs on a gRPC
// thread or on a batcher worker (which a version's destruction joins).
// Thread-safe.
#ifndef FIXPOINT_SERVER_SERVING_SERIAL_EXECUTOR_H_
#define FIXPOINT_SERVER_SERVING_SERIAL_EXECUTOR_H_

#include <deque>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace fixpoint::server {

class SerialExecutor {
 public:
  SerialExecutor();
  // Runs every task scheduled so far (and those they schedule), then joins.
  ~SerialExecutor();

  SerialExecutor(const SerialExecutor&) = delete;
  SerialExecutor& operator=(const SerialExecutor&) = delete;

  // Queues `task`. Tasks may schedule further tasks; nobody may schedule
  // once the destructor has returned.
  void Schedule(absl::AnyInvocable<void()> task);
  // True on the executor's own thread (where blocking on a task would
  // deadlock).
  bool InExecutorThread() const;

 private:
  void Loop();
  bool HasWorkOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_SERVING_SERIAL_EXECUTOR_H_
