#include "core/jobs/scheduler.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/jobs/job_table.h"
#include "core/jobs/scheduler_internal.h"
#include "core/util/status_macros.h"

namespace fixpoint::jobs {
namespace {

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

std::string KnownKinds(const std::map<std::string, JobHandler>& handlers) {
  std::string out;
  for (const auto& [kind, handler] : handlers) absl::StrAppend(&out, out.empty() ? "" : ", ", kind);
  return out.empty() ? "none" : out;
}

// Clears what one run of a job reported, for a job about to (re)run.
void ResetRunFields(JobRecord& rec) {
  rec.phase.clear();
  rec.progress = 0;
  rec.eta_seconds = -1;
  rec.error.clear();
  rec.result.clear();
  rec.finished_unix_ms = 0;
}

// Runs the handler; an exception (from a third-party library) becomes INTERNAL
// rather than terminating the process.
absl::StatusOr<std::string> CallHandler(const JobHandler& handler, const std::string& params,
                                        JobContext& context) {
  try {
    return handler(params, context);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("job handler threw: ", e.what()));
  } catch (...) {
    return absl::InternalError("job handler threw a non-standard exception");
  }
}

}  // namespace

absl::string_view JobStateName(JobState s) {
  switch (s) {
    case JobState::kQueued:
      return "QUEUED";
    case JobState::kRunning:
      return "RUNNING";
    case JobState::kSucceeded:
      return "SUCCEEDED";
    case JobState::kFailed:
      return "FAILED";
    case JobState::kCancelled:
      return "CANCELLED";
  }
  return "UNKNOWN";
}

bool IsFinal(JobState s) {
  return s == JobState::kSucceeded || s == JobState::kFailed || s == JobState::kCancelled;
}

absl::StatusOr<std::unique_ptr<Scheduler>> Scheduler::Create(
    SqliteDb* db, const SchedulerOptions& options, std::map<std::string, JobHandler> handlers) {
  if (db == nullptr) return absl::InvalidArgumentError("job scheduler: no database");
  if (options.workers < 1 || options.workers > 256) {
    return absl::InvalidArgumentError(
        absl::StrCat("job scheduler: workers must be in [1, 256], got ", options.workers));
  }
  if (options.max_queued < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("job scheduler: max_queued must be >= 1, got ", options.max_queued));
  }
  if (options.max_attempts < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("job scheduler: max_attempts must be >= 1, got ", options.max_attempts));
  }
  if (options.keep_finished < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("job scheduler: keep_finished must be >= 1, got ", options.keep_finished));
  }
  for (const auto& [kind, handler] : handlers) {
    if (kind.empty() || !handler) {
      return absl::InvalidArgumentError(
          absl::StrCat("job scheduler: empty kind or handler (kind '", kind, "')"));
    }
  }
  std::unique_ptr<Scheduler> s(new Scheduler(db, options, std::move(handlers)));
  FP_RETURN_IF_ERROR(WithContext(s->Recover(), "job scheduler: recovering jobs"));
  absl::MutexLock lock(&s->shutdown_mu_);
  for (int i = 0; i < options.workers; ++i) {
    s->workers_.emplace_back([p = s.get()] { p->WorkerLoop(); });
  }
  return s;
}

Scheduler::Scheduler(SqliteDb* db, const SchedulerOptions& options,
                     std::map<std::string, JobHandler> handlers)
    : table_(std::make_unique<JobTable>(db)), options_(options), handlers_(std::move(handlers)) {
  absl::MutexLock lock(&mu_);
  for (JobState s : kAllJobStates) counts_[s] = 0;
  std::random_device seed;
  rng_.seed((static_cast<uint64_t>(seed()) << 32) ^ seed());
}

Scheduler::~Scheduler() { Shutdown(absl::ZeroDuration()); }

