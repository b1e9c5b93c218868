// Shape and dtype inference of QuantizeLinear / DequantizeLinear: output
// dtypes, per-tensor and per-axis scales, and the errors for malformed scale,
// zero point and axis.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/ir/verifier.h"
#include "tests/unit/ir/infer_test_util.h"

namespace fixpoint::ir::testing {
namespace {

using ::testing::HasSubstr;

// The single output of `op` on `ins`, or the error.
absl::StatusOr<ValueInfo> InferOut(const std::string& op, const std::vector<ValueInfo>& ins,
                                   std::map<std::string, Attribute> attrs = {}) {
  Node node = MakeNode(op, static_cast<int>(ins.size()), std::move(attrs));
  auto out = Infer(node, ins);
  if (!out.ok()) return out.status();
  return (*out)[0];
}

void ExpectInvalid(const absl::StatusOr<ValueInfo>& r, const std::string& op,
                   const std::string& fragment) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr(op + " 'n'"));
  EXPECT_THAT(r.status().message(), HasSubstr(fragment));
}

const ValueInfo kScalarScale = V(Shape(), DType::kF32);

TEST(QuantInferTest, QuantizeOutputTakesZeroPointDType) {
  auto q = InferOut("QuantizeLinear", {V({2, 3}), kScalarScale, V(Shape(), DType::kI8)});
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->dtype, DType::kI8);
  EXPECT_EQ(q->shape, Shape({2, 3}));
  q = InferOut("QuantizeLinear", {V({kDyn, 3}), kScalarScale, V(Shape(), DType::kU8)});
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->dtype, DType::kU8);
  EXPECT_EQ(q->shape, Shape({kDyn, 3}));
}

TEST(QuantInferTest, QuantizeWithoutZeroPointIsU8) {
  auto q = InferOut("QuantizeLinear", {V({4}), kScalarScale});
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->dtype, DType::kU8);
  // i32 X is allowed too (ONNX T1).
  q = InferOut("QuantizeLinear", {V({4}, DType::kI32), kScalarScale});
  ASSERT_TRUE(q.ok()) << q.status();
}

TEST(QuantInferTest, DequantizeIsF32) {
  for (DType t : {DType::kI8, DType::kU8, DType::kI32}) {
    auto d = InferOut("DequantizeLinear", {V({1, 3, 2}, t), kScalarScale, V(Shape(), t)});
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->dtype, DType::kF32);
    EXPECT_EQ(d->shape, Shape({1, 3, 2}));
  }
  auto d = InferOut("DequantizeLinear", {V({5}, DType::kI8), kScalarScale});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->dtype, DType::kF32);
}

TEST(QuantInferTest, PerAxisScaleMatchesDimAtAxis) {
  const ValueInfo x = V({2, 3, 4});
  for (auto [axis, size] :
       std::vector<std::pair<int64_t, int64_t>>{{0, 2}, {1, 3}, {2, 4}, {-1, 4}, {-3, 2}}) {
    auto q = InferOut("QuantizeLinear", {x, V({size}), V({size}, DType::kI8)}, {{"axis", axis}});
    EXPECT_TRUE(q.ok()) << "axis " << axis << ": " << q.status();
    auto d =
        InferOut("DequantizeLinear", {V({2, 3, 4}, DType::kU8), V({size}), V({size}, DType::kU8)},
                 {{"axis", axis}});
    EXPECT_TRUE(d.ok()) << "axis " << axis << ": " << d.status();
  }
  // Default axis 1; the attribute is left as written (not normalized).
  Node node = MakeNode("QuantizeLinear", 2, {{"axis", int64_t{-1}}});
  ASSERT_TRUE(Infer(node, {x, V({4})}).ok());
  EXPECT_EQ(node.GetInt("axis", 0).value_or(0), -1);
  EXPECT_TRUE(InferOut("QuantizeLinear", {x, V({3})}).ok());
  // A dynamic dim accepts any size; a one-element scale acts as a scalar.
  EXPECT_TRUE(InferOut("QuantizeLinear", {V({kDyn, 3}), V({7})}, {{"axis", int64_t{0}}}).ok());
  EXPECT_TRUE(InferOut("QuantizeLinear", {x, V({1}), V({1}, DType::kI8)}).ok());
}

TEST(QuantInferTest, BadScaleShapeIsInvalid) {
  const ValueInfo x = V({2, 3, 4});
  ExpectInvalid(InferOut("QuantizeLinear", {x, V({4})}), "QuantizeLinear",
                "scale has 4 elements but dim 1 (axis 1) of input [2,3,4] is 3");
  ExpectInvalid(
      InferOut("DequantizeLinear", {V({2, 3, 4}, DType::kI8), V({3})}, {{"axis", int64_t{-1}}}),
      "DequantizeLinear", "scale has 3 elements but dim 2 (axis -1)");
  ExpectInvalid(InferOut("QuantizeLinear", {x, V({3, 1})}), "QuantizeLinear",
                "must be a scalar or 1-D");
}

