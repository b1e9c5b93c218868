// Retention of finished jobs: beyond SchedulerOptions::keep_finished the
// oldest finished jobs leave memory and the table (rows and logs), while
// queued and running jobs are never dropped, and a restart applies the bound
// to what an earlier process left.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "core/jobs/scheduler.h"
#include "tests/unit/jobs/scheduler_test_util.h"

namespace fixpoint::jobs {
namespace {

using ::fixpoint::jobs::testing::Gate;
using ::fixpoint::jobs::testing::TempDbDir;
using ::fixpoint::jobs::testing::WaitForState;

int64_t Rows(SqliteDb& db, const std::string& sql) {
  auto rows = db.Query(sql);
  EXPECT_TRUE(rows.ok()) << rows.status();
  return rows.ok() ? std::get<int64_t>((*rows)[0][0]) : -1;
}

// Polls `done` for up to 30 s.
template <typename Fn>
void WaitUntil(Fn done) {
  const absl::Time end = absl::Now() + absl::Seconds(30);
  while (!done() && absl::Now() < end) absl::SleepFor(absl::Milliseconds(2));
}

class SchedulerRetentionTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = dir_.Open(); }

  std::map<std::string, JobHandler> Handlers() {
    return {{"echo",
             [](const std::string& params, JobContext& context) -> absl::StatusOr<std::string> {
               context.Log("working on " + params);
               return params;
             }},
            {"gate",
             [this](const std::string& params, JobContext& context) -> absl::StatusOr<std::string> {
               if (absl::Status s = gate_.Pass(context); !s.ok()) return s;
               return params;
             }}};
  }

  // Submits `n` echo jobs one after the other, each run to the end.
  std::vector<std::string> RunEchoJobs(Scheduler& s, int n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      auto job = s.Submit("echo", std::to_string(i));
      EXPECT_TRUE(job.ok()) << job.status();
      if (!job.ok()) break;
      WaitForState(s, job->id, JobState::kSucceeded);
      ids.push_back(job->id);
    }
    return ids;
  }

  TempDbDir dir_;
  std::unique_ptr<SqliteDb> db_;
  Gate gate_;
};

TEST_F(SchedulerRetentionTest, OldestFinishedJobsAreDroppedWithTheirLogs) {
  SchedulerOptions options;
  options.workers = 2;
  options.keep_finished = 3;
  auto s = Scheduler::Create(db_.get(), options, Handlers());
  ASSERT_TRUE(s.ok()) << s.status();
  // A running job older than every finished one must survive the pruning.
  auto running = (*s)->Submit("gate", "held");
  ASSERT_TRUE(running.ok()) << running.status();
  WaitForState(**s, running->id, JobState::kRunning);

  const std::vector<std::string> ids = RunEchoJobs(**s, 5);
  ASSERT_EQ(ids.size(), 5u);
  // A job is pruned just after it is seen SUCCEEDED: wait for that.
  WaitUntil([&] { return !(*s)->Get(ids[1]).ok(); });
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ((*s)->Get(ids[i]).status().code(), absl::StatusCode::kNotFound) << i;
    EXPECT_TRUE((*s)->Logs(ids[i]).empty()) << i;
  }
  for (int i = 2; i < 5; ++i) EXPECT_TRUE((*s)->Get(ids[i]).ok()) << i;
  EXPECT_TRUE((*s)->Get(running->id).ok());
  EXPECT_EQ((*s)->CountByState()[JobState::kSucceeded], 3);
  EXPECT_EQ((*s)->List(std::nullopt, 0).size(), 4u);
  EXPECT_EQ(Rows(*db_, "SELECT COUNT(*) FROM jobs"), 4);
  EXPECT_EQ(Rows(*db_, "SELECT COUNT(*) FROM job_logs WHERE job_id = '" + ids[0] + "'"), 0);
  EXPECT_GT(Rows(*db_, "SELECT COUNT(*) FROM job_logs WHERE job_id = '" + ids[4] + "'"), 0);

  // Once the held job finishes it is the oldest finished one: it goes.
  gate_.Release();
  WaitUntil([&] { return !(*s)->Get(running->id).ok(); });
  EXPECT_EQ((*s)->Get(running->id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ((*s)->CountByState()[JobState::kSucceeded], 3);
  EXPECT_EQ(Rows(*db_, "SELECT COUNT(*) FROM jobs"), 3);
}

TEST_F(SchedulerRetentionTest, RestartAppliesTheBoundToStoredJobs) {
  std::vector<std::string> ids;
  {
    SchedulerOptions keep_all;
    keep_all.keep_finished = 100;
    auto s = Scheduler::Create(db_.get(), keep_all, Handlers());
    ASSERT_TRUE(s.ok()) << s.status();
    ids = RunEchoJobs(**s, 4);
  }
  ASSERT_EQ(Rows(*db_, "SELECT COUNT(*) FROM jobs"), 4);
  SchedulerOptions keep_one;
  keep_one.keep_finished = 1;
  auto s = Scheduler::Create(db_.get(), keep_one, Handlers());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(Rows(*db_, "SELECT COUNT(*) FROM jobs"), 1);
  EXPECT_TRUE((*s)->Get(ids[3]).ok());
  EXPECT_EQ((*s)->Get(ids[0]).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SchedulerRetentionTest, KeepFinishedBelowOneIsInvalid) {
  SchedulerOptions options;
  options.keep_finished = 0;
  auto s = Scheduler::Create(db_.get(), options, Handlers());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("keep_finished"), std::string::npos);
}

}  // namespace
}  // namespace fixpoint::jobs
