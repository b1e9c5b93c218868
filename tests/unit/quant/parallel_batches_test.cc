// RunParallelBatches: the static assignment (worker w runs batches w, w + W,
// ... in order), hooks called one at a time (plain counters; the TSan build
// checks it), the lowest failed batch reported whatever failed first in wall
// time, and cancellation stopping every worker.
#include "core/quant/parallel_batches.h"

#include <gtest/gtest.h>

#include <vector>

#include "absl/synchronization/notification.h"

namespace fixpoint::quant {
namespace {

TEST(ParallelBatchesTest, WorkersAreCappedByTheBatches) {
  EXPECT_EQ(ParallelBatchWorkers({.batches = 2, .workers = 8, .cancelled = {}, .done = {}}), 2);
  EXPECT_EQ(ParallelBatchWorkers({.batches = 9, .workers = 3, .cancelled = {}, .done = {}}), 3);
  EXPECT_EQ(ParallelBatchWorkers({.batches = 0, .workers = 3, .cancelled = {}, .done = {}}), 1);
  EXPECT_EQ(ParallelBatchWorkers({.batches = 5, .workers = 0, .cancelled = {}, .done = {}}), 1);
}

TEST(ParallelBatchesTest, EachWorkerRunsEveryWthBatchInOrder) {
  ParallelBatchesOptions options;
  options.batches = 11;
  options.workers = 3;
  int checks = 0;
  std::vector<int64_t> done;
  options.cancelled = [&] {
    ++checks;
    return false;
  };
  options.done = [&](int64_t b) { done.push_back(b); };
  std::vector<std::vector<int64_t>> ran(3);  // each worker writes its own
  ASSERT_TRUE(RunParallelBatches(options, [&](int w, int64_t b) {
                ran[w].push_back(b);
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(ran[0], (std::vector<int64_t>{0, 3, 6, 9}));
  EXPECT_EQ(ran[1], (std::vector<int64_t>{1, 4, 7, 10}));
  EXPECT_EQ(ran[2], (std::vector<int64_t>{2, 5, 8}));
  EXPECT_EQ(checks, 11);
  EXPECT_EQ(done.size(), 11u);
}

TEST(ParallelBatchesTest, NoBatchesRunsNothing) {
  ParallelBatchesOptions options;
  options.workers = 2;
  int calls = 0;
  EXPECT_TRUE(RunParallelBatches(options, [&](int, int64_t) {
                ++calls;
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(calls, 0);
}

// Batch 6 (worker 0) fails first in wall time; worker 1 then still runs
// batch 3, which fails too: batch 3's error is the answer, as in a
// sequential pass, and nothing above a failed batch starts.
TEST(ParallelBatchesTest, ReportsTheLowestFailedBatch) {
  ParallelBatchesOptions options;
  options.batches = 12;
  options.workers = 2;
  absl::Notification six_failed;
  std::vector<std::vector<int64_t>> ran(2);
  const absl::Status status = RunParallelBatches(options, [&](int w, int64_t b) -> absl::Status {
    ran[w].push_back(b);
    if (b == 1) six_failed.WaitForNotification();
    if (b == 6) {
      six_failed.Notify();
      return absl::InternalError("batch 6");
    }
    if (b == 3) return absl::InvalidArgumentError("batch 3");
    return absl::OkStatus();
  });
  EXPECT_EQ(status, absl::InvalidArgumentError("batch 3"));
  EXPECT_EQ(ran[0], (std::vector<int64_t>{0, 2, 4, 6}));
  EXPECT_EQ(ran[1], (std::vector<int64_t>{1, 3}));
}

TEST(ParallelBatchesTest, CancellationStopsEveryWorker) {
  ParallelBatchesOptions options;
  options.batches = 40;
  options.workers = 2;
  int checks = 0;
  int done = 0;
  options.cancelled = [&] { return ++checks > 5; };
  options.done = [&](int64_t) { ++done; };
  const absl::Status status =
      RunParallelBatches(options, [&](int, int64_t) { return absl::OkStatus(); });
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(done, 5);
  EXPECT_EQ(checks, 6);  // after the first true, no worker asks again
}

}  // namespace
}  // namespace fixpoint::quant
