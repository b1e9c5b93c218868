// ONNX QuantizeLinear / DequantizeLinear (opsets 10 and 13) import to the
// canonical form of docs/IR_OPS.md (scale and zero point stay constant
// inputs), run through the reference runtime, and computed scales or zero
// points are refused.
#include <cstring>

#include "core/io/onnx_importer.h"
#include "core/runtime/session.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/io/onnx_test_util.h"

namespace fixpoint::io {
namespace {

using testing::F32Tensor;
using testing::FindNode;
using ::testing::HasSubstr;
using testing::ModelBuilder;

// An int8 or uint8 initializer (raw_data, as exporters write them).
template <typename T>
onnx::TensorProto ByteTensor(const std::string& name, const std::vector<int64_t>& dims,
                             const std::vector<T>& values) {
  static_assert(sizeof(T) == 1);
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(std::is_signed_v<T> ? onnx::TensorProto::INT8 : onnx::TensorProto::UINT8);
  for (int64_t d : dims) t.add_dims(d);
  t.set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size()));
  return t;
}

// Runs `g` with reference kernels on one f32 input.
absl::StatusOr<std::vector<ir::Tensor>> RunRef(ir::Graph g, ir::Shape shape,
                                               std::vector<float> values) {
  runtime::SessionOptions options;
  options.use_onednn = false;
  options.intra_op_threads = 1;
  auto session = runtime::Session::Create(std::move(g), options);
  if (!session.ok()) return session.status();
  ir::TensorView view{ir::DType::kF32, std::move(shape), values.data()};
  return (*session)->Run({&view, 1});
}

std::vector<double> Values(const ir::Tensor& t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.NumElements(); ++i) v.push_back(t.GetAsDouble(i));
  return v;
}

// x [N, 3, 2] -> QuantizeLinear(axis) -> DequantizeLinear(axis) -> y, with
// per-channel int8 parameters along dim 1.
ModelBuilder PerAxisQdq(int64_t axis) {
  ModelBuilder m(13);
  m.Input("x", {-1, 3, 2}).Output("y", {-1, 3, 2});
  m.Initializer(F32Tensor("s", {3}, {1, 2, 4}));
  m.Initializer(ByteTensor<int8_t>("zp", {3}, {0, 10, -10}));
  testing::SetInt(m.Node("QuantizeLinear", {"x", "s", "zp"}, {"q"}, "quant"), "axis", axis);
  testing::SetInt(m.Node("DequantizeLinear", {"q", "s", "zp"}, {"y"}, "dequant"), "axis", axis);
  return m;
}

TEST(OnnxQdqTest, Opset13PerAxisKeepsConstantInputsAndRuns) {
  for (int64_t axis : {1, -2}) {
    auto g = PerAxisQdq(axis).Import();
    ASSERT_TRUE(g.ok()) << g.status();
    const ir::Node* q = FindNode(*g, "QuantizeLinear");
    ASSERT_NE(q, nullptr);
    EXPECT_THAT(q->inputs, ::testing::ElementsAre("x", "s", "zp"));
    EXPECT_EQ(q->GetInt("axis", 0).value_or(0), axis);  // kept as written
    EXPECT_TRUE(g->IsInitializer("s"));
    EXPECT_EQ(g->FindValueInfo("q")->dtype, ir::DType::kI8);
    EXPECT_EQ(g->outputs[0].dtype, ir::DType::kF32);

    // Channel c: y = (clamp(round_half_even(x / s[c]) + zp[c]) - zp[c]) * s[c].
    auto out = RunRef(*std::move(g), {1, 3, 2}, {2.5f, 200, 5, 7, 10, -1000});
    ASSERT_TRUE(out.ok()) << out.status();
    // c0 (s 1, zp 0): 2.5 -> 2, 200 -> 127. c1 (s 2, zp 10): 2.5 -> 2 -> 12,
    // 3.5 -> 4 -> 14. c2 (s 4, zp -10): 2.5 -> 2 -> -8, -250 -> -128.
    EXPECT_THAT(Values((*out)[0]), ::testing::ElementsAre(2, 127, 4, 8, 8, -472));
  }
}

