#include "server/serving/dynamic_batcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "tests/unit/server/server_test_util.h"

namespace fixpoint::server {
namespace {

using ::testing::HasSubstr;
using testing::MetricValue;
using testing::SmallClassifier;
using testing::SmallInput;

const VersionLabels kLabels{"small", "2", "fp32"};
const char kSeries[] = "{model=\"small\",precision=\"fp32\",version=\"2\"}";

std::shared_ptr<const runtime::Session> SmallSession(ir::Graph g = SmallClassifier()) {
  runtime::SessionOptions options;
  options.intra_op_threads = 1;
  auto s = runtime::Session::Create(std::move(g), options);
  EXPECT_TRUE(s.ok()) << s.status();
  return std::move(*s);
}

std::vector<ir::Tensor> One(ir::Tensor t) {
  std::vector<ir::Tensor> v;
  v.push_back(std::move(t));
  return v;
}

// Outputs of a direct Session::Run, the reference for batched results.
ir::Tensor Direct(const runtime::Session& s, const ir::Tensor& in) {
  auto out = s.Run(std::vector<ir::TensorView>{in.view()});
  EXPECT_TRUE(out.ok()) << out.status();
  return std::move((*out)[0]);
}

void ExpectNear(const ir::Tensor& got, const ir::Tensor& want) {
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < got.NumElements(); ++i) {
    EXPECT_NEAR(got.data<float>()[i], want.data<float>()[i], 1e-6) << "element " << i;
  }
}

double BatchCount(const Metrics& m) {
  return MetricValue(m, std::string("fixpoint_inference_batch_size_count") + kSeries);
}
double BatchSum(const Metrics& m) {
  return MetricValue(m, std::string("fixpoint_inference_batch_size_sum") + kSeries);
}

// Collects one request's outcome.
struct Result {
  absl::Notification done;
  absl::StatusOr<std::vector<ir::Tensor>> outputs;
  InferTensorsDone Callback() {
    return [this](absl::StatusOr<std::vector<ir::Tensor>> out) {
      outputs = std::move(out);
      done.Notify();
    };
  }
};

TEST(DynamicBatcherTest, LoneRequestEqualsDirectRun) {
  Metrics metrics;
  auto session = SmallSession();
  BatcherOptions options;
  options.max_queue_delay_us = 0;
  auto b = DynamicBatcher::Create(session, options, kLabels, metrics);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE((*b)->batching());
  ir::Tensor in = SmallInput(3, 0.5f);
  Result r;
  ASSERT_TRUE((*b)->Submit(One(in), r.Callback()).ok());
  r.done.WaitForNotification();
  ASSERT_TRUE(r.outputs.ok()) << r.outputs.status();
  ExpectNear((*r.outputs)[0], Direct(*session, in));
  EXPECT_EQ(BatchCount(metrics), 1);
  EXPECT_EQ(BatchSum(metrics), 3);
}

TEST(DynamicBatcherTest, QueuedRequestsRunAsOneBatchAndSplitBack) {
  Metrics metrics;
  auto session = SmallSession();
  BatcherOptions options;
  options.max_batch_size = 16;
  options.max_queue_delay_us = 200'000;  // far longer than queuing 8 requests takes
  auto b = DynamicBatcher::Create(session, options, kLabels, metrics);
  ASSERT_TRUE(b.ok()) << b.status();
  std::vector<Result> results(8);
  std::vector<ir::Tensor> inputs;
  for (int i = 0; i < 8; ++i) {
    inputs.push_back(SmallInput(1 + i % 2, static_cast<float>(i)));
    ASSERT_TRUE((*b)->Submit(One(inputs.back()), results[i].Callback()).ok());
  }
  for (int i = 0; i < 8; ++i) {
    results[i].done.WaitForNotification();
    ASSERT_TRUE(results[i].outputs.ok()) << results[i].outputs.status();
    ExpectNear((*results[i].outputs)[0], Direct(*session, inputs[i]));
  }
  EXPECT_EQ(BatchCount(metrics), 1);
  EXPECT_EQ(BatchSum(metrics), 12);
  EXPECT_EQ(MetricValue(metrics,
                        std::string("fixpoint_inference_queue_duration_seconds_count") + kSeries),
            8);
}

// The worker's batch buffer is reused: a large batch, then smaller ones
// (a prefix of the buffer, stale bytes behind it), then a larger one again.
TEST(DynamicBatcherTest, ReusedBatchBufferGivesEveryBatchItsOwnRows) {
  Metrics metrics;
  auto session = SmallSession();
  BatcherOptions options;
  options.max_batch_size = 16;
  options.max_queue_delay_us = 200'000;
  options.workers = 1;
  auto b = DynamicBatcher::Create(session, options, kLabels, metrics);
  ASSERT_TRUE(b.ok()) << b.status();
  float seed = 0;
  for (int requests : {8, 2, 3, 1, 8}) {
    std::vector<Result> results(requests);
    std::vector<ir::Tensor> inputs;
    for (int i = 0; i < requests; ++i) {
      inputs.push_back(SmallInput(2, seed += 1.f));
      ASSERT_TRUE((*b)->Submit(One(inputs.back()), results[i].Callback()).ok());
    }
    for (int i = 0; i < requests; ++i) {
      results[i].done.WaitForNotification();
      ASSERT_TRUE(results[i].outputs.ok()) << results[i].outputs.status();
      ExpectNear((*results[i].outputs)[0], Direct(*session, inputs[i]));
    }
  }
  EXPECT_EQ(BatchSum(metrics), 2 * (8 + 2 + 3 + 1 + 8));
}

TEST(DynamicBatcherTest, AFullBatchRunsWithoutWaitingForTheDelay) {
  Metrics metrics;
  BatcherOptions options;
  options.max_batch_size = 4;
  options.max_queue_delay_us = 60'000'000;  // a minute: only a full batch may end the wait
  auto b = DynamicBatcher::Create(SmallSession(), options, kLabels, metrics);
  ASSERT_TRUE(b.ok()) << b.status();
  std::vector<Result> results(8);
  const absl::Time start = absl::Now();
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE((*b)->Submit(One(SmallInput(1, 0.f)), results[i].Callback()).ok());
  }
  for (Result& r : results) r.done.WaitForNotification();
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  EXPECT_EQ(BatchCount(metrics), 2);
  EXPECT_EQ(BatchSum(metrics), 8);
}

