// The bundled reference models, run by fixpoint's fp32 runtime on all 10,000
// Fashion-MNIST test images, must reproduce the probabilities PyTorch computed
// when it exported them (models/<name>.fashion_test_probs.npy): identical
// top-1 and max |Δp| < 1e-4.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/eval/classifier_eval.h"
#include "core/io/dataset.h"
#include "core/io/onnx_importer.h"
#include "core/runtime/session.h"

namespace fixpoint {
namespace {

constexpr char kData[] = "/usr/share/datasets/fashion-mnist/";

struct Case {
  const char* model;
  bool use_onednn;
  int batch;
};

class ReferenceModelTest : public ::testing::TestWithParam<Case> {};

int ArgMax(const float* p, int n) {
  int best = 0;
  for (int i = 1; i < n; ++i) {
    if (p[i] > p[best]) best = i;
  }
  return best;
}

TEST_P(ReferenceModelTest, MatchesPyTorchOnAllTestImages) {
  const Case c = GetParam();
  const std::string dir = std::string(FP_SOURCE_DIR) + "/models/";
  if (!std::filesystem::exists(std::string(kData) + "t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  }
  auto graph = io::ImportOnnxFile(dir + c.model + ".onnx");
  ASSERT_TRUE(graph.ok()) << graph.status();
  runtime::SessionOptions options;
  options.use_onednn = c.use_onednn;
  auto session = runtime::Session::Create(std::move(*graph), options);
  ASSERT_TRUE(session.ok()) << session.status();

  io::LoadOptions load;
  load.labels_path = std::string(kData) + "t10k-labels-idx1-ubyte.gz";
  auto images = io::LoadDataset(std::string(kData) + "t10k-images-idx3-ubyte.gz", {}, load);
  ASSERT_TRUE(images.ok()) << images.status();
  ASSERT_EQ(images->size(), 10000);

  io::PreprocessSpec probs_spec;
  probs_spec.scale = 1.0f;
  probs_spec.channels = 1;
  probs_spec.height = 1;
  probs_spec.width = 10;
  auto reference = io::LoadDataset(dir + c.model + ".fashion_test_probs.npy", probs_spec);
  ASSERT_TRUE(reference.ok()) << reference.status();
  ASSERT_EQ(reference->size(), 10000);

  eval::EvalOptions eval_options;
  eval_options.batch = c.batch;
  eval_options.keep_outputs = true;
  auto result = eval::EvaluateClassifier(**session, *images, eval_options);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->classes, 10);
  ASSERT_EQ(result->outputs.size(), 100000u);

  const float* want = reference->images.data<float>();
  int top1_differs = 0;
  double max_diff = 0;
  for (int i = 0; i < 10000; ++i) {
    const float* got = result->outputs.data() + i * 10;
    if (ArgMax(got, 10) != ArgMax(want + i * 10, 10)) ++top1_differs;
    for (int k = 0; k < 10; ++k) {
      max_diff = std::max(max_diff, static_cast<double>(std::fabs(got[k] - want[i * 10 + k])));
    }
  }
  EXPECT_EQ(top1_differs, 0);
  EXPECT_LT(max_diff, 1e-4);
  std::printf("%s batch %d %s: top-1 %.2f%%, max |dp| %.2e\n", c.model, c.batch,
              c.use_onednn ? "oneDNN" : "reference", 100 * result->top1(), max_diff);
}

INSTANTIATE_TEST_SUITE_P(
    Models, ReferenceModelTest,
    ::testing::Values(Case{"seed_cnn", true, 64}, Case{"seed_cnn", true, 1},
                      Case{"seed_cnn", false, 64}, Case{"resnet_small", true, 64},
                      Case{"resnet_small", false, 100}),
    [](const auto& info) {
      return std::string(info.param.model) + (info.param.use_onednn ? "_onednn_b" : "_ref_b") +
             std::to_string(info.param.batch);
    });

}  // namespace
}  // namespace fixpoint
