// Geometry that overflows int64 or exceeds the 2^40 element limit in the ops
// of infer_conv_pool.cc (Conv, ConvTranspose, the pools): INVALID_ARGUMENT
// naming the node, op and dim or attribute; large shapes within the limit
// still infer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "tests/unit/ir/infer_test_util.h"

namespace fixpoint::ir {
namespace {

using ::fixpoint::ir::testing::InferOp;
using ::fixpoint::ir::testing::V;
using Ints = std::vector<int64_t>;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t k20 = int64_t{1} << 20;
constexpr int64_t k21 = int64_t{1} << 21;
constexpr int64_t k39 = int64_t{1} << 39;
constexpr int64_t k40 = int64_t{1} << 40;
constexpr int64_t k62 = int64_t{1} << 62;

void ExpectInvalid(const absl::Status& status, const std::string& message) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(std::string(status.message()), message);
}

TEST(ConvPoolOverflowTest, GeometryAttributesAreBounded) {
  ExpectInvalid(InferOp("MaxPool", {V({1, 1, 8})}, {{"kernel_shape", Ints{k40 + 1}}}).status(),
                "MaxPool 'n': attribute 'kernel_shape' = [1099511627777]: values must be <= 2^40 "
                "(the element limit of a tensor)");
  ExpectInvalid(
      InferOp("AveragePool", {V({1, 1, 8})}, {{"kernel_shape", Ints{2}}, {"pads", Ints{kMax, 0}}})
          .status(),
      "AveragePool 'n': attribute 'pads' = [9223372036854775807,0]: values must be <= 2^40 (the "
      "element limit of a tensor)");
  ExpectInvalid(InferOp("Conv", {V({1, 1, 8}), V({1, 1, 3})}, {{"strides", Ints{kMax}}}).status(),
                "Conv 'n': attribute 'strides' = [9223372036854775807]: values must be <= 2^40 "
                "(the element limit of a tensor)");
}

TEST(ConvPoolOverflowTest, KernelExtent) {
  ExpectInvalid(
      InferOp("MaxPool", {V({1, 1, 8})}, {{"kernel_shape", Ints{k21}}, {"dilations", Ints{k20}}})
          .status(),
      "MaxPool 'n': spatial dim 0: kernel extent (kernel_shape - 1) x dilation: 2097151 x 1048576 "
      "is more than 2^40 (the element limit of a tensor)");
}

TEST(ConvPoolOverflowTest, OutputDimBeyondTheLimit) {
  ExpectInvalid(InferOp("AveragePool", {V({1, 1, k40})},
                        {{"kernel_shape", Ints{1}}, {"pads", Ints{k40, k40}}})
                    .status(),
                "AveragePool 'n': spatial dim 0 of the output would be 3298534883328, more than "
                "2^40 (the element limit of a tensor)");
}

TEST(ConvPoolOverflowTest, GroupTimesChannels) {
  // 2 x 2^62 used to wrap to INT64_MIN.
  ExpectInvalid(InferOp("Conv", {V({1, 4, 8, 8}), V({2, 2, 3, 3})}, {{"group", k62}}).status(),
                "Conv 'n': input channels 4 != weight channels 2 x group 4611686018427387904 "
                "(input [1,4,8,8], weight [2,2,3,3])");
  ExpectInvalid(InferOp("ConvTranspose", {V({1, 1, 4}), V({1, 2, 3})}, {{"group", k62}}).status(),
                "ConvTranspose 'n': output channels (weight dim 1 x group): 2 x "
                "4611686018427387904 is more than 2^40 (the element limit of a tensor)");
}

TEST(ConvPoolOverflowTest, ConvTransposeStrides) {
  ExpectInvalid(
      InferOp("ConvTranspose", {V({1, 1, k21}), V({1, 1, 1})}, {{"strides", Ints{k20}}}).status(),
      "ConvTranspose 'n': spatial dim 0 of the output: stride x (in - 1): 1048576 x 2097151 is "
      "more than 2^40 (the element limit of a tensor)");
  ExpectInvalid(InferOp("ConvTranspose", {V({1, 1, k21}), V({1, 1, 1})},
                        {{"strides", Ints{k20}}, {"auto_pad", std::string("SAME_UPPER")}})
                    .status(),
                "ConvTranspose 'n': spatial dim 0 of the output: in x stride: 2097152 x 1048576 "
                "is more than 2^40 (the element limit of a tensor)");
  ExpectInvalid(
      InferOp("ConvTranspose", {V({1, 1, 4}), V({1, 1, 1})}, {{"output_shape", Ints{kMax}}})
          .status(),
      "ConvTranspose 'n': attribute 'output_shape' = [9223372036854775807]: values must "
      "be <= 2^40 (the element limit of a tensor)");
}

TEST(ConvPoolOverflowTest, LargeValidShapes) {
  EXPECT_EQ(
      *InferOp("MaxPool", {V({1, 1, k40})}, {{"kernel_shape", Ints{2}}, {"strides", Ints{2}}}),
      Shape({1, 1, k39}));
  EXPECT_EQ(*InferOp("Conv", {V({1, 1, k40}), V({1, 1, 3})}), Shape({1, 1, k40 - 2}));
  // k20 x (k20 - 1) + 1 + (k20 - 1) = 2^40 exactly.
  EXPECT_EQ(*InferOp("ConvTranspose", {V({1, 1, k20}), V({1, 1, 1})},
                     {{"strides", Ints{k20}}, {"output_padding", Ints{k20 - 1}}}),
            Shape({1, 1, k40}));
  EXPECT_EQ(*InferOp("ConvTranspose", {V({1, 1, k20}), V({1, 1, 1})},
                     {{"strides", Ints{k20}}, {"output_shape", Ints{k40}}}),
            Shape({1, 1, k40}));
}

}  // namespace
}  // namespace fixpoint::ir
