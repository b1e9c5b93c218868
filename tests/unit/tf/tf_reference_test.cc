// Both TensorFlow fixtures, imported with the node names of the fixtures'
// README, compute what OpenCV's independent TensorFlow importer
// (cv2.dnn.readNetFromTensorflow) computes on 200 random inputs. The inputs
// and OpenCV's outputs are committed in tests/data/tf_reference/ by
// tools/tf_reference_outputs.py, so this test needs no OpenCV.
//
// Tolerance: |fixpoint - opencv| <= 1e-4 * max(|opencv|, floor), with
// floor = 1e-2 * (largest |output| of that fixture's 200 x 10 references).
// Pure relative error is meaningless where a logit is close to zero (it
// results from cancellation: its rounding error is that of the terms that
// cancelled, which are on the scale of the other logits), so an output that
// is under 1% of the output scale is held to 1e-6 of the output scale instead.
// For the softmax fixture the floor is 1% of its largest probability, i.e.
// probabilities above that are held to a purely relative 1e-4.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/io/dataset.h"
#include "core/io/tf_importer.h"
#include "tests/unit/tf/tf_test_util.h"

namespace fixpoint::io::testing {
namespace {

constexpr int kCount = 200;
constexpr int kClasses = 10;
constexpr double kRelTol = 1e-4;
constexpr double kFloorFraction = 1e-2;

struct ReferenceCase {
  std::string stem;  // <stem>_frozen_graph.pb; file prefix in tests/data/tf_reference/
  std::string input, output;
  int height, width, channels;
  bool use_onednn;
};

std::string DataPath(const std::string& name) {
  return std::string(FP_SOURCE_DIR) + "/tests/data/tf_reference/" + name;
}

// The committed uint8 pixels as float32 NHWC, p * (1/255) -- what the
// generator fed OpenCV (bit-identical: one rounding of the same product).
absl::StatusOr<Dataset> LoadInputs(const ReferenceCase& c) {
  PreprocessSpec spec;
  spec.layout = PreprocessSpec::Layout::kNHWC;
  spec.scale = 1.0f / 255.0f;
  spec.channels = c.channels;
  spec.height = c.height;
  spec.width = c.width;
  return LoadDataset(DataPath(c.stem + ".inputs_u8.npy"), spec);
}

// OpenCV's float32 [200, 10] outputs, unchanged (scale 1, mean 0, std 1).
absl::StatusOr<Dataset> LoadReference(const ReferenceCase& c) {
  PreprocessSpec spec;
  spec.scale = 1.0f;
  spec.channels = 1;
  spec.height = 1;
  spec.width = kClasses;
  return LoadDataset(DataPath(c.stem + ".opencv_out.npy"), spec);
}

class TfReferenceTest : public ::testing::TestWithParam<ReferenceCase> {};

TEST_P(TfReferenceTest, MatchesOpenCvOn200RandomInputs) {
  const ReferenceCase& c = GetParam();
  auto graph = ImportTfGraphDefFile(
      std::string(FP_SHARED_DIR) + "/fixtures/tf/" + c.stem + "_frozen_graph.pb",
      Options({c.input}, {absl::StrCat("?,", c.height, ",", c.width, ",", c.channels)},
              {c.output}));
  ASSERT_TRUE(graph.ok()) << graph.status();
  ASSERT_EQ(graph->outputs.size(), 1u);
  EXPECT_EQ(graph->outputs[0].name, c.output);

  auto inputs = LoadInputs(c);
  ASSERT_TRUE(inputs.ok()) << inputs.status();
  auto reference = LoadReference(c);
  ASSERT_TRUE(reference.ok()) << reference.status();
  ASSERT_EQ(inputs->size(), kCount);
  ASSERT_EQ(reference->size(), kCount);
  const float* want = reference->images.data<float>();

  double scale = 0;
  for (int64_t i = 0; i < int64_t{kCount} * kClasses; ++i) {
    scale = std::max(scale, std::fabs(double{want[i]}));
  }
  ASSERT_GT(scale, 0);
  const double floor = kFloorFraction * scale;

  runtime::SessionOptions options;
  options.use_onednn = c.use_onednn;
  options.intra_op_threads = 1;
  auto session = runtime::Session::Create(*graph, options);
  ASSERT_TRUE(session.ok()) << session.status();

  double max_rel = 0;   // max |a-b| / max(|b|, floor): what kRelTol bounds
  double max_pure = 0;  // max |a-b| / |b|, for the report
  double max_abs = 0;
  int failures = 0;
  for (int n = 0; n < kCount; ++n) {
    auto item = inputs->Items(n, 1);
    ASSERT_TRUE(item.ok()) << item.status();
    auto out = (*session)->Run({&item->images, 1});
    ASSERT_TRUE(out.ok()) << "input " << n << ": " << out.status();
    ASSERT_EQ(out->size(), 1u);
    ASSERT_EQ((*out)[0].shape().ToString(), "[1,10]");
    const float* got = (*out)[0].data<float>();
    for (int k = 0; k < kClasses; ++k) {
      const double a = got[k], b = want[n * kClasses + k];
      const double err = std::fabs(a - b);
      const double rel = err / std::max(std::fabs(b), floor);
      max_rel = std::max(max_rel, rel);
      max_abs = std::max(max_abs, err);
      if (b != 0) max_pure = std::max(max_pure, err / std::fabs(b));
      if (rel > kRelTol && ++failures <= 10) {
        ADD_FAILURE() << "input " << n << ", output " << k << ": fixpoint " << a << ", OpenCV " << b
                      << ", relative error " << rel << " > " << kRelTol;
      }
    }
  }
  EXPECT_EQ(failures, 0);
  std::printf(
      "[ measured ] %s (%s): max relative error %.3g (floor %.3g), "
      "max |a-b|/|b| %.3g, max |a-b| %.3g\n",
      c.stem.c_str(), c.use_onednn ? "oneDNN" : "reference kernels", max_rel, floor, max_pure,
      max_abs);
  RecordProperty("max_relative_error", std::to_string(max_rel));
}

ReferenceCase Mnist(bool onednn) {
  return {"dnndk_mnist", "images_in", "dense_1/BiasAdd", 28, 28, 1, onednn};
}
ReferenceCase KerasCnn3(bool onednn) {
  return {"keras_cnn3_softmax", "conv2d_input", "dense_1/Softmax", 32, 32, 3, onednn};
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TfReferenceTest,
                         ::testing::Values(Mnist(false), Mnist(true), KerasCnn3(false),
                                           KerasCnn3(true)),
                         [](const auto& info) {
                           const ReferenceCase& c = info.param;
                           return std::string(c.stem == "dnndk_mnist" ? "Mnist" : "KerasCnn3") +
                                  (c.use_onednn ? "OneDnn" : "Reference");
                         });

}  // namespace
}  // namespace fixpoint::io::testing
