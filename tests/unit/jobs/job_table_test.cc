// JobTable: a newer write always wins regardless of the order writes reach
// SQLite; log lines are appended and trimmed to the last N; rows load back.
#include "core/jobs/job_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/util/sqlite_db.h"

namespace fixpoint::jobs {
namespace {

using ::testing::ElementsAre;

class JobTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = SqliteDb::Open(":memory:");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    table_ = std::make_unique<JobTable>(db_.get());
    ASSERT_TRUE(table_->Init().ok());
    ASSERT_TRUE(table_->Init().ok());  // idempotent
  }
  static JobRecord Job(JobState state, const std::string& phase) {
    JobRecord r;
    r.id = "job-0000000000000001";
    r.kind = "quantize";
    r.state = state;
    r.phase = phase;
    r.created_unix_ms = 42;
    r.params = R"({"model":"m"})";
    return r;
  }

  std::unique_ptr<SqliteDb> db_;
  std::unique_ptr<JobTable> table_;
};

TEST_F(JobTableTest, OlderWriteArrivingLateDoesNotOverwriteANewerOne) {
  ASSERT_TRUE(table_->Save(Job(JobState::kQueued, ""), 1, {}, 1000).ok());
  ASSERT_TRUE(table_->Save(Job(JobState::kSucceeded, "done"), 5, {}, 1000).ok());
  ASSERT_TRUE(table_->Save(Job(JobState::kRunning, "calibrate"), 3, {}, 1000).ok());  // late
  auto rows = table_->LoadAll();
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  const StoredJob& s = (*rows)[0];
  EXPECT_EQ(s.job.state, JobState::kSucceeded);
  EXPECT_EQ(s.job.phase, "done");
  EXPECT_EQ(s.job.params, R"({"model":"m"})");
  EXPECT_EQ(s.job.created_unix_ms, 42);
  EXPECT_EQ(s.seq, 5);
  EXPECT_TRUE(s.state_known);
}

TEST_F(JobTableTest, LogsAreAppendedAndTrimmed) {
  const JobRecord job = Job(JobState::kRunning, "");
  std::vector<LogLine> first, second;
  for (int i = 1; i <= 3; ++i) first.push_back({i, absl::StrCat("l", i)});
  for (int i = 4; i <= 5; ++i) second.push_back({i, absl::StrCat("l", i)});
  ASSERT_TRUE(table_->Save(job, 1, first, 4).ok());
  ASSERT_TRUE(table_->Save(job, 2, second, 4).ok());
  auto logs = table_->Logs(job.id, 100);
  ASSERT_TRUE(logs.ok());
  EXPECT_THAT(*logs, ElementsAre("l2", "l3", "l4", "l5"));
  auto last_two = table_->Logs(job.id, 2);
  ASSERT_TRUE(last_two.ok());
  EXPECT_THAT(*last_two, ElementsAre("l4", "l5"));
  auto rows = table_->LoadAll();
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].last_log_line, 5);
}

TEST_F(JobTableTest, UnknownStateLoadsAsFailedAndIsFlagged) {
  ASSERT_TRUE(db_->Exec("INSERT INTO jobs (id, kind, state) VALUES ('job-x', 'k', 'WEIRD')").ok());
  auto rows = table_->LoadAll();
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_FALSE((*rows)[0].state_known);
  EXPECT_EQ((*rows)[0].stored_state, "WEIRD");
  EXPECT_EQ((*rows)[0].job.state, JobState::kFailed);
  EXPECT_EQ((*rows)[0].job.eta_seconds, -1);
}

TEST(JobStateTest, NamesRoundTrip) {
  for (JobState s : kAllJobStates) {
    EXPECT_EQ(ParseJobState(JobStateName(s)), s);
  }
  EXPECT_EQ(JobStateName(JobState::kCancelled), "CANCELLED");
  EXPECT_FALSE(ParseJobState("queued").has_value());
  EXPECT_TRUE(IsFinal(JobState::kFailed));
  EXPECT_FALSE(IsFinal(JobState::kRunning));
}

}  // namespace
}  // namespace fixpoint::jobs