TEST(DynamicBatcherTest, ConcurrentClientsAreMergedAndGetTheirOwnRows) {
  Metrics metrics;
  auto session = SmallSession();
  BatcherOptions options;
  options.max_batch_size = 16;
  options.max_queue_delay_us = 2000;
  options.workers = 2;
  auto b = DynamicBatcher::Create(session, options, kLabels, metrics);
  ASSERT_TRUE(b.ok()) << b.status();
  constexpr int kThreads = 16, kPerThread = 20;
  std::atomic<int> errors{0};
  std::atomic<int64_t> items{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int64_t n = 1 + (t + i) % 3;
        ir::Tensor in = SmallInput(n, static_cast<float>(t * 100 + i));
        const ir::Tensor want = Direct(*session, in);
        Result r;
        if (!(*b)->Submit(One(in), r.Callback()).ok()) {
          ++errors;
          continue;
        }
        items += n;
        r.done.WaitForNotification();
        if (!r.outputs.ok() || (*r.outputs)[0].shape() != want.shape()) {
          ++errors;
          continue;
        }
        for (int64_t k = 0; k < want.NumElements(); ++k) {
          if (std::abs((*r.outputs)[0].data<float>()[k] - want.data<float>()[k]) > 1e-6) ++errors;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(BatchSum(metrics), static_cast<double>(items.load()));
  // Batches really merged requests: fewer runs than requests.
  EXPECT_LT(BatchCount(metrics), kThreads * kPerThread);
  EXPECT_GT(BatchSum(metrics) / BatchCount(metrics), 1.5);
}

TEST(DynamicBatcherTest, FullQueueIsRejectedAtOnce) {
  Metrics metrics;
  BatcherOptions options;
  options.max_batch_size = 1;
  options.max_queue_size = 2;
  auto b = DynamicBatcher::Create(SmallSession(), options, kLabels, metrics);
  ASSERT_TRUE(b.ok()) << b.status();
  // The only worker blocks in the first completion, so the queue fills.
  absl::Notification running, release;
  ASSERT_TRUE((*b)->Submit(One(SmallInput(1, 0.f)),
                           [&](absl::StatusOr<std::vector<ir::Tensor>>) {
                             running.Notify();
                             release.WaitForNotification();
                           })
                  .ok());
  running.WaitForNotification();
  std::vector<Result> queued(2);
  for (Result& r : queued) ASSERT_TRUE((*b)->Submit(One(SmallInput(1, 1.f)), r.Callback()).ok());
  Result rejected;
  absl::Status s = (*b)->Submit(One(SmallInput(1, 2.f)), rejected.Callback());
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(), "queue of model 'small' version 2 is full (2 requests)");
  release.Notify();
  for (Result& r : queued) {
    r.done.WaitForNotification();
    EXPECT_TRUE(r.outputs.ok());
  }
  EXPECT_FALSE(rejected.done.HasBeenNotified());
}

TEST(DynamicBatcherTest, StopRunsEverythingQueuedThenRefuses) {
  Metrics metrics;
  BatcherOptions options;
  options.max_batch_size = 64;
  options.max_queue_delay_us = 60'000'000;
  auto b = DynamicBatcher::Create(SmallSession(), options, kLabels, metrics);
  ASSERT_TRUE(b.ok()) << b.status();
  std::vector<Result> results(5);
  for (Result& r : results) ASSERT_TRUE((*b)->Submit(One(SmallInput(2, 0.f)), r.Callback()).ok());
  const absl::Time start = absl::Now();
  (*b)->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  for (Result& r : results) {
    ASSERT_TRUE(r.done.HasBeenNotified());
    EXPECT_TRUE(r.outputs.ok()) << r.outputs.status();
  }
  Result late;
  absl::Status s = (*b)->Submit(One(SmallInput(1, 0.f)), late.Callback());
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()), HasSubstr("model 'small' version 2 is being unloaded"));
  (*b)->Stop();  // idempotent
}