absl::Status Scheduler::Recover() {
  FP_RETURN_IF_ERROR(table_->Init());
  FP_ASSIGN_OR_RETURN(std::vector<StoredJob> stored, table_->LoadAll());
  // Unfinished jobs keep their log in memory: read it before taking the lock.
  std::vector<std::vector<std::string>> logs(stored.size());
  for (size_t i = 0; i < stored.size(); ++i) {
    if (stored[i].state_known && !IsFinal(stored[i].job.state)) {
      FP_ASSIGN_OR_RETURN(logs[i], table_->Logs(stored[i].job.id, kMaxLogLines));
    }
  }
  std::vector<PendingWrite> writes;
  std::vector<std::string> pruned;
  {
    absl::MutexLock lock(&mu_);
    for (const StoredJob& s : stored) next_seq_ = std::max(next_seq_, s.seq + 1);
    const int64_t now = NowMs();
    for (size_t i = 0; i < stored.size(); ++i) {
      if (std::optional<PendingWrite> w = AdoptStoredLocked(stored[i], logs[i], now)) {
        writes.push_back(*std::move(w));
      }
    }
    pruned = PruneFinishedLocked();
  }
  for (const PendingWrite& w : writes) FP_RETURN_IF_ERROR(Persist(w));
  DropStored(pruned);
  return absl::OkStatus();
}

std::optional<Scheduler::PendingWrite> Scheduler::AdoptStoredLocked(StoredJob& stored,
                                                                    std::vector<std::string>& logs,
                                                                    int64_t now) {
  auto owned = std::make_unique<Job>();
  Job* job = owned.get();
  job->rec = std::move(stored.job);
  job->log_count = stored.last_log_line;
  job->logs.assign(std::make_move_iterator(logs.begin()), std::make_move_iterator(logs.end()));
  if (!jobs_.emplace(job->rec.id, std::move(owned)).second) return std::nullopt;
  by_creation_.push_back(job);
  ++counts_[job->rec.state];
  bool changed = false;
  if (!stored.state_known) {  // job->rec.state is kFailed
    job->rec.error = absl::StrCat("unknown state '", stored.stored_state, "' in the database");
    if (job->rec.finished_unix_ms == 0) job->rec.finished_unix_ms = now;
    changed = true;
  } else if (job->rec.state == JobState::kRunning) {  // the process died while it ran
    const int attempts = job->rec.attempts;
    if (attempts >= options_.max_attempts) {
      SetStateLocked(job, JobState::kFailed);
      job->rec.error =
          absl::StrFormat("interrupted %d times (retry limit %d)", attempts, options_.max_attempts);
      job->rec.finished_unix_ms = now;
      AppendLogLocked(job, absl::StrCat("process stopped while running; ", job->rec.error),
                      /*publish=*/false);
    } else {
      SetStateLocked(job, JobState::kQueued);
      ResetRunFields(job->rec);
      AppendLogLocked(job,
                      absl::StrFormat("process stopped while running (attempt %d of %d); "
                                      "queued again",
                                      attempts, options_.max_attempts),
                      /*publish=*/false);
    }
    changed = true;
  }
  if (job->rec.state == JobState::kQueued) queue_.push_back(job);
  std::optional<PendingWrite> write;
  if (changed) write = TakeWriteLocked(job);
  if (IsFinal(job->rec.state)) {
    job->logs.clear();
    job->logs_in_memory = false;  // Logs() reads the table
  }
  return write;
}

absl::StatusOr<JobRecord> Scheduler::Submit(const std::string& kind, const std::string& params) {
  if (!handlers_.contains(kind)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown job kind '", kind, "' (known: ", KnownKinds(handlers_), ")"));
  }
  PendingWrite write;
  {
    absl::MutexLock lock(&mu_);
    if (!accepting_) return absl::UnavailableError("the job scheduler is shutting down");
    const int64_t queued = counts_[JobState::kQueued] + reserved_;
    if (queued >= options_.max_queued) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "the job queue is full (%d jobs queued, limit %d)", queued, options_.max_queued));
    }
    ++reserved_;  // holds the slot while the row is written outside the lock
    write.rec.id = NewIdLocked();
    write.rec.kind = kind;
    write.rec.params = params;
    write.rec.created_unix_ms = NowMs();
    write.seq = next_seq_++;
  }
  // The row is durable before the job exists anywhere else, so every later
  // write is an update and a caller holding the id can rely on it.
  const absl::Status saved = Persist(write);
  JobRecord out;
  {
    absl::MutexLock lock(&mu_);
    --reserved_;
    if (!saved.ok()) return WithContext(saved, "persisting the new job");
    auto owned = std::make_unique<Job>();
    Job* job = owned.get();
    job->rec = std::move(write.rec);
    jobs_.emplace(job->rec.id, std::move(owned));
    by_creation_.push_back(job);
    ++counts_[JobState::kQueued];
    queue_.push_back(job);  // after Shutdown started it stays QUEUED for the next process
    PublishLocked(*job, JobState::kQueued, "");
    out = job->rec;
  }
  Deliver();
  return out;
}

