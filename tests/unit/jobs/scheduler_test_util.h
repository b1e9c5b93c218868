// Helpers for the scheduler tests: a SQLite file in a fresh temporary
// directory, a gate a handler can block on, and a listener that records
// events and lets the test wait for one (condition waits, no fixed sleeps).
#ifndef FIXPOINT_TESTS_UNIT_JOBS_SCHEDULER_TEST_UTIL_H_
#define FIXPOINT_TESTS_UNIT_JOBS_SCHEDULER_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "core/jobs/scheduler.h"
#include "core/util/sqlite_db.h"

namespace fixpoint::jobs::testing {

inline constexpr absl::Duration kWait = absl::Seconds(20);  // generous: TSan and shared CPUs

// A temporary directory holding the database file; removed at the end.
class TempDbDir {
 public:
  TempDbDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = absl::StrCat(::testing::TempDir(), "/fp_jobs_", info->test_suite_name(), "_",
                        info->name(), "_", getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~TempDbDir() { std::filesystem::remove_all(dir_); }
  std::string db_path() const { return dir_ + "/metadata.sqlite"; }
  std::unique_ptr<SqliteDb> Open() const {
    auto db = SqliteDb::Open(db_path());
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? *std::move(db) : nullptr;
  }

 private:
  std::string dir_;
};

// Counts handler starts and holds handlers until Release (or cancellation).
class Gate {
 public:
  // Blocks until released or `context` is cancelled; CANCELLED in that case.
  absl::Status Pass(JobContext& context) {
    {
      absl::MutexLock lock(&mu_);
      ++started_;
      cv_.SignalAll();
    }
    while (!released_.WaitForNotificationWithTimeout(absl::Milliseconds(2))) {
      if (context.cancelled()) return absl::CancelledError("stopped at the gate");
    }
    return absl::OkStatus();
  }
  void Release() { released_.Notify(); }
  // Waits until `n` handlers have reached the gate.
  bool WaitStarted(int n, absl::Duration timeout = kWait) {
    absl::MutexLock lock(&mu_);
    const absl::Time end = absl::Now() + timeout;
    while (started_ < n) {
      if (cv_.WaitWithDeadline(&mu_, end)) break;
    }
    return started_ >= n;
  }
  int started() {
    absl::MutexLock lock(&mu_);
    return started_;
  }

 private:
  absl::Mutex mu_;
  absl::CondVar cv_;
  int started_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Notification released_;
};

// Records the events of the jobs it is subscribed to.
class Recorder {
 public:
  JobListener Listener() {
    return [this](const JobEvent& event) {
      absl::MutexLock lock(&mu_);
      events_.push_back(event);
      cv_.SignalAll();
    };
  }
  std::vector<JobEvent> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  // Waits until some recorded event satisfies `pred`.
  bool WaitFor(const std::function<bool(const JobEvent&)>& pred, absl::Duration timeout = kWait) {
    absl::MutexLock lock(&mu_);
    const absl::Time end = absl::Now() + timeout;
    while (true) {
      for (const JobEvent& e : events_) {
        if (pred(e)) return true;
      }
      if (cv_.WaitWithDeadline(&mu_, end)) return false;
    }
  }

 private:
  absl::Mutex mu_;
  absl::CondVar cv_;
  std::vector<JobEvent> events_ ABSL_GUARDED_BY(mu_);
};

// Waits until job `id` satisfies `pred`; returns its record then (or the
// last one seen, for the caller's assertion to show).
inline JobRecord WaitUntil(Scheduler& scheduler, const std::string& id,
                           const std::function<bool(const JobRecord&)>& pred,
                           absl::Duration timeout = kWait) {
  Recorder recorder;
  auto token = scheduler.Subscribe(id, recorder.Listener());
  EXPECT_TRUE(token.ok()) << token.status();
  // Subscribe first, then look: a change in between is an event.
  absl::StatusOr<JobRecord> now = scheduler.Get(id);
  if (!now.ok() || !pred(*now)) {
    recorder.WaitFor([&pred](const JobEvent& e) { return pred(e.job); }, timeout);
  }
  if (token.ok()) scheduler.Unsubscribe(*token);
  absl::StatusOr<JobRecord> last = scheduler.Get(id);
  EXPECT_TRUE(last.ok()) << last.status();
  return last.ok() ? *last : JobRecord{};
}

inline JobRecord WaitForState(Scheduler& scheduler, const std::string& id, JobState state,
                              absl::Duration timeout = kWait) {
  return WaitUntil(
      scheduler, id, [state](const JobRecord& r) { return r.state == state; }, timeout);
}

inline JobRecord WaitForFinal(Scheduler& scheduler, const std::string& id,
                              absl::Duration timeout = kWait) {
  return WaitUntil(
      scheduler, id, [](const JobRecord& r) { return IsFinal(r.state); }, timeout);
}

}  // namespace fixpoint::jobs::testing

#endif  // FIXPOINT_TESTS_UNIT_JOBS_SCHEDULER_TEST_UTIL_H_
