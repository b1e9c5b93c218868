// The Scheduler's private types, shared by scheduler.cc (jobs and workers)
// and scheduler_listeners.cc (event delivery). Not for other users.
#ifndef FIXPOINT_CORE_JOBS_SCHEDULER_INTERNAL_H_
#define FIXPOINT_CORE_JOBS_SCHEDULER_INTERNAL_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "core/jobs/job_table.h"
#include "core/jobs/scheduler.h"

namespace fixpoint::jobs {

inline constexpr int kMaxLogLines = 1000;            // per job, in memory and in the table
inline constexpr size_t kMaxLogLineBytes = 4096;     // longer lines are cut
inline constexpr size_t kFinishedJobsWithLogs = 64;  // finished jobs whose log stays in memory
// Progress and log lines reach SQLite at most this often per job (phases and
// state changes are written at once).
inline constexpr absl::Duration kPersistInterval = absl::Seconds(1);
// A progress event needs a change of at least 1% or 200 ms since the last one.
inline constexpr double kProgressEventStep = 0.01;
inline constexpr absl::Duration kProgressEventInterval = absl::Milliseconds(200);

// Everything but the two atomics is guarded by Scheduler::mu_. Jobs are never
// removed while the scheduler lives, so Job* stays valid.
struct Scheduler::Job {
  JobRecord rec;
  std::atomic<bool> cancel_requested{false};  // by Cancel; polled by the handler
  std::atomic<bool> interrupted{false};       // by Shutdown's deadline
  std::deque<std::string> logs;               // the last kMaxLogLines lines
  bool logs_in_memory = true;                 // false: Logs() reads the table
  int64_t log_count = 0;                      // LogLine::number of the newest line
  std::vector<LogLine> unpersisted;           // lines not yet in the table
  absl::Time run_started;
  absl::Time last_persist;
  absl::Time last_progress_event;
  double last_progress_published = 0;
};

// A copy of a job (and its new log lines) taken under mu_, written after.
struct Scheduler::PendingWrite {
  JobRecord rec;
  int64_t seq = 0;
  std::vector<LogLine> logs;
};

struct Scheduler::PendingEvent {
  int64_t number = 0;  // increasing in the order the changes happened
  JobEvent event;
  std::optional<JobState> old_state;  // set for a state change (the observer's events)
};

// Guarded by listener_mu_.
struct Scheduler::Subscription {
  std::string job_id;
  int64_t after_event = 0;  // events numbered up to this one happened before Subscribe
  JobListener listener;
  bool active = true;  // false once unsubscribed
};

// The JobContext of one run; valid while the handler runs.
class Scheduler::RunContext : public JobContext {
 public:
  RunContext(Scheduler* scheduler, Job* job, std::string id)
      : scheduler_(scheduler), job_(job), id_(std::move(id)) {}
  const std::string& id() const override { return id_; }
  bool cancelled() const override {
    return job_->cancel_requested.load(std::memory_order_relaxed) ||
           job_->interrupted.load(std::memory_order_relaxed);
  }
  void SetPhase(absl::string_view phase) override { scheduler_->OnPhase(job_, phase); }
  void SetProgress(double fraction) override { scheduler_->OnProgress(job_, fraction); }
  void Log(absl::string_view line) override { scheduler_->OnLog(job_, line); }

 private:
  Scheduler* const scheduler_;
  Job* const job_;
  const std::string id_;
};

}  // namespace fixpoint::jobs

#endif  // FIXPOINT_CORE_JOBS_SCHEDULER_INTERNAL_H_