absl::StatusOr<JobRecord> Scheduler::Get(const std::string& id) const {
  absl::MutexLock lock(&mu_);
  const Job* job = FindLocked(id);
  if (job == nullptr) return absl::NotFoundError(absl::StrCat("job '", id, "' not found"));
  return job->rec;
}

std::vector<JobRecord> Scheduler::List(std::optional<JobState> state, int limit) const {
  const size_t max = limit <= 0 ? 100 : static_cast<size_t>(limit);
  std::vector<JobRecord> out;
  absl::MutexLock lock(&mu_);
  for (auto it = by_creation_.rbegin(); it != by_creation_.rend() && out.size() < max; ++it) {
    if (!state.has_value() || (*it)->rec.state == *state) out.push_back((*it)->rec);
  }
  return out;
}

absl::StatusOr<JobRecord> Scheduler::Cancel(const std::string& id) {
  std::optional<PendingWrite> write;
  JobRecord out;
  Job* job = nullptr;
  {
    absl::MutexLock lock(&mu_);
    job = FindLocked(id);
    if (job == nullptr) return absl::NotFoundError(absl::StrCat("job '", id, "' not found"));
    const JobState state = job->rec.state;
    if (IsFinal(state)) {
      return absl::FailedPreconditionError(
          absl::StrCat("job '", id, "' is already ", JobStateName(state)));
    }
    if (state == JobState::kQueued) {
      // Not in queue_ if Shutdown interrupted it: it stays out of this process's queue.
      auto queued = std::find(queue_.begin(), queue_.end(), job);
      if (queued != queue_.end()) queue_.erase(queued);
      SetStateLocked(job, JobState::kCancelled);
      job->rec.error = "cancelled by user";
      job->rec.finished_unix_ms = NowMs();
      PublishLocked(*job, state, "");
      write = TakeWriteLocked(job);
    } else if (!job->cancel_requested.exchange(true)) {
      AppendLogLocked(job, "cancellation requested", /*publish=*/true);
    }
    out = job->rec;
  }
  const bool saved = write.has_value() && PersistOrWarn(*write);
  Deliver();
  if (saved) {
    absl::MutexLock lock(&mu_);
    RetireLogsLocked(job);
  }
  return out;
}

std::vector<std::string> Scheduler::Logs(const std::string& id) const {
  {
    absl::MutexLock lock(&mu_);
    const Job* job = FindLocked(id);
    if (job == nullptr) return {};
    if (job->logs_in_memory) return std::vector<std::string>(job->logs.begin(), job->logs.end());
  }
  // A job finished long ago: its (complete) log is in the table.
  absl::StatusOr<std::vector<std::string>> stored = table_->Logs(id, kMaxLogLines);
  if (!stored.ok()) return {};
  return *std::move(stored);
}

std::map<JobState, int64_t> Scheduler::CountByState() const {
  absl::MutexLock lock(&mu_);
  return counts_;
}

void Scheduler::Shutdown(absl::Duration deadline) {
  absl::MutexLock serial(&shutdown_mu_);
  {
    absl::MutexLock lock(&mu_);
    accepting_ = false;  // workers finish their job and exit; Submit refuses
    if (!mu_.AwaitWithTimeout(absl::Condition(this, &Scheduler::NoneRunningLocked), deadline)) {
      for (Job* job : by_creation_) {
        if (job->rec.state == JobState::kRunning) job->interrupted.store(true);
      }
    }
  }
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
}

bool Scheduler::WorkerShouldWakeLocked() const { return !accepting_ || !queue_.empty(); }
bool Scheduler::NoneRunningLocked() const { return running_ == 0; }

void Scheduler::WorkerLoop() {
  while (true) {
    Job* job = nullptr;
    PendingWrite write;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &Scheduler::WorkerShouldWakeLocked));
      if (!accepting_) return;
      job = queue_.front();
      queue_.pop_front();
      ++running_;
      SetStateLocked(job, JobState::kRunning);
      ResetRunFields(job->rec);
      ++job->rec.attempts;
      job->rec.started_unix_ms = NowMs();
      job->run_started = absl::Now();
      job->last_progress_event = job->run_started;
      job->last_progress_published = 0;
      PublishLocked(*job, JobState::kQueued, "");
      write = TakeWriteLocked(job);
    }
    RunJob(job, write);
  }
}

