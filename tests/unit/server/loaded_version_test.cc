#include "server/serving/loaded_version.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/synchronization/notification.h"
#include "core/io/dataset.h"
#include "core/quant/quantizer.h"
#include "tests/unit/server/server_test_util.h"

namespace fixpoint::server {
namespace {

using ::testing::HasSubstr;
using testing::MetricValue;
using testing::SmallClassifier;
using testing::SmallInput;
using testing::SmallVersionInfo;

TEST(LoadedVersionTest, CompilesWarmsUpAndServes) {
  Metrics metrics;
  LoadOptions options;
  options.batcher.max_batch_size = 8;
  store::VersionInfo info = SmallVersionInfo("small", 3);
  info.precision = store::Precision::kInt8;  // only the label: the graph is float
  auto v = LoadedVersion::Create(info, SmallClassifier(), options, metrics);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)->model(), "small");
  EXPECT_EQ((*v)->version(), 3);
  EXPECT_EQ((*v)->labels().precision, "int8");
  ASSERT_EQ((*v)->inputs().size(), 1u);
  EXPECT_EQ((*v)->inputs()[0].shape, (ir::Shape{ir::kDynamicDim, 4}));
  ASSERT_EQ((*v)->outputs().size(), 1u);
  EXPECT_EQ((*v)->outputs()[0].name, "probs");
  EXPECT_EQ((*v)->outputs()[0].shape, (ir::Shape{ir::kDynamicDim, 3}));
  // Warm-up bound batch 1 and the maximum batch; the series exist at zero.
  EXPECT_EQ(MetricValue(metrics,
                        "fixpoint_inference_requests_total{code=\"OK\",model=\"small\","
                        "precision=\"int8\",version=\"3\"}"),
            0);
  EXPECT_EQ(MetricValue(metrics, "fixpoint_artifact_bytes{model=\"small\",version=\"3\"}"), 1234);

  absl::Notification done;
  absl::StatusOr<std::vector<ir::Tensor>> out;
  std::vector<ir::Tensor> in;
  in.push_back(SmallInput(2, 1.f));
  ASSERT_TRUE((*v)->batcher()
                  .Submit(std::move(in),
                          [&](absl::StatusOr<std::vector<ir::Tensor>> o) {
                            out = std::move(o);
                            done.Notify();
                          })
                  .ok());
  done.WaitForNotification();
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].shape(), (ir::Shape{2, 3}));
}

// Runs `inputs` through the version's batcher and waits.
absl::StatusOr<std::vector<ir::Tensor>> Infer(const LoadedVersion& v, ir::Tensor input) {
  absl::Notification done;
  absl::StatusOr<std::vector<ir::Tensor>> out;
  std::vector<ir::Tensor> in;
  in.push_back(std::move(input));
  absl::Status s =
      v.batcher().Submit(std::move(in), [&](absl::StatusOr<std::vector<ir::Tensor>> o) {
        out = std::move(o);
        done.Notify();
      });
  if (!s.ok()) return s;
  done.WaitForNotification();
  return out;
}

TEST(LoadedVersionTest, ServesAQuantizedQdqGraphWithInt8Kernels) {
  io::Dataset calibration;
  calibration.images = SmallInput(64, 0.25f);
  quant::QuantizeOptions qo;
  qo.num_images = 64;
  qo.batch_size = 16;
  qo.threads = 1;
  auto q = quant::Quantize(SmallClassifier(), calibration, qo);
  ASSERT_TRUE(q.ok()) << q.status();

  Metrics metrics;
  store::VersionInfo info = SmallVersionInfo("small", 2);
  info.precision = store::Precision::kInt8;
  auto int8 = LoadedVersion::Create(info, q->graph, {}, metrics);
  ASSERT_TRUE(int8.ok()) << int8.status();
  auto fp32 = LoadedVersion::Create(SmallVersionInfo("small", 1), SmallClassifier(), {}, metrics);
  ASSERT_TRUE(fp32.ok()) << fp32.status();
  // The int8 session runs integer kernels, not the float simulation.
  bool integer_op = false;
  for (const ir::Node& n : (*int8)->session().graph().nodes) {
    if (n.op_type.rfind("QLinear", 0) == 0 || n.op_type == "QGemm") {
      integer_op = true;
    }
  }
  EXPECT_TRUE(integer_op) << "no integer op after lowering";

  ir::Tensor x = SmallInput(4, 0.25f);
  auto a = Infer(**int8, x);
  auto b = Infer(**fp32, x);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status() << b.status();
  for (int64_t i = 0; i < (*b)[0].NumElements(); ++i) {
    EXPECT_NEAR((*a)[0].data<float>()[i], (*b)[0].data<float>()[i], 0.05) << i;
  }
}

TEST(LoadedVersionTest, ErrorsNameTheVersion) {
  Metrics metrics;
  ir::Graph g = SmallClassifier();
  g.nodes[0].op_type = "NoSuchOp";
  auto v = LoadedVersion::Create(SmallVersionInfo("small", 4), std::move(g), {}, metrics);
  EXPECT_FALSE(v.ok());
  EXPECT_THAT(std::string(v.status().message()), HasSubstr("model 'small' version 4: "));
}

}  // namespace
}  // namespace fixpoint::server
