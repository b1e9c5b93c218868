// Scheduler lifecycle on a real SQLite file and real worker threads: success
// with a result, failure reasons, unknown kinds, the bounded queue,
// cancellation of queued and running jobs, concurrency, counts and listing.
#include "core/jobs/scheduler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "tests/unit/jobs/scheduler_test_util.h"

namespace fixpoint::jobs {
namespace {

using ::fixpoint::jobs::testing::Gate;
using ::fixpoint::jobs::testing::TempDbDir;
using ::fixpoint::jobs::testing::WaitForState;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

absl::StatusOr<std::string> Echo(const std::string& params, JobContext&) { return params; }

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = dir_.Open(); }

  std::unique_ptr<Scheduler> Make(SchedulerOptions options,
                                  std::map<std::string, JobHandler> handlers) {
    auto s = Scheduler::Create(db_.get(), options, std::move(handlers));
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }
  // Handlers: "echo" returns its params; "gate" waits at gate_ first.
  std::map<std::string, JobHandler> Handlers() {
    return {{"echo", Echo},
            {"gate",
             [this](const std::string& params, JobContext& context) -> absl::StatusOr<std::string> {
               if (absl::Status s = gate_.Pass(context); !s.ok()) return s;
               return params;
             }}};
  }

  TempDbDir dir_;
  std::unique_ptr<SqliteDb> db_;
  Gate gate_;
};

TEST_F(SchedulerTest, SubmittedJobSucceedsWithItsResult) {
  auto s = Make({}, Handlers());
  ASSERT_NE(s, nullptr);
  auto job = s->Submit("echo", R"({"x":1})");
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_THAT(job->id, MatchesRegex("job-[0-9a-f]{16}"));
  EXPECT_EQ(job->kind, "echo");
  EXPECT_GT(job->created_unix_ms, 0);

  const JobRecord done = WaitForState(*s, job->id, JobState::kSucceeded);
  EXPECT_EQ(done.state, JobState::kSucceeded);
  EXPECT_EQ(done.result, R"({"x":1})");
  EXPECT_EQ(done.params, R"({"x":1})");
  EXPECT_EQ(done.attempts, 1);
  EXPECT_DOUBLE_EQ(done.progress, 1.0);
  EXPECT_GE(done.started_unix_ms, done.created_unix_ms);
  EXPECT_GE(done.finished_unix_ms, done.started_unix_ms);
  EXPECT_TRUE(done.error.empty());
}

TEST_F(SchedulerTest, FailingHandlerGivesFailedWithItsMessage) {
  auto s = Make({}, {{"bad", [](const std::string&, JobContext&) -> absl::StatusOr<std::string> {
                        return absl::InvalidArgumentError("dataset 'x': no rows");
                      }}});
  ASSERT_NE(s, nullptr);
  auto job = s->Submit("bad", "{}");
  ASSERT_TRUE(job.ok()) << job.status();
  const JobRecord done = WaitForState(*s, job->id, JobState::kFailed);
  EXPECT_EQ(done.state, JobState::kFailed);
  EXPECT_EQ(done.error, "dataset 'x': no rows");
  EXPECT_TRUE(done.result.empty());
}

TEST_F(SchedulerTest, HandlerExceptionBecomesFailed) {
  auto s = Make({}, {{"throws", [](const std::string&, JobContext&) -> absl::StatusOr<std::string> {
                        throw std::runtime_error("boom");
                      }}});
  ASSERT_NE(s, nullptr);
  auto job = s->Submit("throws", "");
  ASSERT_TRUE(job.ok());
  const JobRecord done = WaitForState(*s, job->id, JobState::kFailed);
  EXPECT_THAT(done.error, HasSubstr("boom"));
}