void Scheduler::RunJob(Job* job, const PendingWrite& started) {
  // RUNNING (with the attempt counted) is durable before the handler runs, so
  // a job that crashes the process is bounded by the retry limit.
  const absl::Status saved = Persist(started);
  Deliver();
  absl::StatusOr<std::string> outcome;
  auto handler = handlers_.find(started.rec.kind);
  if (!saved.ok()) {
    outcome = WithContext(saved, "persisting the job's start");
  } else if (handler == handlers_.end()) {  // a kind this build no longer has
    outcome = absl::FailedPreconditionError(
        absl::StrCat("no handler for job kind '", started.rec.kind, "'"));
  } else {
    RunContext context(this, job, started.rec.id);
    outcome = CallHandler(handler->second, started.rec.params, context);
  }
  FinishJob(job, outcome);
}

void Scheduler::FinishJob(Job* job, const absl::StatusOr<std::string>& outcome) {
  PendingWrite write;
  {
    absl::MutexLock lock(&mu_);
    const bool by_user = job->cancel_requested.load();
    JobState next = JobState::kSucceeded;
    std::string error;
    if (outcome.ok()) {
      job->rec.result = *outcome;
    } else if (by_user) {
      next = JobState::kCancelled;
      error = outcome.status().code() == absl::StatusCode::kCancelled
                  ? "cancelled by user"
                  : std::string(outcome.status().message());
    } else if (job->interrupted.load()) {
      next = JobState::kQueued;  // Shutdown's deadline, not the job's fault
    } else {
      next = outcome.status().code() == absl::StatusCode::kCancelled ? JobState::kCancelled
                                                                     : JobState::kFailed;
      error = std::string(outcome.status().message());
      if (error.empty()) error = absl::StatusCodeToString(outcome.status().code());
    }
    if (next == JobState::kQueued) {
      job->interrupted.store(false);
      AppendLogLocked(job, "interrupted by shutdown; queued to run again after restart",
                      /*publish=*/true);
      ResetRunFields(job->rec);
    } else {
      job->rec.error = std::move(error);
      job->rec.finished_unix_ms = NowMs();
      if (next == JobState::kSucceeded) {
        job->rec.progress = 1;
        job->rec.eta_seconds = 0;
      }
    }
    PublishLocked(*job, SetStateLocked(job, next), "");
    write = TakeWriteLocked(job);
  }
  // Durable before listeners hear of it: a watcher told SUCCEEDED can rely on it.
  const bool saved = PersistOrWarn(write);
  Deliver();
  std::vector<std::string> pruned;
  {
    absl::MutexLock lock(&mu_);
    --running_;
    if (saved && IsFinal(job->rec.state)) {
      RetireLogsLocked(job);
      pruned = PruneFinishedLocked();
    }
  }
  DropStored(pruned);
}

void Scheduler::OnPhase(Job* job, absl::string_view phase) {
  PendingWrite write;
  {
    absl::MutexLock lock(&mu_);
    if (job->rec.state != JobState::kRunning || job->rec.phase == phase) return;
    job->rec.phase = std::string(phase);
    PublishLocked(*job, std::nullopt, "");
    write = TakeWriteLocked(job);  // phases change a handful of times per job
  }
  PersistOrWarn(write);
  Deliver();
}

void Scheduler::OnProgress(Job* job, double fraction) {
  if (!std::isfinite(fraction)) return;
  fraction = std::clamp(fraction, 0.0, 1.0);
  std::optional<PendingWrite> write;
  bool published = false;
  {
    absl::MutexLock lock(&mu_);
    if (job->rec.state != JobState::kRunning) return;
    const absl::Time now = absl::Now();
    const double elapsed = absl::ToDoubleSeconds(now - job->run_started);
    job->rec.progress = fraction;
    job->rec.eta_seconds =
        fraction >= 1 ? 0 : (fraction > 0 ? elapsed * (1 - fraction) / fraction : -1);
    const double step = std::abs(fraction - job->last_progress_published);
    if (step >= kProgressEventStep || (step > 0 && fraction >= 1) ||
        (step > 0 && now - job->last_progress_event >= kProgressEventInterval)) {
      job->last_progress_published = fraction;
      job->last_progress_event = now;
      PublishLocked(*job, std::nullopt, "");
      published = true;
    }
    if (now - job->last_persist >= kPersistInterval) write = TakeWriteLocked(job);
  }
  if (write.has_value()) PersistOrWarn(*write);
  if (published) Deliver();
}

