// JobTable: the scheduler's SQLite persistence — table `jobs` (one row per
// job) and `job_logs` (the last lines of each job's log). Writes carry a
// sequence number and a row is only replaced by a newer one, so callers may
// persist outside their own lock, in any order, and the newest state wins.
// Thread-safe (every call is one SqliteDb call or transaction).
#ifndef FIXPOINT_CORE_JOBS_JOB_TABLE_H_
#define FIXPOINT_CORE_JOBS_JOB_TABLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/jobs/scheduler.h"
#include "core/util/sqlite_db.h"

namespace fixpoint::jobs {

inline constexpr JobState kAllJobStates[] = {JobState::kQueued, JobState::kRunning,
                                             JobState::kSucceeded, JobState::kFailed,
                                             JobState::kCancelled};

// The inverse of JobStateName; nullopt for anything else.
std::optional<JobState> ParseJobState(absl::string_view name);

// One line of a job's log; `number` counts from 1 over the job's lifetime.
struct LogLine {
  int64_t number = 0;
  std::string text;
};

// A row as loaded at start-up.
struct StoredJob {
  JobRecord job;
  std::string stored_state;  // the `state` column as written (job.state is kFailed if unknown)
  bool state_known = true;
  int64_t seq = 0;            // sequence number of the last write
  int64_t last_log_line = 0;  // highest LogLine::number stored, 0 if none
};

class JobTable {
 public:
  // `db` must outlive the table.
  explicit JobTable(SqliteDb* db) : db_(db) {}

  // Creates the tables if missing. INTERNAL with SQLite's message.
  absl::Status Init();
  // Every job, oldest first (created time, then insertion order).
  absl::StatusOr<std::vector<StoredJob>> LoadAll();
  // In one transaction: inserts or updates the row of `job` unless the stored
  // row has a sequence number >= `seq` (then the row is left alone), appends
  // `logs`, and drops log lines older than the last `keep_log_lines`.
  absl::Status Save(const JobRecord& job, int64_t seq, const std::vector<LogLine>& logs,
                    int keep_log_lines);
  // Deletes the rows and log lines of `ids` in one transaction (unknown ids
  // are ignored). INTERNAL with SQLite's message.
  absl::Status Delete(const std::vector<std::string>& ids);
  // The stored log of job `id`, oldest first (empty for an unknown id).
  absl::StatusOr<std::vector<std::string>> Logs(const std::string& id, int limit);

 private:
  SqliteDb* const db_;
};

}  // namespace fixpoint::jobs

#endif  // FIXPOINT_CORE_JOBS_JOB_TABLE_H_
