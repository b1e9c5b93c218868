// Scheduler: asynchronous jobs on a pool of worker threads with a bounded
// queue, persisted in SQLite (table `jobs` in the store's database) so that
// a restart resumes work: QUEUED jobs run again in submission order, jobs
// that were RUNNING when the process died are re-queued (the interrupted run
// counted as an attempt), or FAILED with the reason "interrupted N times
// (retry limit M)" once attempts reach the retry limit. Jobs are typed by
// `kind`; a handler per kind does the work and reports phase / progress /
// log lines through its JobContext, and checks JobContext::cancelled() at
// safe points (cooperative cancellation).
// Thread-safe. Handlers run on worker threads, never under the scheduler's
// lock; listeners are called on a thread that made a change (one at a time,
// each job's events in order), without the scheduler's lock held, and must
// not block. They may call the scheduler, except Shutdown.
#ifndef FIXPOINT_CORE_JOBS_SCHEDULER_H_
#define FIXPOINT_CORE_JOBS_SCHEDULER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/util/sqlite_db.h"

namespace fixpoint::jobs {

class JobTable;
struct StoredJob;

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
  // Finished jobs (SUCCEEDED, FAILED, CANCELLED) kept, in memory and in the
  // table; beyond it the oldest-created ones are dropped with their logs.
  int keep_finished = 1000;
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

  // Queues a job; returns once its row is committed. INVALID_ARGUMENT for
  // an unknown kind, RESOURCE_EXHAUSTED when the queue is full, UNAVAILABLE
  // after Shutdown, INTERNAL when the row cannot be written.
  absl::StatusOr<JobRecord> Submit(const std::string& kind, const std::string& params);
  // NOT_FOUND naming the id.
  absl::StatusOr<JobRecord> Get(const std::string& id) const;
  // Newest first; `state` filters; at most `limit` (0 = 100).
  std::vector<JobRecord> List(std::optional<JobState> state, int limit) const;
  // A QUEUED job becomes CANCELLED at once; a RUNNING one is asked to stop
  // and becomes CANCELLED when its handler returns. FAILED_PRECONDITION for
  // a job already final; NOT_FOUND for an unknown id.
  absl::StatusOr<JobRecord> Cancel(const std::string& id);
  // Log lines of a job, oldest first (the last 1000 are kept, also in the
  // table `job_logs`, so they survive a restart). Empty for an unknown id.
  std::vector<std::string> Logs(const std::string& id) const;

  // Calls `listener` for every later event of job `id` (each state change,
  // phase change, progress change of >= 1% or after >= 200 ms, log line);
  // a state change to a final state is the job's last event. Returns a
  // token for Unsubscribe. NOT_FOUND for an unknown id, INVALID_ARGUMENT
  // for an empty listener.
  absl::StatusOr<int64_t> Subscribe(const std::string& id, JobListener listener);
  // After it returns, the listener is not running (unless Unsubscribe is
  // called from that listener) and will not be called. Unknown tokens are
  // ignored.
  void Unsubscribe(int64_t token);
  // For metrics: called after each state change of any job, like a
  // listener; for a new job old_state == job.state == kQueued. Replaces the
  // previous observer (an empty function removes it). Changes made while
  // Create recovers jobs are not observed.
  void SetStateObserver(std::function<void(const JobRecord&, JobState old_state)> observer);

  // Number of jobs per state, every state present (for the jobs gauge).
  std::map<JobState, int64_t> CountByState() const;

  // Stops taking jobs (Submit: UNAVAILABLE), lets running jobs finish until
  // `deadline`, then interrupts them (cancelled() turns true) and waits for
  // the workers. An interrupted job goes back to QUEUED (not CANCELLED: no
  // user asked for it), so the next Create runs it again. Jobs still QUEUED
  // stay so. Idempotent. A handler that never checks cancelled() delays the
  // return until it finishes. Must not be called from a handler or listener.
  void Shutdown(absl::Duration deadline);

 private:
  struct Job;           // a job's record plus its run-time state
  struct PendingWrite;  // a snapshot to persist, taken under mu_
  struct PendingEvent;  // an event waiting for delivery
  struct Subscription;
  class RunContext;  // the JobContext handed to handlers
  using StateObserver = std::function<void(const JobRecord&, JobState)>;

  Scheduler(SqliteDb* db, const SchedulerOptions& options,
            std::map<std::string, JobHandler> handlers);