void Scheduler::OnLog(Job* job, absl::string_view line) {
  std::optional<PendingWrite> write;
  {
    absl::MutexLock lock(&mu_);
    if (job->rec.state != JobState::kRunning) return;
    AppendLogLocked(job, line, /*publish=*/true);
    if (absl::Now() - job->last_persist >= kPersistInterval) write = TakeWriteLocked(job);
  }
  if (write.has_value()) PersistOrWarn(*write);
  Deliver();
}

JobState Scheduler::SetStateLocked(Job* job, JobState state) {
  const JobState old = job->rec.state;
  --counts_[old];
  ++counts_[state];
  job->rec.state = state;
  return old;
}

void Scheduler::AppendLogLocked(Job* job, absl::string_view line, bool publish) {
  std::string text(line);
  if (text.size() > kMaxLogLineBytes) {
    size_t cut = kMaxLogLineBytes;  // on a UTF-8 boundary: lines end up in protobuf strings
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
    text += " [truncated]";
  }
  ++job->log_count;
  if (job->logs_in_memory) {
    job->logs.push_back(text);
    if (job->logs.size() > static_cast<size_t>(kMaxLogLines)) job->logs.pop_front();
  }
  job->unpersisted.push_back(LogLine{job->log_count, text});
  if (job->unpersisted.size() >
      static_cast<size_t>(kMaxLogLines)) {  // older lines would be trimmed anyway
    job->unpersisted.erase(job->unpersisted.begin());
  }
  if (publish) PublishLocked(*job, std::nullopt, std::move(text));
}

void Scheduler::PublishLocked(const Job& job, std::optional<JobState> old_state, std::string log) {
  pending_events_.push_back(
      PendingEvent{next_event_++, JobEvent{job.rec, std::move(log)}, old_state});
}

Scheduler::PendingWrite Scheduler::TakeWriteLocked(Job* job) {
  PendingWrite write{job->rec, next_seq_++, std::move(job->unpersisted)};
  job->unpersisted.clear();
  job->last_persist = absl::Now();
  return write;
}

absl::Status Scheduler::Persist(const PendingWrite& write) {
  return table_->Save(write.rec, write.seq, write.logs, kMaxLogLines);
}

bool Scheduler::PersistOrWarn(const PendingWrite& write) {
  const absl::Status s = Persist(write);
  if (s.ok()) return true;
  // The in-memory state stays authoritative for this process; after a
  // restart the job is seen in its last persisted state.
  std::fprintf(stderr, "fixpoint jobs: persisting job %s (%s): %s\n", write.rec.id.c_str(),
               std::string(JobStateName(write.rec.state)).c_str(), s.ToString().c_str());
  return false;
}

void Scheduler::RetireLogsLocked(Job* job) {
  finished_with_logs_.push_back(job);
  while (finished_with_logs_.size() > kFinishedJobsWithLogs) {
    Job* old = finished_with_logs_.front();
    finished_with_logs_.pop_front();
    std::deque<std::string>().swap(old->logs);
    old->logs_in_memory = false;
  }
}

std::vector<std::string> Scheduler::PruneFinishedLocked() {
  int64_t finished =
      counts_[JobState::kSucceeded] + counts_[JobState::kFailed] + counts_[JobState::kCancelled];
  std::vector<std::string> pruned;
  if (finished <= options_.keep_finished) return pruned;
  std::vector<Job*> kept;
  kept.reserve(by_creation_.size());
  for (Job* job : by_creation_) {
    if (finished > options_.keep_finished && IsFinal(job->rec.state)) {
      --finished;
      --counts_[job->rec.state];
      pruned.push_back(job->rec.id);
      std::erase(finished_with_logs_, job);
      jobs_.erase(pruned.back());  // destroys *job
    } else {
      kept.push_back(job);
    }
  }
  by_creation_ = std::move(kept);
  return pruned;
}

void Scheduler::DropStored(const std::vector<std::string>& ids) {
  const absl::Status s = table_->Delete(ids);
  if (!s.ok()) {
    std::fprintf(stderr, "fixpoint jobs: deleting %zu finished jobs: %s\n", ids.size(),
                 s.ToString().c_str());
  }
}

Scheduler::Job* Scheduler::FindLocked(const std::string& id) const {
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : it->second.get();
}

std::string Scheduler::NewIdLocked() {
  while (true) {
    std::string id = absl::StrFormat("job-%016x", rng_());
    if (!jobs_.contains(id)) return id;
  }
}

}  // namespace fixpoint::jobs