TEST(DynamicBatcherTest, RejectsOversizedAndInconsistentRequests) {
  Metrics metrics;
  BatcherOptions options;
  options.max_batch_size = 4;
  auto b = DynamicBatcher::Create(SmallSession(), options, kLabels, metrics);
  ASSERT_TRUE(b.ok()) << b.status();
  Result r;
  absl::Status s = (*b)->Submit(One(SmallInput(5, 0.f)), r.Callback());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("a batch of 5 exceeds model 'small' version 2's maximum batch size 4"));

  options.max_batch_size = 0;
  EXPECT_EQ(DynamicBatcher::Create(SmallSession(), options, kLabels, metrics).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// y = Relu(x) with x[?,?]: items of different widths must not be merged.
ir::Graph ReluAnyWidth() {
  ir::Graph g;
  g.name = "relu";
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape{ir::kDynamicDim, ir::kDynamicDim}});
  g.outputs.push_back({"y", ir::DType::kF32, ir::Shape{ir::kDynamicDim, ir::kDynamicDim}});
  g.nodes.push_back(ir::Node{"relu", "Relu", {"x"}, {"y"}, {}});
  return g;
}

TEST(DynamicBatcherTest, OnlyEqualItemShapesAreMerged) {
  Metrics metrics;
  auto session = SmallSession(ReluAnyWidth());
  BatcherOptions options;
  options.max_batch_size = 8;
  options.max_queue_delay_us = 100'000;
  auto b = DynamicBatcher::Create(session, options, kLabels, metrics);
  ASSERT_TRUE(b.ok()) << b.status();
  std::vector<ir::Tensor> inputs;
  for (int64_t width : {3, 5, 3, 5}) {
    std::vector<float> v(static_cast<size_t>(width));
    for (int64_t i = 0; i < width; ++i) v[i] = static_cast<float>(i) - 2;
    inputs.push_back(ir::Tensor::FromF32(ir::Shape{1, width}, v));
  }
  std::vector<Result> results(4);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE((*b)->Submit(One(inputs[i]), results[i].Callback()).ok());
  for (int i = 0; i < 4; ++i) {
    results[i].done.WaitForNotification();
    ASSERT_TRUE(results[i].outputs.ok()) << results[i].outputs.status();
    ExpectNear((*results[i].outputs)[0], Direct(*session, inputs[i]));
  }
  EXPECT_EQ(BatchCount(metrics), 2);
}

TEST(DynamicBatcherTest, StaticBatchModelRunsRequestsAlone) {
  ir::Graph g = SmallClassifier();
  g.inputs[0].shape = ir::Shape{2, 4};
  g.outputs[0].shape = ir::Shape{2, 3};
  Metrics metrics;
  auto session = SmallSession(std::move(g));
  BatcherOptions options;
  options.max_queue_delay_us = 100'000;
  auto b = DynamicBatcher::Create(session, options, kLabels, metrics);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_FALSE((*b)->batching());
  std::vector<Result> results(3);
  for (Result& r : results) ASSERT_TRUE((*b)->Submit(One(SmallInput(2, 1.f)), r.Callback()).ok());
  for (Result& r : results) {
    r.done.WaitForNotification();
    EXPECT_TRUE(r.outputs.ok()) << r.outputs.status();
  }
  EXPECT_EQ(BatchCount(metrics), 3);
  EXPECT_EQ(BatchSum(metrics), 6);  // each run holds the model's fixed 2 items
}

}  // namespace
}  // namespace fixpoint::server
