// TensorProto decoding: tensor_content, typed fields (with TensorFlow's
// repeat-the-last-value rule), half_val, and precise errors.
#include "core/io/tf_tensor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "proto/tensorflow/types.pb.h"
#include "tests/unit/tf/tf_test_util.h"

namespace fixpoint::io {
namespace {

using testing::FloatTensor;
using ::testing::HasSubstr;
using testing::SetShape;

constexpr size_t kMax = size_t{1} << 30;

tfproto::TensorProto Proto(tfproto::DataType dtype, const std::vector<int64_t>& dims) {
  tfproto::TensorProto t;
  t.set_dtype(dtype);
  SetShape(t.mutable_tensor_shape(), dims);
  return t;
}

TEST(TfTensorTest, TensorContentIsCopied) {
  auto t = TensorFromTf(FloatTensor({2, 2}, {1, 2, 3, 4}), "c", kMax);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->shape().ToString(), "[2,2]");
  EXPECT_EQ(t->data<float>()[3], 4.0f);
}

TEST(TfTensorTest, TypedFieldsRepeatTheLastValue) {
  tfproto::TensorProto p = Proto(tfproto::DT_INT32, {4});
  p.add_int_val(7);
  p.add_int_val(9);
  auto t = TensorFromTf(p, "c", kMax);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->dtype(), ir::DType::kI32);
  EXPECT_EQ(std::vector<int32_t>(t->data<int32_t>(), t->data<int32_t>() + 4),
            (std::vector<int32_t>{7, 9, 9, 9}));

  tfproto::TensorProto zeros = Proto(tfproto::DT_FLOAT, {3});
  auto z = TensorFromTf(zeros, "c", kMax);
  ASSERT_TRUE(z.ok()) << z.status();
  EXPECT_EQ(z->data<float>()[2], 0.0f);

  tfproto::TensorProto scalar = Proto(tfproto::DT_INT64, {});
  scalar.add_int64_val(int64_t{1} << 40);
  auto s = TensorFromTf(scalar, "c", kMax);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->shape().rank(), 0);
  EXPECT_EQ(s->data<int64_t>()[0], int64_t{1} << 40);
}

TEST(TfTensorTest, HalfValHoldsBitPatterns) {
  tfproto::TensorProto p = Proto(tfproto::DT_HALF, {2});
  p.add_half_val(ir::FloatToHalf(1.5f));
  p.add_half_val(ir::FloatToHalf(-2.0f));
  auto t = TensorFromTf(p, "c", kMax);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->dtype(), ir::DType::kF16);
  EXPECT_EQ(t->GetAsDouble(0), 1.5);
  EXPECT_EQ(t->GetAsDouble(1), -2.0);
}

TEST(TfTensorTest, BoolAndInt8AndRefTypes) {
  tfproto::TensorProto b = Proto(tfproto::DT_BOOL, {2});
  b.add_bool_val(true);
  b.add_bool_val(false);
  auto bt = TensorFromTf(b, "c", kMax);
  ASSERT_TRUE(bt.ok()) << bt.status();
  EXPECT_EQ(bt->GetAsDouble(0), 1.0);
  tfproto::TensorProto i8 = Proto(tfproto::DT_INT8, {1});
  i8.add_int_val(-5);
  EXPECT_EQ(TensorFromTf(i8, "c", kMax)->GetAsDouble(0), -5.0);
  EXPECT_EQ(*DTypeFromTf(tfproto::DT_FLOAT_REF, "x"), ir::DType::kF32);
  EXPECT_EQ(TfDTypeName(tfproto::DT_HALF), "DT_HALF");
  EXPECT_EQ(TfDTypeName(999), "data type 999");
}

TEST(TfTensorTest, MalformedTensorsAreInvalidArgument) {
  tfproto::TensorProto short_content = FloatTensor({3}, {1, 2});
  EXPECT_THAT(TensorFromTf(short_content, "const 'c'", kMax).status().message(),
              HasSubstr("const 'c': tensor_content has 8 bytes but DT_FLOAT[3] needs 12"));

  tfproto::TensorProto too_many = Proto(tfproto::DT_FLOAT, {1});
  too_many.add_float_val(1);
  too_many.add_float_val(2);
  EXPECT_THAT(TensorFromTf(too_many, "c", kMax).status().message(),
              HasSubstr("float_val holds 2 values but the shape [1] has 1"));

  tfproto::TensorProto negative = Proto(tfproto::DT_FLOAT, {-1});
  EXPECT_EQ(TensorFromTf(negative, "c", kMax).status().code(), absl::StatusCode::kInvalidArgument);

  tfproto::TensorProto huge = Proto(tfproto::DT_FLOAT, {int64_t{1} << 62, 4});
  huge.add_float_val(0);
  EXPECT_THAT(TensorFromTf(huge, "c", kMax).status().message(), HasSubstr("larger than the limit"));

  tfproto::TensorProto invalid = Proto(tfproto::DT_INVALID, {1});
  EXPECT_EQ(TensorFromTf(invalid, "c", kMax).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TfTensorTest, TypesWithoutIrDTypeAreUnimplemented) {
  for (auto dt :
       {tfproto::DT_STRING, tfproto::DT_DOUBLE, tfproto::DT_BFLOAT16, tfproto::DT_COMPLEX64}) {
    auto t = TensorFromTf(Proto(dt, {1}), "c", kMax);
    EXPECT_EQ(t.status().code(), absl::StatusCode::kUnimplemented) << TfDTypeName(dt);
    EXPECT_THAT(t.status().message(), HasSubstr(TfDTypeName(dt)));
  }
}

TEST(TfTensorTest, ShapesWithDynamicDims) {
  tfproto::TensorShapeProto s;
  SetShape(&s, {-1, 28, 28, 1});
  auto shape = ShapeFromTf(s, "x", kMax);
  ASSERT_TRUE(shape.ok()) << shape.status();
  EXPECT_EQ(shape->ToString(), "[?,28,28,1]");
  s.set_unknown_rank(true);
  EXPECT_EQ(ShapeFromTf(s, "x", kMax).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fixpoint::io
