// How CalibrateGraph splits the calibration images into batches: equal
// batches where a split into at most twice the fewest batches exists, so
// that kernels are bound for one batch shape. And its data-parallel workers
// on a real graph: the same ranges and float reference whatever the thread
// count, progress, cancellation and the failing batch reported.
#include "core/quant/calibrate_graph.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/quant/quant_plan.h"
#include "tests/unit/quant/bundled_model.h"

namespace fixpoint::quant {
namespace {

TEST(CalibrationBatchSizeTest, SplitsIntoEqualBatchesWhenItCan) {
  EXPECT_EQ(CalibrationBatchSize(100, 32), 25);    // 4 x 25, not 32, 32, 32, 4
  EXPECT_EQ(CalibrationBatchSize(1000, 32), 25);   // 40 x 25
  EXPECT_EQ(CalibrationBatchSize(3200, 32), 32);   // already equal
  EXPECT_EQ(CalibrationBatchSize(60000, 32), 32);  // 1875 x 32
  EXPECT_EQ(CalibrationBatchSize(96, 64), 48);
}

TEST(CalibrationBatchSizeTest, NeverExceedsTheRequestedSize) {
  for (int batch = 1; batch <= 70; ++batch) {
    for (int64_t images = 1; images <= 400; ++images) {
      const int64_t size = CalibrationBatchSize(images, batch);
      ASSERT_GE(size, 1);
      ASSERT_LE(size, batch) << images << " images, batch " << batch;
      // Never more batches than twice the fewest possible.
      const int64_t fewest = (images + batch - 1) / batch;
      ASSERT_LE((images + size - 1) / size, 2 * fewest) << images << " images, batch " << batch;
    }
  }
}

TEST(CalibrationBatchSizeTest, FewerImagesThanABatchIsOneBatch) {
  EXPECT_EQ(CalibrationBatchSize(7, 32), 7);
  EXPECT_EQ(CalibrationBatchSize(1, 32), 1);
}

TEST(CalibrationBatchSizeTest, FallsBackToNearlyEqualBatches) {
  // 101 is prime: no equal split into 4 to 8 batches; 26, 26, 26, 23.
  EXPECT_EQ(CalibrationBatchSize(101, 32), 26);
  // 37 images, batch 32: 2 batches of 19 and 18 rather than 32 and 5.
  EXPECT_EQ(CalibrationBatchSize(37, 32), 19);
  // 33 images, batch 32: 3 x 11 rather than 32 and 1.
  EXPECT_EQ(CalibrationBatchSize(33, 32), 11);
}

// resnet_small prepared for quantization, its tensors to calibrate and 96
// images: 6 batches of 16.
class CalibrateGraphTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto graph = testing::PreparedBundledModel("resnet_small");
    ASSERT_TRUE(graph.ok()) << graph.status();
    graph_ = *std::move(graph);
    auto plan = PlanActivations(graph_, QuantSelection{});
    ASSERT_TRUE(plan.ok()) << plan.status();
    tensors_ = plan->calibrated;
    auto data = testing::FashionTrainImages(96);
    ASSERT_TRUE(data.ok()) << data.status();
    data_ = *std::move(data);
  }

  CalibrateOptions Options(const std::string& method, int threads) const {
    CalibrateOptions o;
    o.method = method;
    o.batch_size = 16;
    o.threads = threads;
    return o;
  }

  ir::Graph graph_;
  std::vector<std::string> tensors_;
  io::Dataset data_;
};

TEST_F(CalibrateGraphTest, RangesDoNotDependOnTheThreads) {
  for (const std::string& method : CalibrationMethods()) {
    SCOPED_TRACE(method);
    auto one = CalibrateGraph(graph_, tensors_, data_, Options(method, 1));
    ASSERT_TRUE(one.ok()) << one.status();
    EXPECT_EQ(one->ranges.size(), tensors_.size());
    EXPECT_EQ(one->images, 96);
    for (int threads : {2, 3}) {
      auto more = CalibrateGraph(graph_, tensors_, data_, Options(method, threads));
      ASSERT_TRUE(more.ok()) << more.status();
      EXPECT_EQ(more->images, 96);
      ASSERT_EQ(more->ranges.size(), one->ranges.size());
      for (const auto& [name, range] : one->ranges) {
        const TensorRange& got = more->ranges.at(name);
        EXPECT_EQ(got, range) << threads << " threads, " << name << ": [" << got.min << ", "
                              << got.max << "] vs [" << range.min << ", " << range.max << "]";
      }
    }
  }
}