  // Loads the table and applies the restart rules; runs before the workers.
  absl::Status Recover() ABSL_LOCKS_EXCLUDED(mu_);
  // Adds one loaded row (with its log if unfinished) applying those rules;
  // the write to persist if the row changed.
  std::optional<PendingWrite> AdoptStoredLocked(StoredJob& stored, std::vector<std::string>& logs,
                                                int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WorkerLoop() ABSL_LOCKS_EXCLUDED(mu_);
  bool WorkerShouldWakeLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool NoneRunningLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Persists the start, runs the handler, then FinishJob.
  void RunJob(Job* job, const PendingWrite& started) ABSL_LOCKS_EXCLUDED(mu_);
  // The job's state after its handler returned: final, or QUEUED again.
  void FinishJob(Job* job, const absl::StatusOr<std::string>& outcome) ABSL_LOCKS_EXCLUDED(mu_);
  // RunContext's calls; ignored unless the job is RUNNING.
  void OnPhase(Job* job, absl::string_view phase) ABSL_LOCKS_EXCLUDED(mu_);
  void OnProgress(Job* job, double fraction) ABSL_LOCKS_EXCLUDED(mu_);
  void OnLog(Job* job, absl::string_view line) ABSL_LOCKS_EXCLUDED(mu_);

  // Changes under mu_: the state (keeping counts_; returns the old state), a
  // log line, an event for the listeners, a snapshot to persist after mu_.
  JobState SetStateLocked(Job* job, JobState state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AppendLogLocked(Job* job, absl::string_view line, bool publish)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PublishLocked(const Job& job, std::optional<JobState> old_state, std::string log)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  PendingWrite TakeWriteLocked(Job* job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes a snapshot; a newer snapshot already written wins (JobTable::Save).
  absl::Status Persist(const PendingWrite& write) ABSL_LOCKS_EXCLUDED(mu_);
  // Persist, reporting a failure on stderr; false on failure.
  bool PersistOrWarn(const PendingWrite& write) ABSL_LOCKS_EXCLUDED(mu_);
  // Marks a persisted final job; frees logs of older ones (kept in the table).
  void RetireLogsLocked(Job* job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the oldest finished jobs beyond options_.keep_finished from memory;
  // returns their ids, for DropStored.
  std::vector<std::string> PruneFinishedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Deletes pruned jobs' rows and logs, reporting a failure on stderr (the
  // rows are then pruned again at the next start).
  void DropStored(const std::vector<std::string>& ids) ABSL_LOCKS_EXCLUDED(mu_);
  Job* FindLocked(const std::string& id) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string NewIdLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Calls listeners for every pending event, in order (scheduler_listeners.cc).
  void Deliver() ABSL_LOCKS_EXCLUDED(mu_);
  // True on the thread that is delivering events (i.e. inside a listener).
  bool InsideListener() const;

  const std::unique_ptr<JobTable> table_;
  const SchedulerOptions options_;
  const std::map<std::string, JobHandler> handlers_;

  // Serialises Shutdown; owns the worker threads.
  absl::Mutex shutdown_mu_ ABSL_ACQUIRED_BEFORE(listener_mu_);
  std::vector<std::thread> workers_ ABSL_GUARDED_BY(shutdown_mu_);

  // Held while listeners run, so Unsubscribe can wait for them; taken
  // before mu_, never while holding it.
  absl::Mutex listener_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::map<int64_t, std::shared_ptr<Subscription>> subscriptions_ ABSL_GUARDED_BY(listener_mu_);
  std::shared_ptr<const StateObserver> observer_ ABSL_GUARDED_BY(listener_mu_);
  int64_t next_token_ ABSL_GUARDED_BY(listener_mu_) = 1;
  std::atomic<std::thread::id> delivering_thread_{};

  // The jobs; never held across I/O, a handler or a listener.
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<Job>> jobs_ ABSL_GUARDED_BY(mu_);
  std::vector<Job*> by_creation_ ABSL_GUARDED_BY(mu_);  // oldest first
  std::deque<Job*> queue_ ABSL_GUARDED_BY(mu_);         // QUEUED jobs to run, FIFO
  std::deque<Job*> finished_with_logs_ ABSL_GUARDED_BY(mu_);
  std::map<JobState, int64_t> counts_ ABSL_GUARDED_BY(mu_);
  std::vector<PendingEvent> pending_events_ ABSL_GUARDED_BY(mu_);
  int reserved_ ABSL_GUARDED_BY(mu_) = 0;  // Submits writing their row
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  bool accepting_ ABSL_GUARDED_BY(mu_) = true;   // false once Shutdown started
  int64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;    // orders writes
  int64_t next_event_ ABSL_GUARDED_BY(mu_) = 1;  // orders events
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fixpoint::jobs

#endif  // FIXPOINT_CORE_JOBS_SCHEDULER_H_
