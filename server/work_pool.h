// WorkPool: a few threads that run management work (imports, SQLite, file
// I/O) handed over by gRPC callback handlers, which must never block.
// Thread-safe. The destructor runs what is queued, then joins.
#ifndef FIXPOINT_SERVER_WORK_POOL_H_
#define FIXPOINT_SERVER_WORK_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace fixpoint::server {

class WorkPool {
 public:
  explicit WorkPool(int threads);
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Runs `work` on a pool thread, in submission order per thread.
  void Submit(std::function<void()> work);

 private:
  void Loop();

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_WORK_POOL_H_
