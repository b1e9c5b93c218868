// QuantizeAccuracyAware on the bundled seed_cnn: an easy goal is met by the
// first trial with nothing kept in fp32; an impossible goal (drop <= -5
// points) searches, never returns a model worse than the first one, and says
// the goal was not met; a zero time budget stops after the first trial.
#include "core/quant/accuracy_aware.h"

#include <gtest/gtest.h>

#include <string>

#include "core/io/dataset.h"
#include "core/io/onnx_importer.h"

namespace fixpoint::quant {
namespace {

class AccuracyAwareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto g = io::ImportOnnxFile(FP_SOURCE_DIR "/models/seed_cnn.onnx");
    ASSERT_TRUE(g.ok()) << g.status();
    graph_ = *std::move(g);
    const std::string data = "/usr/share/datasets/fashion-mnist/";
    io::LoadOptions load;
    load.max_items = 200;
    auto calib = io::LoadDataset(data + "train-images-idx3-ubyte.gz", io::PreprocessSpec{}, load);
    load.labels_path = data + "t10k-labels-idx1-ubyte.gz";
    load.max_items = 500;
    auto eval = io::LoadDataset(data + "t10k-images-idx3-ubyte.gz", io::PreprocessSpec{}, load);
    ASSERT_TRUE(calib.ok() && eval.ok());
    calib_ = *std::move(calib);
    eval_ = *std::move(eval);
    quantize_.method = "pof2-nonoverflow";
    quantize_.num_images = 200;
    options_.layer_report.max_images = 100;
  }

  ir::Graph graph_;
  io::Dataset calib_, eval_;
  QuantizeOptions quantize_;
  AccuracyAwareOptions options_;
};

TEST_F(AccuracyAwareTest, EasyGoalNeedsOneTrial) {
  options_.max_drop_pp = 50;
  auto r = QuantizeAccuracyAware(graph_, calib_, eval_, quantize_, options_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->goal_met);
  EXPECT_EQ(r->trials, 1);
  EXPECT_TRUE(r->float_nodes.empty());
}

TEST_F(AccuracyAwareTest, ImpossibleGoalKeepsTheBestModelFound) {
  options_.max_drop_pp = 50;
  auto first = QuantizeAccuracyAware(graph_, calib_, eval_, quantize_, options_);
  ASSERT_TRUE(first.ok()) << first.status();
  options_.max_drop_pp = -5;
  options_.time_budget_s = 120;
  auto r = QuantizeAccuracyAware(graph_, calib_, eval_, quantize_, options_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->goal_met);
  EXPECT_GT(r->trials, 1);
  EXPECT_LE(r->drop_pp(), first->drop_pp());
  EXPECT_DOUBLE_EQ(r->fp32_top1, first->fp32_top1);
}

TEST_F(AccuracyAwareTest, ZeroBudgetStopsAfterTheFirstTrial) {
  options_.max_drop_pp = -5;
  options_.time_budget_s = 0;
  auto r = QuantizeAccuracyAware(graph_, calib_, eval_, quantize_, options_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->trials, 1);
  EXPECT_FALSE(r->goal_met);
}

}  // namespace
}  // namespace fixpoint::quant
