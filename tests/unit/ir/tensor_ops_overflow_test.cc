// Dims that overflow int64 or exceed the 2^40 element limit in the ops of
// infer_tensor_ops.cc (Concat, Split, Pad, Resize) and out-of-range constant
// Gather indices: INVALID_ARGUMENT naming the node, op and dim; large shapes
// within the limit still infer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "tests/unit/ir/infer_test_util.h"

namespace fixpoint::ir {
namespace {

using ::fixpoint::ir::testing::Infer;
using ::fixpoint::ir::testing::InferOp;
using ::fixpoint::ir::testing::kDyn;
using ::fixpoint::ir::testing::MakeNode;
using ::fixpoint::ir::testing::V;
using ::testing::HasSubstr;
using Ints = std::vector<int64_t>;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t k20 = int64_t{1} << 20;
constexpr int64_t k39 = int64_t{1} << 39;
constexpr int64_t k40 = int64_t{1} << 40;
constexpr int64_t k62 = int64_t{1} << 62;

void ExpectInvalid(const absl::Status& status, const std::string& message) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(std::string(status.message()), message);
}

std::map<std::string, Attribute> Axis(int64_t axis) { return {{"axis", axis}}; }

TEST(ConcatOverflowTest, SumAlongTheAxis) {
  ExpectInvalid(InferOp("Concat", {V({1, k40}), V({1, 1})}, Axis(1)).status(),
                "Concat 'n': output dim 1 (the concat axis): 1099511627776 + 1 is more than 2^40 "
                "(the element limit of a tensor)");
  // The fuzzer's reproducer declared two [2^62] inputs; they are refused as
  // inputs already, before the sum could wrap.
  ExpectInvalid(InferOp("Concat", {V({k62}), V({k62})}, Axis(0)).status(),
                "Concat 'n': input 0 ('in0') shape [4611686018427387904] has more than 2^40 "
                "elements (dims 0..0 multiply to 4611686018427387904)");
  EXPECT_EQ(*InferOp("Concat", {V({k39}), V({k39})}, Axis(0)), Shape({k40}));
  EXPECT_EQ(*InferOp("Concat", {V({kDyn}), V({k40})}, Axis(0)), Shape({kDyn}));
}

TEST(SplitOverflowTest, SumOfParts) {
  Node node = MakeNode("Split", 1, {{"split", Ints{k62, k62}}}, 2);
  ExpectInvalid(Infer(node, {V({kDyn})}).status(),
                "Split 'n': sum of attribute 'split': 0 + 4611686018427387904 is more than 2^40 "
                "(the element limit of a tensor)");
  Node large = MakeNode("Split", 1, {{"split", Ints{k39, k39}}}, 2);
  auto out = Infer(large, {V({k40})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[1].shape, Shape({k39}));
}

TEST(PadOverflowTest, PadsAreBoundedAndTheOutputChecked) {
  ExpectInvalid(InferOp("Pad", {V({4})}, {{"pads", Ints{kMax, 1}}}).status(),
                "Pad 'n': attribute 'pads' has value 9223372036854775807, outside [-2^40, 2^40] "
                "(the element limit of a tensor)");
  ExpectInvalid(InferOp("Pad", {V({4})}, {{"pads", Ints{kMin, kMax}}}).status(),
                "Pad 'n': attribute 'pads' has value -9223372036854775808, outside [-2^40, 2^40] "
                "(the element limit of a tensor)");
  ExpectInvalid(InferOp("Pad", {V({kDyn, 1})}, {{"pads", Ints{0, k40, 0, 0}}}).status(),
                "Pad 'n': output dim 1 (1 + pads 1099511627776 + 0) would be 1099511627777, more "
                "than 2^40 (the element limit of a tensor)");
  EXPECT_EQ(*InferOp("Pad", {V({1, k20})}, {{"pads", Ints{0, 0, 0, k40 - k20}}}), Shape({1, k40}));
  EXPECT_EQ(*InferOp("Pad", {V({4})}, {{"pads", Ints{-k40, k40}}}), Shape({4}));
}

TEST(ResizeOverflowTest, ScaledDimsAreCheckedBeforeConversion) {
  ExpectInvalid(
      InferOp("Resize", {V({1, k20})}, {{"scales", std::vector<float>{1, 1e30f}}}).status(),
      "Resize 'n': output dim 1: 1048576 x scales[1] = 1e+30 is more than 2^40 (the element "
      "limit of a tensor)");
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_THAT(
      InferOp("Resize", {V({1, 2})}, {{"scales", std::vector<float>{1, inf}}}).status().message(),
      HasSubstr("output dim 1: 2 x scales[1] = inf is more than 2^40"));
  EXPECT_THAT(InferOp("Resize", {V({1, 2})}, {{"sizes", Ints{1, k40 + 1}}}).status().message(),
              HasSubstr("Resize 'n': output 0 ('out0') shape [1,1099511627777] has more than "
                        "2^40 elements"));
  EXPECT_EQ(*InferOp("Resize", {V({1, k20})}, {{"scales", std::vector<float>{1, 1048576.0f}}}),
            Shape({1, k40}));
}

TEST(GatherOverflowTest, ExtremeConstantIndicesAreOutOfRange) {
  Node node = MakeNode("Gather", 2);
  // Read exactly: through double, INT64_MAX rounds to 2^63 (no int64).
  Tensor indices = Tensor::FromI64(Shape({2}), std::vector<int64_t>{0, kMax});
  ExpectInvalid(Infer(node, {V({5, 6}), V({2}, DType::kI64)}, {nullptr, &indices}).status(),
                "Gather 'n': index 9223372036854775807 is out of range for axis of size 5");
  Tensor lowest = Tensor::FromI64(Shape({1}), std::vector<int64_t>{kMin});
  EXPECT_FALSE(Infer(node, {V({5, 6}), V({1}, DType::kI64)}, {nullptr, &lowest}).ok());
  Tensor edges = Tensor::FromI64(Shape({2}), std::vector<int64_t>{-5, 4});
  EXPECT_TRUE(Infer(node, {V({5, 6}), V({2}, DType::kI64)}, {nullptr, &edges}).ok());
}

}  // namespace
}  // namespace fixpoint::ir