TEST_F(CalibrateGraphTest, FloatReferenceDoesNotDependOnTheThreads) {
  FloatReference references[2] = {FloatReference::For(graph_), FloatReference::For(graph_)};
  for (int i = 0; i < 2; ++i) {
    CalibrateOptions o = Options("percentile", i + 1);
    o.float_reference = &references[i];
    o.float_reference_images = 64;  // the first 4 batches
    ASSERT_TRUE(CalibrateGraph(graph_, tensors_, data_, o).ok());
  }
  const FloatReference& one = references[0];
  const FloatReference& two = references[1];
  EXPECT_EQ(one.batch_sizes(), (std::vector<int64_t>{16, 16, 16, 16}));
  EXPECT_EQ(two.batch_sizes(), one.batch_sizes());
  ASSERT_EQ(two.outputs().size(), one.outputs().size());
  for (size_t b = 0; b < one.outputs().size(); ++b) {
    ASSERT_EQ(two.outputs()[b].size(), one.outputs()[b].size());
    for (size_t i = 0; i < one.outputs()[b].size(); ++i) {
      const ir::Tensor& want = one.outputs()[b][i];
      const ir::Tensor& got = two.outputs()[b][i];
      ASSERT_EQ(got.ByteSize(), want.ByteSize());
      EXPECT_EQ(std::memcmp(got.raw(), want.raw(), want.ByteSize()), 0) << "batch " << b;
    }
  }
  int compared = 0;
  for (const ir::Node& node : graph_.nodes) {
    if (one.MomentsOf(node.name) == nullptr) continue;
    ASSERT_NE(two.MomentsOf(node.name), nullptr);
    const ir::Tensor& weight = graph_.initializers.at(node.inputs[1]);
    auto want = one.MomentsOf(node.name)->Means(weight);
    auto got = two.MomentsOf(node.name)->Means(weight);
    ASSERT_TRUE(want.ok() && got.ok());
    for (size_t c = 0; c < want->size(); ++c) {
      EXPECT_NEAR((*got)[c], (*want)[c], 1e-12 * std::abs((*want)[c]) + 1e-300)
          << node.name << " channel " << c;
    }
    ++compared;
  }
  EXPECT_GT(compared, 3);
}

TEST_F(CalibrateGraphTest, ProgressIncreasesToTheTotal) {
  CalibrateOptions o = Options("minmax", 2);
  std::vector<int64_t> done;  // the callback need not be thread-safe
  o.progress = [&](int64_t images, int64_t total) {
    EXPECT_EQ(total, 96);
    done.push_back(images);
  };
  ASSERT_TRUE(CalibrateGraph(graph_, tensors_, data_, o).ok());
  EXPECT_EQ(done, (std::vector<int64_t>{16, 32, 48, 64, 80, 96}));
}

TEST_F(CalibrateGraphTest, CancellationStopsBothWorkers) {
  CalibrateOptions o = Options("entropy", 2);
  int checks = 0;
  int64_t last_progress = 0;
  o.cancelled = [&] { return ++checks > 3; };
  o.progress = [&](int64_t images, int64_t) { last_progress = images; };
  auto r = CalibrateGraph(graph_, tensors_, data_, o);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(r.status().message(), "calibration cancelled after 48 of 96 images");
  EXPECT_EQ(last_progress, 48);
  EXPECT_EQ(checks, 4);
}

// A NaN pixel in batches 3 (worker 1) and 4 (worker 0): batch 3 is
// reported, as by one worker, whichever worker fails first.
TEST_F(CalibrateGraphTest, ReportsTheFirstFailingBatch) {
  for (const std::vector<int64_t>& bad : {std::vector<int64_t>{3, 4}, {4}}) {
    io::Dataset poisoned = data_;
    const int64_t per_image = poisoned.images.NumElements() / poisoned.size();
    for (int64_t b : bad) {
      poisoned.images.data<float>()[(b * 16 + 5) * per_image + 100] =
          std::numeric_limits<float>::quiet_NaN();
    }
    for (int threads : {1, 2}) {
      auto r = CalibrateGraph(graph_, tensors_, poisoned, Options("mse", threads));
      EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(std::string(r.status().message()),
                  ::testing::StartsWith(absl::StrCat("calibration batch ", bad[0], ": ")))
          << r.status();
    }
  }
}

// Images of another size than the model's input: the first batch names the
// input and both shapes, with any thread count.
TEST_F(CalibrateGraphTest, ImagesOfTheWrongShapeAreInvalidArgument) {
  io::Dataset wrong = data_;
  std::vector<int64_t> dims(wrong.images.shape().dims().begin(),
                            wrong.images.shape().dims().end());
  dims.back() -= 1;
  const ir::Shape shape(dims);
  const std::vector<float> pixels(static_cast<size_t>(shape.NumElements()), 0.5f);
  wrong.images = ir::Tensor::FromF32(shape, pixels);
  for (int threads : {1, 2}) {
    auto r = CalibrateGraph(graph_, tensors_, wrong, Options("minmax", threads));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(r.status().message()),
                ::testing::AllOf(::testing::StartsWith("calibration batch 0: input '"),
                                 ::testing::HasSubstr("expected shape")))
        << r.status();
  }
}

}  // namespace
}  // namespace fixpoint::quant
