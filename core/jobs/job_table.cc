#include "core/jobs/job_table.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "core/util/status_macros.h"

namespace fixpoint::jobs {
namespace {

// Column defaults let tools (and tests) insert a row naming only what they
// know. `seq` orders writes (see JobTable::Save).
constexpr absl::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS jobs (
  id          TEXT PRIMARY KEY,
  kind        TEXT NOT NULL,
  state       TEXT NOT NULL,
  phase       TEXT NOT NULL DEFAULT '',
  progress    REAL NOT NULL DEFAULT 0,
  eta         REAL NOT NULL DEFAULT -1,
  error       TEXT NOT NULL DEFAULT '',
  attempts    INTEGER NOT NULL DEFAULT 0,
  created_ms  INTEGER NOT NULL DEFAULT 0,
  started_ms  INTEGER NOT NULL DEFAULT 0,
  finished_ms INTEGER NOT NULL DEFAULT 0,
  params      TEXT NOT NULL DEFAULT '',
  result      TEXT NOT NULL DEFAULT '',
  seq         INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS job_logs (
  job_id  TEXT NOT NULL,
  line_no INTEGER NOT NULL,
  line    TEXT NOT NULL,
  PRIMARY KEY (job_id, line_no)
) WITHOUT ROWID;
)sql";

}  // namespace

std::optional<JobState> ParseJobState(absl::string_view name) {
  for (JobState s : kAllJobStates) {
    if (JobStateName(s) == name) return s;
  }
  return std::nullopt;
}

absl::Status JobTable::Init() {
  return WithContext(db_->ExecScript(kSchema), "creating the jobs tables");
}

absl::StatusOr<std::vector<StoredJob>> JobTable::LoadAll() {
  FP_ASSIGN_OR_RETURN(
      std::vector<SqlRow> rows,
      db_->Query("SELECT id, kind, state, phase, progress, eta, error, attempts, created_ms, "
                 "started_ms, finished_ms, params, result, seq FROM jobs "
                 "ORDER BY created_ms, rowid"));
  FP_ASSIGN_OR_RETURN(std::vector<SqlRow> log_rows,
                      db_->Query("SELECT job_id, MAX(line_no) FROM job_logs GROUP BY job_id"));
  absl::flat_hash_map<std::string, int64_t> last_line;
  for (const SqlRow& r : log_rows) last_line[SqlText(r[0])] = SqlInt(r[1]);

  std::vector<StoredJob> out;
  out.reserve(rows.size());
  for (const SqlRow& r : rows) {
    StoredJob s;
    JobRecord& j = s.job;
    j.id = SqlText(r[0]);
    j.kind = SqlText(r[1]);
    s.stored_state = SqlText(r[2]);
    const std::optional<JobState> state = ParseJobState(s.stored_state);
    s.state_known = state.has_value();
    j.state = state.value_or(JobState::kFailed);
    j.phase = SqlText(r[3]);
    j.progress = SqlDouble(r[4]);
    j.eta_seconds = SqlDouble(r[5], -1);
    j.error = SqlText(r[6]);
    j.attempts = static_cast<int>(SqlInt(r[7]));
    j.created_unix_ms = SqlInt(r[8]);
    j.started_unix_ms = SqlInt(r[9]);
    j.finished_unix_ms = SqlInt(r[10]);
    j.params = SqlText(r[11]);
    j.result = SqlText(r[12]);
    s.seq = SqlInt(r[13]);
    if (auto it = last_line.find(j.id); it != last_line.end()) s.last_log_line = it->second;
    out.push_back(std::move(s));
  }
  return out;
}

absl::Status JobTable::Save(const JobRecord& job, int64_t seq, const std::vector<LogLine>& logs,
                            int keep_log_lines) {
  return db_->Transaction([&](SqlTx& tx) -> absl::Status {
    FP_RETURN_IF_ERROR(
        tx.Exec(
              "INSERT INTO jobs (id, kind, state, phase, progress, eta, error, attempts, "
              "created_ms, started_ms, finished_ms, params, result, seq) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
              "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, state = excluded.state, "
              "phase = excluded.phase, progress = excluded.progress, eta = excluded.eta, "
              "error = excluded.error, attempts = excluded.attempts, "
              "created_ms = excluded.created_ms, started_ms = excluded.started_ms, "
              "finished_ms = excluded.finished_ms, params = excluded.params, "
              "result = excluded.result, seq = excluded.seq "
              "WHERE excluded.seq > jobs.seq",
              {job.id, job.kind, std::string(JobStateName(job.state)), job.phase, job.progress,
               job.eta_seconds, job.error, static_cast<int64_t>(job.attempts), job.created_unix_ms,
               job.started_unix_ms, job.finished_unix_ms, job.params, job.result, seq})
            .status());
    if (logs.empty()) return absl::OkStatus();
    int64_t last = 0;
    for (const LogLine& line : logs) {
      FP_RETURN_IF_ERROR(
          tx.Exec("INSERT OR REPLACE INTO job_logs (job_id, line_no, line) VALUES (?1, ?2, ?3)",
                  {job.id, line.number, line.text})
              .status());
      last = std::max(last, line.number);
    }
    return tx
        .Exec("DELETE FROM job_logs WHERE job_id = ?1 AND line_no <= ?2",
              {job.id, last - keep_log_lines})
        .status();
  });
}

absl::Status JobTable::Delete(const std::vector<std::string>& ids) {
  if (ids.empty()) return absl::OkStatus();
  return db_->Transaction([&](SqlTx& tx) -> absl::Status {
    for (const std::string& id : ids) {
      FP_RETURN_IF_ERROR(tx.Exec("DELETE FROM job_logs WHERE job_id = ?1", {id}).status());
      FP_RETURN_IF_ERROR(tx.Exec("DELETE FROM jobs WHERE id = ?1", {id}).status());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<std::string>> JobTable::Logs(const std::string& id, int limit) {
  FP_ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                      db_->Query("SELECT line FROM job_logs WHERE job_id = ?1 "
                                 "ORDER BY line_no DESC LIMIT ?2",
                                 {id, static_cast<int64_t>(limit)}));
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) out.push_back(SqlText((*it)[0]));
  return out;
}

}  // namespace fixpoint::jobs