TEST(QuantInferTest, AxisOutOfRangeIsInvalidOnlyForPerAxisScales) {
  ExpectInvalid(InferOut("QuantizeLinear", {V({2, 3}), V({3})}, {{"axis", int64_t{2}}}),
                "QuantizeLinear", "axis 2 is out of range for rank 2");
  ExpectInvalid(
      InferOut("DequantizeLinear", {V({2, 3}, DType::kI8), V({2})}, {{"axis", int64_t{-3}}}),
      "DequantizeLinear", "axis -3 is out of range");
  // Opset-10 shape: rank-1 X, scalar scale, default axis 1.
  EXPECT_TRUE(InferOut("QuantizeLinear", {V({6}), kScalarScale, V(Shape(), DType::kU8)}).ok());
  EXPECT_TRUE(InferOut("DequantizeLinear", {V(Shape(), DType::kU8), kScalarScale}).ok());
}

TEST(QuantInferTest, ZeroPointMustMatchScaleShapeAndDType) {
  const ValueInfo x = V({2, 3});
  ExpectInvalid(InferOut("QuantizeLinear", {x, V({3}), V(Shape(), DType::kI8)}), "QuantizeLinear",
                "zero_point shape [] differs from scale shape [3]");
  ExpectInvalid(InferOut("QuantizeLinear", {x, kScalarScale, V(Shape(), DType::kI32)}),
                "QuantizeLinear", "zero_point has dtype i32, expected i8 or u8");
  ExpectInvalid(
      InferOut("DequantizeLinear", {V({2}, DType::kU8), kScalarScale, V(Shape(), DType::kI8)}),
      "DequantizeLinear", "input 2 has dtype i8, expected u8");
}

TEST(QuantInferTest, WrongDTypesAreInvalid) {
  ExpectInvalid(InferOut("QuantizeLinear", {V({2}, DType::kI8), kScalarScale}), "QuantizeLinear",
                "input 0 has dtype i8, expected f32 or i32");
  ExpectInvalid(InferOut("DequantizeLinear", {V({2}), kScalarScale}), "DequantizeLinear",
                "input 0 has dtype f32, expected i8, u8 or i32");
  ExpectInvalid(InferOut("QuantizeLinear", {V({2}), V(Shape(), DType::kI64)}), "QuantizeLinear",
                "input 1 has dtype i64, expected f32");
}

TEST(QuantInferTest, ArityIsTwoOrThreeInputs) {
  ExpectInvalid(InferOut("QuantizeLinear", {V({2})}), "QuantizeLinear", "has 1 inputs");
}

// x -> QuantizeLinear -> DequantizeLinear -> y with per-axis initializers.
TEST(QuantInferTest, QdqGraphInfersAndVerifies) {
  Graph g;
  g.inputs = {ValueInfo{"x", DType::kF32, Shape({kDyn, 3, 2, 2})}};
  g.outputs = {ValueInfo{"y", DType::kF32, Shape()}};
  g.initializers["s"] = Tensor(DType::kF32, Shape({3}));
  g.initializers["zp"] = Tensor(DType::kI8, Shape({3}));
  Node q = MakeNode("QuantizeLinear", 0);
  q.name = "q";
  q.inputs = {"x", "s", "zp"};
  q.outputs = {"xq"};
  Node dq = MakeNode("DequantizeLinear", 0);
  dq.name = "dq";
  dq.inputs = {"xq", "s", "zp"};
  dq.outputs = {"y"};
  g.nodes = {q, dq};
  ASSERT_TRUE(InferShapes(g).ok());
  EXPECT_TRUE(VerifyGraph(g).ok());
  EXPECT_EQ(g.FindValueInfo("xq")->dtype, DType::kI8);
  EXPECT_EQ(g.FindValueInfo("y")->dtype, DType::kF32);
  EXPECT_EQ(g.FindValueInfo("y")->shape, Shape({kDyn, 3, 2, 2}));

  g.initializers["s"] = Tensor(DType::kF32, Shape({2}));  // dim 1 is 3
  g.initializers["zp"] = Tensor(DType::kI8, Shape({2}));
  const absl::Status bad = InferShapes(g);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.message(), HasSubstr("QuantizeLinear 'q': scale has 2 elements"));
}

}  // namespace
}  // namespace fixpoint::ir::testing