TEST_F(SchedulerTest, UnknownKindIsInvalidArgument) {
  auto s = Make({}, Handlers());
  ASSERT_NE(s, nullptr);
  auto job = s->Submit("calibrate", "{}");
  EXPECT_EQ(job.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(job.status().message(), HasSubstr("'calibrate'"));
  EXPECT_THAT(job.status().message(), HasSubstr("echo"));  // lists the known kinds
}

TEST_F(SchedulerTest, BadOptionsAreInvalidArgument) {
  SchedulerOptions options;
  options.workers = 0;
  EXPECT_EQ(Scheduler::Create(db_.get(), options, Handlers()).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = {};
  options.max_queued = 0;
  EXPECT_EQ(Scheduler::Create(db_.get(), options, Handlers()).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = {};
  options.max_attempts = 0;
  EXPECT_EQ(Scheduler::Create(db_.get(), options, Handlers()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Scheduler::Create(nullptr, {}, Handlers()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SchedulerTest, FullQueueIsResourceExhausted) {
  SchedulerOptions options;
  options.workers = 1;
  options.max_queued = 2;
  auto s = Make(options, Handlers());
  ASSERT_NE(s, nullptr);
  auto running = s->Submit("gate", "0");
  ASSERT_TRUE(running.ok());
  ASSERT_TRUE(gate_.WaitStarted(1));  // RUNNING jobs do not count against the queue
  auto q1 = s->Submit("gate", "1");
  auto q2 = s->Submit("gate", "2");
  ASSERT_TRUE(q1.ok() && q2.ok());
  auto refused = s->Submit("gate", "3");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.status().message(), HasSubstr("limit 2"));

  gate_.Release();
  EXPECT_EQ(WaitForState(*s, q2->id, JobState::kSucceeded).state, JobState::kSucceeded);
  EXPECT_TRUE(s->Submit("gate", "4").ok());  // room again
}

TEST_F(SchedulerTest, CancelQueuedJobEndsItAtOnce) {
  SchedulerOptions options;
  options.workers = 1;
  auto s = Make(options, Handlers());
  ASSERT_NE(s, nullptr);
  auto running = s->Submit("gate", "0");
  ASSERT_TRUE(gate_.WaitStarted(1));
  auto queued = s->Submit("gate", "1");
  ASSERT_TRUE(queued.ok());

  auto cancelled = s->Cancel(queued->id);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state, JobState::kCancelled);
  EXPECT_EQ(cancelled->error, "cancelled by user");
  EXPECT_GT(cancelled->finished_unix_ms, 0);

  auto again = s->Cancel(queued->id);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(again.status().message(), HasSubstr("CANCELLED"));
  EXPECT_EQ(s->Cancel("job-0000000000000000").status().code(), absl::StatusCode::kNotFound);

  gate_.Release();
  EXPECT_EQ(WaitForState(*s, running->id, JobState::kSucceeded).state, JobState::kSucceeded);
  s->Shutdown(absl::ZeroDuration());
  EXPECT_EQ(gate_.started(), 1);  // the cancelled job never ran
  EXPECT_EQ(s->Get(queued->id)->attempts, 0);
}

TEST_F(SchedulerTest, CancelRunningJobThatPollsCancelled) {
  auto s = Make({}, Handlers());
  ASSERT_NE(s, nullptr);
  auto job = s->Submit("gate", "");
  ASSERT_TRUE(gate_.WaitStarted(1));
  auto asked = s->Cancel(job->id);
  ASSERT_TRUE(asked.ok()) << asked.status();
  EXPECT_EQ(asked->state, JobState::kRunning);  // it stops at its next check
  EXPECT_TRUE(s->Cancel(job->id).ok());         // asking twice is fine
  const JobRecord done = WaitForState(*s, job->id, JobState::kCancelled);
  EXPECT_EQ(done.state, JobState::kCancelled);
  EXPECT_EQ(done.error, "cancelled by user");
  EXPECT_THAT(s->Logs(job->id), ::testing::Contains("cancellation requested"));
}

TEST_F(SchedulerTest, ErrorAfterCancelRequestIsCancelledWithItsMessage) {
  Gate gate;
  auto s =
      Make({}, {{"j", [&gate](const std::string&, JobContext& c) -> absl::StatusOr<std::string> {
                   (void)gate.Pass(c);
                   return absl::AbortedError("stopped between layers 3 and 4");
                 }}});
  ASSERT_NE(s, nullptr);
  auto job = s->Submit("j", "");
  ASSERT_TRUE(gate.WaitStarted(1));
  ASSERT_TRUE(s->Cancel(job->id).ok());
  const JobRecord done = WaitForState(*s, job->id, JobState::kCancelled);
  EXPECT_EQ(done.state, JobState::kCancelled);
  EXPECT_EQ(done.error, "stopped between layers 3 and 4");
}

TEST_F(SchedulerTest, SeveralWorkersRunJobsConcurrently) {
  SchedulerOptions options;
  options.workers = 3;
  auto s = Make(options, Handlers());
  ASSERT_NE(s, nullptr);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(s->Submit("gate", std::to_string(i))->id);
  // All three reach the gate before any may pass it: they run at the same time.
  EXPECT_TRUE(gate_.WaitStarted(3));
  EXPECT_EQ(s->CountByState()[JobState::kRunning], 3);
  gate_.Release();
  for (const std::string& id : ids) {
    EXPECT_EQ(WaitForState(*s, id, JobState::kSucceeded).state, JobState::kSucceeded);
  }
}

TEST_F(SchedulerTest, CountByStateAndList) {
  SchedulerOptions options;
  options.workers = 1;
  auto s = Make(options, {{"echo", Echo},
                          {"bad",
                           [](const std::string&, JobContext&) -> absl::StatusOr<std::string> {
                             return absl::InternalError("no");
                           }},
                          {"gate", Handlers()["gate"]}});
  ASSERT_NE(s, nullptr);
  const std::string ok1 = s->Submit("echo", "1")->id;
  WaitForState(*s, ok1, JobState::kSucceeded);
  const std::string ok2 = s->Submit("echo", "2")->id;
  WaitForState(*s, ok2, JobState::kSucceeded);
  const std::string bad = s->Submit("bad", "")->id;
  WaitForState(*s, bad, JobState::kFailed);
  const std::string running = s->Submit("gate", "")->id;
  ASSERT_TRUE(gate_.WaitStarted(1));
  const std::string queued = s->Submit("echo", "3")->id;
  const std::string cancelled = s->Submit("echo", "4")->id;
  ASSERT_TRUE(s->Cancel(cancelled).ok());

  std::map<JobState, int64_t> counts = s->CountByState();
  EXPECT_EQ(counts[JobState::kSucceeded], 2);
  EXPECT_EQ(counts[JobState::kFailed], 1);
  EXPECT_EQ(counts[JobState::kRunning], 1);
  EXPECT_EQ(counts[JobState::kQueued], 1);
  EXPECT_EQ(counts[JobState::kCancelled], 1);

  std::vector<JobRecord> all = s->List(std::nullopt, 0);
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all.front().id, cancelled);  // newest first
  EXPECT_EQ(all.back().id, ok1);
  std::vector<JobRecord> succeeded = s->List(JobState::kSucceeded, 0);
  ASSERT_EQ(succeeded.size(), 2u);
  EXPECT_EQ(succeeded[0].id, ok2);
  EXPECT_EQ(s->List(std::nullopt, 2).size(), 2u);
  EXPECT_EQ(s->Get("job-nope").status().code(), absl::StatusCode::kNotFound);
  gate_.Release();
  EXPECT_EQ(WaitForState(*s, queued, JobState::kSucceeded).state, JobState::kSucceeded);
}

TEST_F(SchedulerTest, ShutdownLetsRunningJobsFinishBeforeTheDeadline) {
  auto s = Make({}, Handlers());
  ASSERT_NE(s, nullptr);
  auto job = s->Submit("gate", "done");
  ASSERT_TRUE(gate_.WaitStarted(1));
  std::thread releaser([this] {
    absl::SleepFor(absl::Milliseconds(20));
    gate_.Release();
  });
  s->Shutdown(absl::Seconds(30));  // returns as soon as the job ends
  releaser.join();
  EXPECT_EQ(s->Get(job->id)->state, JobState::kSucceeded);
  EXPECT_EQ(s->Submit("echo", "").status().code(), absl::StatusCode::kUnavailable);
  s->Shutdown(absl::ZeroDuration());  // idempotent
}

TEST_F(SchedulerTest, ShutdownDeadlineInterruptsAndRequeues) {
  auto s = Make({}, Handlers());
  ASSERT_NE(s, nullptr);
  auto job = s->Submit("gate", "");
  ASSERT_TRUE(gate_.WaitStarted(1));
  s->Shutdown(absl::Milliseconds(10));
  const JobRecord after = *s->Get(job->id);
  EXPECT_EQ(after.state, JobState::kQueued);  // not CANCELLED: nobody asked
  EXPECT_EQ(after.attempts, 1);
  EXPECT_TRUE(after.error.empty());
  std::map<JobState, int64_t> counts = s->CountByState();
  EXPECT_EQ(counts[JobState::kQueued], 1);
  EXPECT_EQ(counts[JobState::kRunning], 0);
}

TEST_F(SchedulerTest, StateObserverSeesEveryTransition) {
  auto s = Make({}, Handlers());
  ASSERT_NE(s, nullptr);
  absl::Mutex mu;
  std::vector<std::pair<JobState, JobState>> seen;  // (old, new)
  s->SetStateObserver([&](const JobRecord& job, JobState old_state) {
    absl::MutexLock lock(&mu);
    seen.emplace_back(old_state, job.state);
  });
  auto job = s->Submit("echo", "");
  WaitForState(*s, job->id, JobState::kSucceeded);
  s->Shutdown(absl::ZeroDuration());  // every event has been delivered
  absl::MutexLock lock(&mu);
  EXPECT_THAT(seen, ::testing::ElementsAre(std::pair(JobState::kQueued, JobState::kQueued),
                                           std::pair(JobState::kQueued, JobState::kRunning),
                                           std::pair(JobState::kRunning, JobState::kSucceeded)));
}

}  // namespace
}  // namespace fixpoint::jobs
