// Restart recovery on a real SQLite file: jobs interrupted by Shutdown run
// again in created order; rows left RUNNING by a crash are re-queued, or
// FAILED once the retry limit is reached (also with real crashes: a child
// process that dies while the job runs); logs and phases are persisted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/jobs/scheduler.h"
#include "tests/unit/jobs/scheduler_test_util.h"

namespace fixpoint::jobs {
namespace {

using ::fixpoint::jobs::testing::Gate;
using ::fixpoint::jobs::testing::TempDbDir;
using ::fixpoint::jobs::testing::WaitForFinal;
using ::fixpoint::jobs::testing::WaitForState;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::unique_ptr<Scheduler> Make(SqliteDb* db, std::map<std::string, JobHandler> handlers,
                                int max_attempts = 3) {
  SchedulerOptions options;
  options.workers = 1;
  options.max_attempts = max_attempts;
  auto s = Scheduler::Create(db, options, std::move(handlers));
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

JobHandler GateHandler(Gate* gate) {
  return [gate](const std::string&, JobContext& c) -> absl::StatusOr<std::string> {
    if (absl::Status s = gate->Pass(c); !s.ok()) return s;
    return std::string("passed");
  };
}

// Records the order in which jobs run.
struct RunOrder {
  absl::Mutex mu;
  std::vector<std::string> ids ABSL_GUARDED_BY(mu);
  JobHandler Handler() {
    return [this](const std::string&, JobContext& c) -> absl::StatusOr<std::string> {
      absl::MutexLock lock(&mu);
      ids.push_back(c.id());
      return std::string("rerun");
    };
  }
  std::vector<std::string> Get() {
    absl::MutexLock lock(&mu);
    return ids;
  }
};

TEST(SchedulerRecoveryTest, JobsInterruptedByShutdownRunAgainInCreatedOrder) {
  TempDbDir dir;
  auto db = dir.Open();
  std::string first, second, third;
  {
    Gate gate;
    auto s = Make(db.get(), {{"work", GateHandler(&gate)}});
    ASSERT_NE(s, nullptr);
    first = s->Submit("work", "1")->id;
    ASSERT_TRUE(gate.WaitStarted(1));
    second = s->Submit("work", "2")->id;
    third = s->Submit("work", "3")->id;
    s->Shutdown(absl::ZeroDuration());  // interrupts `first`: back to QUEUED
    EXPECT_EQ(s->Get(first)->state, JobState::kQueued);
    EXPECT_EQ(s->Submit("work", "4").status().code(), absl::StatusCode::kUnavailable);
  }
  RunOrder order;
  auto s = Make(db.get(), {{"work", order.Handler()}});
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(WaitForState(*s, third, JobState::kSucceeded).state, JobState::kSucceeded);
  EXPECT_THAT(order.Get(), ElementsAre(first, second, third));
  EXPECT_EQ(s->Get(first)->attempts, 2);  // the interrupted run counted
  EXPECT_EQ(s->Get(second)->attempts, 1);
  EXPECT_EQ(s->Get(first)->result, "rerun");
  EXPECT_THAT(s->Logs(first), Contains(HasSubstr("interrupted by shutdown")));
}

TEST(SchedulerRecoveryTest, RowsLeftRunningAreRequeuedOrFailedAtTheRetryLimit) {
  TempDbDir dir;
  auto db = dir.Open();
  { ASSERT_NE(Make(db.get(), {}), nullptr); }  // creates the tables
  const char* kInsert =
      "INSERT INTO jobs (id, kind, state, attempts, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)";
  struct Row {
    std::string id, kind, state;
    int64_t attempts, created;
  };
  const Row rows[] = {
      {"job-00000000000000a1", "work", "RUNNING", 1, 1000},    // re-queued
      {"job-00000000000000a2", "work", "RUNNING", 3, 2000},    // at the limit
      {"job-00000000000000a3", "work", "QUEUED", 0, 500},      // runs first
      {"job-00000000000000a4", "work", "EXPLODED", 0, 600},    // unknown state
      {"job-00000000000000a5", "retired", "QUEUED", 0, 3000},  // no handler any more
  };
  for (const Row& r : rows) {
    ASSERT_TRUE(db->Exec(kInsert, {r.id, r.kind, r.state, r.attempts, r.created}).ok());
  }
  RunOrder order;
  auto s = Make(db.get(), {{"work", order.Handler()}});
  ASSERT_NE(s, nullptr);

  const JobRecord failed = *s->Get("job-00000000000000a2");
  EXPECT_EQ(failed.state, JobState::kFailed);
  EXPECT_EQ(failed.error, "interrupted 3 times (retry limit 3)");
  EXPECT_GT(failed.finished_unix_ms, 0);
  EXPECT_THAT(s->Logs(failed.id), Contains(HasSubstr("interrupted 3 times")));
  const JobRecord unknown = *s->Get("job-00000000000000a4");
  EXPECT_EQ(unknown.state, JobState::kFailed);
  EXPECT_THAT(unknown.error, HasSubstr("unknown state 'EXPLODED'"));

  const JobRecord retired = WaitForFinal(*s, "job-00000000000000a5");
  EXPECT_EQ(retired.state, JobState::kFailed);
  EXPECT_THAT(retired.error, HasSubstr("no handler for job kind 'retired'"));
  const JobRecord requeued = *s->Get("job-00000000000000a1");
  EXPECT_EQ(requeued.state, JobState::kSucceeded);
  EXPECT_EQ(requeued.attempts, 2);
  EXPECT_THAT(s->Logs(requeued.id), Contains(HasSubstr("(attempt 1 of 3); queued again")));
  EXPECT_THAT(order.Get(), ElementsAre("job-00000000000000a3", "job-00000000000000a1"));

  // What was decided at start-up is in the table too.
  auto stored = db->Query("SELECT state, error FROM jobs WHERE id = 'job-00000000000000a2'");
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ(SqlText((*stored)[0][0]), "FAILED");
  EXPECT_EQ(SqlText((*stored)[0][1]), "interrupted 3 times (retry limit 3)");
}

// Runs `body` in a child process; `body` ends it with _exit(0) while its
// objects are alive (no destructors, no Shutdown, no orderly SQLite close:
// what a crash leaves behind) or returns false. Returns the exit code.
int RunInCrashingChild(const std::function<bool()>& body) {
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    body();
    _exit(1);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(SchedulerRecoveryTest, JobThatKeepsCrashingTheProcessFailsAtTheRetryLimit) {
  TempDbDir dir;
  const std::string path = dir.db_path();
  // Three processes in a row die while the job runs (the first submits it).
  for (int run = 1; run <= 3; ++run) {
    const int code = RunInCrashingChild([&path, run] {
      auto db = SqliteDb::Open(path);
      if (!db.ok()) return false;
      Gate gate;
      auto s = Make(db->get(), {{"work", GateHandler(&gate)}});
      if (s == nullptr) return false;
      if (run == 1 && !s->Submit("work", "{}").ok()) return false;
      // RUNNING is committed before the handler starts: die now.
      if (gate.WaitStarted(1)) _exit(0);
      return false;
    });
    ASSERT_EQ(code, 0) << "child " << run;
    auto db = SqliteDb::Open(path);
    ASSERT_TRUE(db.ok());
    auto row = (*db)->Query("SELECT state, attempts FROM jobs");
    ASSERT_TRUE(row.ok() && row->size() == 1u);
    EXPECT_EQ(SqlText((*row)[0][0]), "RUNNING");
    EXPECT_EQ(SqlInt((*row)[0][1]), run);
  }
  auto db = SqliteDb::Open(path);
  ASSERT_TRUE(db.ok());
  Gate gate;
  auto s = Make(db->get(), {{"work", GateHandler(&gate)}});
  ASSERT_NE(s, nullptr);
  std::vector<JobRecord> jobs = s->List(std::nullopt, 0);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].state, JobState::kFailed);
  EXPECT_EQ(jobs[0].error, "interrupted 3 times (retry limit 3)");
  EXPECT_EQ(gate.started(), 0);
}

TEST(SchedulerRecoveryTest, LastThousandLogLinesSurviveARestart) {
  TempDbDir dir;
  auto db = dir.Open();
  std::string id;
  {
    auto s = Make(db.get(),
                  {{"log", [](const std::string&, JobContext& c) -> absl::StatusOr<std::string> {
                      for (int i = 0; i < 1500; ++i) c.Log(absl::StrCat("line ", i));
                      // Cut to 4 KiB, not inside the two-byte "\u00e9".
                      c.Log(std::string(4095, 'x') + "\xc3\xa9" + std::string(9, 'y'));
                      return std::string();
                    }}});
    ASSERT_NE(s, nullptr);
    id = s->Submit("log", "")->id;
    ASSERT_EQ(WaitForState(*s, id, JobState::kSucceeded).state, JobState::kSucceeded);
    std::vector<std::string> logs = s->Logs(id);
    ASSERT_EQ(logs.size(), 1000u);
    EXPECT_EQ(logs.front(), "line 501");
    EXPECT_EQ(logs[998], "line 1499");
    EXPECT_EQ(logs.back(), std::string(4095, 'x') + " [truncated]");
  }
  auto s = Make(db.get(), {});
  ASSERT_NE(s, nullptr);
  std::vector<std::string> logs = s->Logs(id);  // now read from the table
  ASSERT_EQ(logs.size(), 1000u);
  EXPECT_EQ(logs.front(), "line 501");
  EXPECT_EQ(logs[998], "line 1499");
  auto count = db->Query("SELECT COUNT(*) FROM job_logs WHERE job_id = ?1", {id});
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(SqlInt((*count)[0][0]), 1000);  // trimmed in the table too
  EXPECT_TRUE(s->Logs("job-unknown").empty());
}

TEST(SchedulerRecoveryTest, PhaseIsPersistedWhileRunning) {
  TempDbDir dir;
  auto db = dir.Open();
  Gate gate;
  auto s =
      Make(db.get(),
           {{"work", [&gate](const std::string&, JobContext& c) -> absl::StatusOr<std::string> {
               c.SetPhase("calibrate");
               c.Log("calibrating with 512 samples");
               if (absl::Status g = gate.Pass(c); !g.ok()) return g;
               return std::string();
             }}});
  ASSERT_NE(s, nullptr);
  const std::string id = s->Submit("work", "")->id;
  ASSERT_TRUE(gate.WaitStarted(1));
  auto row = db->Query("SELECT state, phase, attempts, started_ms FROM jobs WHERE id = ?1", {id});
  ASSERT_TRUE(row.ok() && row->size() == 1u);
  EXPECT_EQ(SqlText((*row)[0][0]), "RUNNING");
  EXPECT_EQ(SqlText((*row)[0][1]), "calibrate");
  EXPECT_EQ(SqlInt((*row)[0][2]), 1);
  EXPECT_GT(SqlInt((*row)[0][3]), 0);
  gate.Release();
  EXPECT_EQ(WaitForState(*s, id, JobState::kSucceeded).state, JobState::kSucceeded);
  // The final state and the buffered log line were written when it ended.
  s->Shutdown(absl::ZeroDuration());
  auto final_row = db->Query("SELECT state, progress FROM jobs WHERE id = ?1", {id});
  ASSERT_TRUE(final_row.ok());
  EXPECT_EQ(SqlText((*final_row)[0][0]), "SUCCEEDED");
  EXPECT_DOUBLE_EQ(SqlDouble((*final_row)[0][1]), 1.0);
  auto lines = db->Query("SELECT line FROM job_logs WHERE job_id = ?1", {id});
  ASSERT_TRUE(lines.ok());
  ASSERT_EQ(lines->size(), 1u);
  EXPECT_EQ(SqlText((*lines)[0][0]), "calibrating with 512 samples");
}

}  // namespace
}  // namespace fixpoint::jobs
