// Checked dim arithmetic, the element limit of a shape, and NumElements on
// shapes that never went through inference.
#include "core/ir/dim_math.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <new>

#include "core/ir/tensor.h"

namespace fixpoint::ir {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t k40 = int64_t{1} << 40;
constexpr int64_t k62 = int64_t{1} << 62;

TEST(CheckedArithmeticTest, ResultOrNulloptOnOverflow) {
  EXPECT_EQ(CheckedAdd(k62, k62 - 1), kMax);
  EXPECT_EQ(CheckedAdd(k62, k62), std::nullopt);
  EXPECT_EQ(CheckedAdd(kMin, -1), std::nullopt);
  EXPECT_EQ(CheckedSub(kMin + 1, 1), kMin);
  EXPECT_EQ(CheckedSub(0, kMin), std::nullopt);
  EXPECT_EQ(CheckedMul(int64_t{1} << 31, int64_t{1} << 31), k62);
  EXPECT_EQ(CheckedMul(int64_t{1} << 32, int64_t{1} << 32), std::nullopt);  // wraps to 0
  EXPECT_EQ(CheckedMul(kMin, -1), std::nullopt);
  EXPECT_EQ(CheckedMul(kMax, 0), 0);
}

TEST(CheckElementCountTest, LimitIsInclusive) {
  EXPECT_TRUE(CheckElementCount(Shape({k40}), "x").ok());
  EXPECT_TRUE(CheckElementCount(Shape({int64_t{1} << 20, int64_t{1} << 20}), "x").ok());
  EXPECT_TRUE(CheckElementCount(Shape(), "x").ok());
  absl::Status s = CheckElementCount(Shape({k40 + 1}), "graph input 'x' shape");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "graph input 'x' shape [1099511627777] has more than 2^40 elements "
            "(dims 0..0 multiply to 1099511627777)");
}

TEST(CheckElementCountTest, DynamicDimsCountAsOne) {
  EXPECT_TRUE(CheckElementCount(Shape({kDynamicDim, k40}), "x").ok());
  EXPECT_THAT(CheckElementCount(Shape({kDynamicDim, k40, 2}), "x").message(),
              HasSubstr("[?,1099511627776,2] has more than 2^40 elements (dims 0..2 multiply to "
                        "2199023255552)"));
}

TEST(CheckElementCountTest, ZerosCountAsOneSoStridesStayBounded) {
  // Empty, but its strides would still overflow.
  EXPECT_THAT(CheckElementCount(Shape({0, k62, k62}), "x").message(),
              HasSubstr("dims 0..1 without the zeros multiply to 4611686018427387904"));
  EXPECT_TRUE(CheckElementCount(Shape({0, k40}), "x").ok());
}

TEST(CheckElementCountTest, ProductBeyondInt64) {
  EXPECT_THAT(CheckElementCount(Shape({int64_t{1} << 30, kMax}), "x").message(),
              HasSubstr("(dims 0..1 overflow int64)"));
}

TEST(ShapeNumElementsTest, ExactZeroDynamicAndSaturated) {
  EXPECT_EQ(Shape({2, 3}).NumElements(), 6);
  EXPECT_EQ(Shape().NumElements(), 1);
  EXPECT_EQ(Shape({k62, k62, 0}).NumElements(), 0);
  EXPECT_EQ(Shape({0, kDynamicDim}).NumElements(), -1);
  EXPECT_EQ(Shape({k62, k62, kDynamicDim}).NumElements(), -1);
  EXPECT_EQ(Shape({k62, k62}).NumElements(), kMax);
  // 2^64 wraps to exactly 0; it must not look like an empty tensor.
  EXPECT_EQ(Shape({int64_t{1} << 32, int64_t{1} << 32}).NumElements(), kMax);
}

TEST(ShapeNumElementsTest, TensorRefusesAByteCountBeyondSizeT) {
  EXPECT_THROW(Tensor(DType::kF32, Shape({k62, k62})), std::bad_alloc);
  EXPECT_THROW(Tensor(DType::kI64, Shape({k62})), std::bad_alloc);
}

}  // namespace
}  // namespace fixpoint::ir