TEST(OnnxQdqTest, Opset10PerTensorU8) {
  ModelBuilder m(10);
  m.Input("x", {6}).Output("y", {6}, onnx::TensorProto::UINT8);
  m.Initializer(F32Tensor("s", {}, {2}));
  m.Initializer(ByteTensor<uint8_t>("zp", {}, {128}));
  m.Node("QuantizeLinear", {"x", "s", "zp"}, {"y"}, "quant");
  auto g = m.Import();
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->outputs[0].dtype, ir::DType::kU8);
  // round_half_even(x / 2) + 128, saturated to [0, 255].
  auto out = RunRef(*std::move(g), {6}, {5, 7, -5, 300, -300, 0});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Values((*out)[0]), ::testing::ElementsAre(130, 132, 126, 255, 0, 128));
}

TEST(OnnxQdqTest, ConstantNodeParametersAndAbsentZeroPoint) {
  ModelBuilder m(13);
  m.Input("x", {2}).Output("y", {2});
  m.Constant("s", F32Tensor("", {}, {0.5f}));
  m.Node("QuantizeLinear", {"x", "s"}, {"q"}, "quant");  // u8, zero point 0
  m.Node("DequantizeLinear", {"q", "s"}, {"y"}, "dequant");
  auto g = m.Import();
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->FindValueInfo("q")->dtype, ir::DType::kU8);
  auto out = RunRef(*std::move(g), {2}, {-1, 1.25f});  // -2 -> 0; 2.5 -> 2 -> 1.0
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(Values((*out)[0]), ::testing::ElementsAre(0, 1));
}

TEST(OnnxQdqTest, ComputedScaleOrZeroPointIsRefused) {
  ModelBuilder scale(13);
  scale.Input("x", {4}).Input("s", {}).Output("y", {4}, onnx::TensorProto::UINT8);
  scale.Node("QuantizeLinear", {"x", "s"}, {"y"}, "quant");
  auto g = scale.Import();
  ASSERT_EQ(g.status().code(), absl::StatusCode::kUnimplemented) << g.status();
  EXPECT_THAT(g.status().message(),
              HasSubstr("QuantizeLinear 'quant': input 1 ('s') must be a constant (scale)"));

  ModelBuilder zp(13);
  zp.Input("q", {4}, onnx::TensorProto::INT8).Input("z", {}, onnx::TensorProto::INT8);
  zp.Output("y", {4});
  zp.Initializer(F32Tensor("s", {}, {1}));
  zp.Node("DequantizeLinear", {"q", "s", "z"}, {"y"}, "dequant");
  g = zp.Import();
  ASSERT_EQ(g.status().code(), absl::StatusCode::kUnimplemented) << g.status();
  EXPECT_THAT(g.status().message(),
              HasSubstr("DequantizeLinear 'dequant': input 2 ('z') must be a constant"));
  // Given as a constant, the same model imports.
  OnnxImportOptions options;
  options.constant_inputs["z"] = ir::Tensor(ir::DType::kI8, ir::Shape());
  EXPECT_TRUE(zp.Import(options).ok());
}

TEST(OnnxQdqTest, BadScaleShapeIsInvalid) {
  ModelBuilder m(13);
  m.Input("x", {2, 3}).Output("y", {2, 3}, onnx::TensorProto::UINT8);
  m.Initializer(F32Tensor("s", {2}, {1, 1}));
  m.Node("QuantizeLinear", {"x", "s"}, {"y"}, "quant");
  auto g = m.Import();
  ASSERT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument) << g.status();
  EXPECT_THAT(g.status().message(),
              HasSubstr("QuantizeLinear 'quant': scale has 2 elements but dim 1"));
}

}  // namespace
}  // namespace fixpoint::io
