// Scheduler: asynchronous jobs on a pool of worker threads with a bounded
// queue, persisted in SQLite (table `jobs` in the store's database) so that
// a restart resumes work: QUEUED jobs run again in submission order, jobs
// that were RUNNING when the process died are re-queued (attempts + 1), or
// FAILED with the reason "interrupted N times" once attempts reach the
// retry limit. Jobs are typed by `kind`; a handler per kind does the work
// and reports phase / progress / log lines through its JobContext, and
// checks JobContext::cancelled() at safe points (cooperative cancellation).
// Thread-safe. Handlers run on worker threads, never under the scheduler's
// lock; listeners are called on the thread that made the change, without
// locks held, and must not block.
#ifndef FIXPOINT_CORE_JOBS_SCHEDULER_H_
#define FIXPOINT_CORE_JOBS_SCHEDULER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/util/sqlite_db.h"

namespace fixpoint::jobs {

enum class JobState { kQueued, kRunning, kSucceeded, kFailed, kCancelled };
absl::string_view JobStateName(JobState s);  // "QUEUED", ...
bool IsFinal(JobState s);

struct JobRecord {
  std::string id;  // "job-" + 16 hex digits, unique
  std::string kind;
  JobState state = JobState::kQueued;
  std::string phase;
  double progress = 0;      // 0..1
  double eta_seconds = -1;  // -1 unknown
  std::string error;        // reason for FAILED / CANCELLED
  int attempts = 0;         // times it started running
  int64_t created_unix_ms = 0;
  int64_t started_unix_ms = 0;
  int64_t finished_unix_ms = 0;
  std::string params;  // the handler's input (JSON), opaque to the scheduler
  std::string result;  // the handler's output (JSON), set on success
};

// What a running handler may do. Progress and phase changes are persisted
// (throttled) and published to listeners.
class JobContext {
 public:
  virtual ~JobContext() = default;
  virtual const std::string& id() const = 0;
  virtual bool cancelled() const = 0;
  virtual void SetPhase(absl::string_view phase) = 0;
  virtual void SetProgress(double fraction) = 0;  // ETA follows from the rate
  virtual void Log(absl::string_view line) = 0;
};

// Runs one job: `params` in, the result (JSON) out. Returning CANCELLED
// (or any error after cancelled() turned true) ends in CANCELLED; any other
// error in FAILED with the status message as the reason.
using JobHandler =
    std::function<absl::StatusOr<std::string>(const std::string& params, JobContext& context)>;

// A state change or log line of one job.
struct JobEvent {
  JobRecord job;
  std::string log;  // empty unless this event is a log line
};
using JobListener = std::function<void(const JobEvent&)>;

struct SchedulerOptions {
  int workers = 1;
  int max_queued = 64;   // Submit beyond this many QUEUED jobs: RESOURCE_EXHAUSTED
  int max_attempts = 3;  // starts allowed before an interrupted job fails
};

class Scheduler {
 public:
  // Creates the `jobs` table if needed, recovers jobs left by a previous
  // process (see above), and starts the workers. `db` must outlive it.
  // INVALID_ARGUMENT for bad options.
  static absl::StatusOr<std::unique_ptr<Scheduler>> Create(
      SqliteDb* db, const SchedulerOptions& options, std::map<std::string, JobHandler> handlers);
  // Stops (see Shutdown with a zero deadline).
  ~Scheduler();

  // Queues a job. INVALID_ARGUMENT for an unknown kind, RESOURCE_EXHAUSTED
  // when the queue is full, UNAVAILABLE after Shutdown.
  absl::StatusOr<JobRecord> Submit(const std::string& kind, const std::string& params);
  // NOT_FOUND naming the id.
  absl::StatusOr<JobRecord> Get(const std::string& id) const;
  // Newest first; `state` filters; at most `limit` (0 = 100).
  std::vector<JobRecord> List(std::optional<JobState> state, int limit) const;
  // A QUEUED job becomes CANCELLED at once; a RUNNING one is asked to stop
  // and becomes CANCELLED when its handler returns. FAILED_PRECONDITION for
  // a job already final; NOT_FOUND for an unknown id.
  absl::StatusOr<JobRecord> Cancel(const std::string& id);
  // Log lines of a job, oldest first (the last 1000 are kept).
  std::vector<std::string> Logs(const std::string& id) const;

  // Calls `listener` for every later event of job `id`; returns a token for
  // Unsubscribe. NOT_FOUND for an unknown id.
  absl::StatusOr<int64_t> Subscribe(const std::string& id, JobListener listener);
  // After it returns, the listener is not running and will not be called.
  void Unsubscribe(int64_t token);
  // Every job event (for metrics): called after each state change.
  void SetStateObserver(std::function<void(const JobRecord&, JobState old_state)> observer);

  // Number of jobs per state (for the jobs gauge).
  std::map<JobState, int64_t> CountByState() const;

  // Stops taking jobs (Submit: UNAVAILABLE), lets running jobs finish until
  // `deadline`, then interrupts them (cancelled() turns true) and waits for
  // the workers. An interrupted job goes back to QUEUED (not CANCELLED: no
  // user asked for it), so the next Create runs it again. Idempotent.
  void Shutdown(absl::Duration deadline);

 private:
  // Implementation's choice (a worker pool, a FIFO of queued ids, the
  // listeners, and one mutex guarding them).
};

}  // namespace fixpoint::jobs

#endif  // FIXPOINT_CORE_JOBS_SCHEDULER_H_
