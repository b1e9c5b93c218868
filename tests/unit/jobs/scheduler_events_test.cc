// Scheduler events: phase / progress / log events reach a subscriber in the
// order they happened and the last one is the final state; progress events
// are throttled; listeners may call back into the scheduler; Unsubscribe
// waits for a running listener and stops further calls.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/jobs/scheduler.h"
#include "tests/unit/jobs/scheduler_test_util.h"

namespace fixpoint::jobs {
namespace {

using ::fixpoint::jobs::testing::Gate;
using ::fixpoint::jobs::testing::kWait;
using ::fixpoint::jobs::testing::Recorder;
using ::fixpoint::jobs::testing::TempDbDir;
using ::fixpoint::jobs::testing::WaitForFinal;
using ::fixpoint::jobs::testing::WaitForState;

class SchedulerEventsTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = dir_.Open(); }
  std::unique_ptr<Scheduler> Make(std::map<std::string, JobHandler> handlers, int workers = 1) {
    SchedulerOptions options;
    options.workers = workers;
    options.max_queued = 1000;
    auto s = Scheduler::Create(db_.get(), options, std::move(handlers));
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }

  TempDbDir dir_;
  std::unique_ptr<SqliteDb> db_;
  Gate gate_;
};

TEST_F(SchedulerEventsTest, PhaseProgressAndLogArriveInOrderAndEndWithTheFinalState) {
  auto s =
      Make({{"steps", [this](const std::string&, JobContext& c) -> absl::StatusOr<std::string> {
               if (absl::Status g = gate_.Pass(c); !g.ok()) return g;
               c.SetPhase("import");
               c.SetProgress(0.25);
               c.Log("imported 12 nodes");
               c.SetPhase("calibrate");
               c.SetPhase("calibrate");  // no change, no event
               c.SetProgress(0.5);
               for (int i = 1; i <= 100; ++i) c.SetProgress(0.5 + i * 1e-5);  // throttled
               c.Log("calibrated");
               return std::string("ok");
             }}});
  ASSERT_NE(s, nullptr);
  auto job = s->Submit("steps", "");
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE(gate_.WaitStarted(1));  // RUNNING has been announced already
  Recorder recorder;
  ASSERT_TRUE(s->Subscribe(job->id, recorder.Listener()).ok());
  gate_.Release();
  ASSERT_TRUE(recorder.WaitFor([](const JobEvent& e) { return IsFinal(e.job.state); }));
  s->Shutdown(absl::ZeroDuration());  // nothing more can arrive

  const std::vector<JobEvent> events = recorder.events();
  ASSERT_GE(events.size(), 7u);
  EXPECT_EQ(events[0].job.phase, "import");
  EXPECT_TRUE(events[0].log.empty());
  EXPECT_DOUBLE_EQ(events[1].job.progress, 0.25);
  EXPECT_GE(events[1].job.eta_seconds, 0);
  EXPECT_EQ(events[2].log, "imported 12 nodes");
  EXPECT_EQ(events[3].job.phase, "calibrate");
  EXPECT_TRUE(events[3].log.empty());
  EXPECT_DOUBLE_EQ(events[4].job.progress, 0.5);
  // 100 tiny steps within far less than 200 ms: a few events at most.
  size_t i = 5;
  while (i < events.size() && events[i].log.empty() && events[i].job.state == JobState::kRunning) {
    EXPECT_EQ(events[i].job.phase, "calibrate");
    ++i;
  }
  EXPECT_LE(i - 5, 5u);
  ASSERT_EQ(i + 2, events.size());
  EXPECT_EQ(events[i].log, "calibrated");
  EXPECT_EQ(events.back().job.state, JobState::kSucceeded);
  EXPECT_EQ(events.back().job.result, "ok");
  for (size_t k = 0; k + 1 < events.size(); ++k) EXPECT_EQ(events[k].job.state, JobState::kRunning);
}

TEST_F(SchedulerEventsTest, CancelledQueuedJobSendsItsFinalEvent) {
  auto s = Make({{"gate", [this](const std::string&, JobContext& c) -> absl::StatusOr<std::string> {
                    if (absl::Status g = gate_.Pass(c); !g.ok()) return g;
                    return std::string();
                  }}});
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(s->Submit("gate", "").ok());
  ASSERT_TRUE(gate_.WaitStarted(1));
  auto queued = s->Submit("gate", "");
  Recorder recorder;
  ASSERT_TRUE(s->Subscribe(queued->id, recorder.Listener()).ok());
  ASSERT_TRUE(s->Cancel(queued->id).ok());
  const std::vector<JobEvent> events = recorder.events();  // delivered before Cancel returned
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].job.state, JobState::kCancelled);
  EXPECT_EQ(events[0].job.error, "cancelled by user");
  gate_.Release();
}

TEST_F(SchedulerEventsTest, SubscribeToUnknownJobIsNotFound) {
  auto s = Make({});
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->Subscribe("job-0123456789abcdef", [](const JobEvent&) {}).status().code(),
            absl::StatusCode::kNotFound);
  s->Unsubscribe(12345);  // unknown tokens are ignored
}

TEST_F(SchedulerEventsTest, ListenerMayCallBackIntoTheScheduler) {
  auto s =
      Make({{"chatty", [this](const std::string&, JobContext& c) -> absl::StatusOr<std::string> {
               if (absl::Status g = gate_.Pass(c); !g.ok()) return g;
               for (int i = 0; i < 5; ++i) c.Log(absl::StrCat("line ", i));
               c.Log("ready");
               while (!c.cancelled()) absl::SleepFor(absl::Milliseconds(1));
               return absl::CancelledError("stopped");
             }}});
  ASSERT_NE(s, nullptr);
  auto job = s->Submit("chatty", "");
  ASSERT_TRUE(gate_.WaitStarted(1));
  Scheduler* scheduler = s.get();
  const std::string id = job->id;

  // One listener unsubscribes itself at its first event; another reads the
  // job and cancels it when the handler says "ready".
  std::atomic<int> self_removing_calls{0};
  std::atomic<int64_t> self_token{-1};
  auto first = s->Subscribe(id, [&](const JobEvent&) {
    ++self_removing_calls;
    scheduler->Unsubscribe(self_token.load());
  });
  ASSERT_TRUE(first.ok());
  self_token = *first;
  std::atomic<bool> get_worked{false};
  ASSERT_TRUE(s->Subscribe(id, [&](const JobEvent& e) {
                 if (e.log != "ready") return;
                 get_worked = scheduler->Get(id).ok();
                 EXPECT_TRUE(scheduler->Cancel(id).ok());
               }).ok());
  gate_.Release();
  const JobRecord done = WaitForState(*s, id, JobState::kCancelled);
  EXPECT_EQ(done.state, JobState::kCancelled);
  EXPECT_EQ(self_removing_calls.load(), 1);
  EXPECT_TRUE(get_worked.load());
}

TEST_F(SchedulerEventsTest, UnsubscribeWaitsForTheListenerAndStopsCalls) {
  auto s =
      Make({{"stream", [this](const std::string&, JobContext& c) -> absl::StatusOr<std::string> {
               if (absl::Status g = gate_.Pass(c); !g.ok()) return g;
               for (int i = 0; !c.cancelled(); ++i) c.Log(absl::StrCat("line ", i));
               return absl::CancelledError("stopped");
             }}});
  ASSERT_NE(s, nullptr);
  auto job = s->Submit("stream", "");
  ASSERT_TRUE(gate_.WaitStarted(1));

  std::atomic<int> calls{0};
  std::atomic<bool> inside{false};
  std::atomic<bool> unsubscribed{false};
  std::atomic<bool> called_after_unsubscribe{false};
  auto token = s->Subscribe(job->id, [&](const JobEvent&) {
    inside = true;
    if (unsubscribed) called_after_unsubscribe = true;
    ++calls;
    absl::SleepFor(absl::Microseconds(200));  // a listener doing a little work
    inside = false;
  });
  ASSERT_TRUE(token.ok());
  // Meanwhile other subscribers come and go.
  std::atomic<bool> stop_churn{false};
  std::thread churn([&] {
    while (!stop_churn) {
      auto t = s->Subscribe(job->id, [](const JobEvent&) {});
      if (t.ok()) s->Unsubscribe(*t);
    }
  });
  gate_.Release();
  const absl::Time end = absl::Now() + kWait;
  while (calls < 20 && absl::Now() < end) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_GE(calls.load(), 20);

  s->Unsubscribe(*token);
  EXPECT_FALSE(inside.load());  // not running after Unsubscribe returned
  unsubscribed = true;
  const int calls_at_unsubscribe = calls.load();
  absl::SleepFor(absl::Milliseconds(20));  // the handler keeps logging meanwhile
  stop_churn = true;
  churn.join();
  ASSERT_TRUE(s->Cancel(job->id).ok());
  EXPECT_EQ(WaitForState(*s, job->id, JobState::kCancelled).state, JobState::kCancelled);
  EXPECT_FALSE(called_after_unsubscribe.load());
  EXPECT_EQ(calls.load(), calls_at_unsubscribe);
}

// Many submitters, cancellers and watchers at once (mainly for TSan).
TEST_F(SchedulerEventsTest, ConcurrentSubmitCancelAndWatch) {
  auto s = Make({{"work",
                  [](const std::string& params, JobContext& c) -> absl::StatusOr<std::string> {
                    c.SetPhase("run");
                    for (int i = 1; i <= 10 && !c.cancelled(); ++i) {
                      c.SetProgress(i / 10.0);
                      c.Log(absl::StrCat(params, " step ", i));
                    }
                    if (c.cancelled()) return absl::CancelledError("stopped");
                    return params;
                  }}},
                /*workers=*/3);
  ASSERT_NE(s, nullptr);
  std::atomic<int> finals{0};
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  absl::Mutex ids_mu;
  std::vector<std::string> ids;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto job = s->Submit("work", absl::StrCat("t", t, "-", i));
        ASSERT_TRUE(job.ok()) << job.status();
        auto token = s->Subscribe(job->id, [&](const JobEvent& e) {
          if (IsFinal(e.job.state)) ++finals;
        });
        if (i % 3 == 0) (void)s->Cancel(job->id);  // may already be final
        (void)s->List(std::nullopt, 10);
        (void)s->CountByState();
        if (token.ok() && i % 2 == 0) s->Unsubscribe(*token);
        absl::MutexLock lock(&ids_mu);
        ids.push_back(job->id);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& id : ids) {
    EXPECT_TRUE(IsFinal(WaitForFinal(*s, id).state)) << id;
  }
  s->Shutdown(absl::ZeroDuration());
  std::map<JobState, int64_t> counts = s->CountByState();
  EXPECT_EQ(counts[JobState::kSucceeded] + counts[JobState::kCancelled], kThreads * kPerThread);
  EXPECT_EQ(counts[JobState::kFailed] + counts[JobState::kQueued] + counts[JobState::kRunning], 0);
  EXPECT_GT(finals.load(), 0);
}

}  // namespace
}  // namespace fixpoint::jobs
