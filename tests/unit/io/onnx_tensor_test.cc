#include "core/io/onnx_tensor.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "onnx/onnx_pb.h"
#include "tests/unit/io/onnx_test_util.h"

namespace fixpoint::io {
namespace {

using testing::F32Tensor;
using ::testing::HasSubstr;
using testing::I64Tensor;

absl::StatusOr<ir::Tensor> Parse(const onnx::TensorProto& t) {
  return ParseOnnxTensor(t.SerializeAsString());
}

TEST(OnnxTensorTest, F32RawAndTypedAgree) {
  const std::vector<float> values = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, -0.5f};
  auto raw = Parse(F32Tensor("w", {2, 3}, values, /*raw=*/true));
  auto typed = Parse(F32Tensor("w", {2, 3}, values, /*raw=*/false));
  ASSERT_TRUE(raw.ok()) << raw.status();
  ASSERT_TRUE(typed.ok()) << typed.status();
  for (const ir::Tensor* t : {&*raw, &*typed}) {
    EXPECT_EQ(t->dtype(), ir::DType::kF32);
    EXPECT_EQ(t->shape(), ir::Shape({2, 3}));
    for (int i = 0; i < 6; ++i) EXPECT_EQ(t->data<float>()[i], values[i]);
  }
}

TEST(OnnxTensorTest, I64RawAndTypedAgree) {
  const std::vector<int64_t> values = {-1, 0, int64_t{1} << 40};
  auto raw = Parse(I64Tensor("s", {3}, values, true));
  auto typed = Parse(I64Tensor("s", {3}, values, false));
  ASSERT_TRUE(raw.ok()) << raw.status();
  ASSERT_TRUE(typed.ok()) << typed.status();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(raw->data<int64_t>()[i], values[i]);
    EXPECT_EQ(typed->data<int64_t>()[i], values[i]);
  }
}

TEST(OnnxTensorTest, Int32DataCarriesSmallTypes) {
  onnx::TensorProto t;
  t.set_data_type(onnx::TensorProto::INT8);
  t.add_dims(3);
  for (int v : {-128, 0, 127}) t.add_int32_data(v);
  auto i8 = Parse(t);
  ASSERT_TRUE(i8.ok()) << i8.status();
  EXPECT_EQ(i8->dtype(), ir::DType::kI8);
  EXPECT_EQ(i8->data<int8_t>()[0], -128);
  EXPECT_EQ(i8->data<int8_t>()[2], 127);

  t.set_data_type(onnx::TensorProto::UINT8);
  t.set_int32_data(0, 255);
  auto u8 = Parse(t);
  ASSERT_TRUE(u8.ok()) << u8.status();
  EXPECT_EQ(u8->data<uint8_t>()[0], 255);

  onnx::TensorProto h;
  h.set_data_type(onnx::TensorProto::FLOAT16);
  h.add_dims(2);
  h.add_int32_data(ir::FloatToHalf(1.5f));
  h.add_int32_data(ir::FloatToHalf(-2.0f));
  auto f16 = Parse(h);
  ASSERT_TRUE(f16.ok()) << f16.status();
  EXPECT_EQ(f16->GetAsDouble(0), 1.5);
  EXPECT_EQ(f16->GetAsDouble(1), -2.0);

  onnx::TensorProto b;
  b.set_data_type(onnx::TensorProto::BOOL);
  b.add_dims(2);
  b.add_int32_data(1);
  b.add_int32_data(0);
  auto boolean = Parse(b);
  ASSERT_TRUE(boolean.ok()) << boolean.status();
  EXPECT_EQ(boolean->data<uint8_t>()[0], 1);
  EXPECT_EQ(boolean->data<uint8_t>()[1], 0);
}

TEST(OnnxTensorTest, Int32DataOutOfRangeIsRefused) {
  onnx::TensorProto t;
  t.set_name("q");
  t.set_data_type(onnx::TensorProto::INT8);
  t.add_dims(1);
  t.add_int32_data(300);
  auto r = Parse(t);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("out of range for i8"));
}

TEST(OnnxTensorTest, ScalarAndEmpty) {
  auto scalar = Parse(I64Tensor("k", {}, {42}));
  ASSERT_TRUE(scalar.ok()) << scalar.status();
  EXPECT_EQ(scalar->shape().rank(), 0);
  EXPECT_EQ(scalar->data<int64_t>()[0], 42);
  auto empty = Parse(F32Tensor("e", {0, 3}, {}));
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->NumElements(), 0);
}

TEST(OnnxTensorTest, RawDataSizeMismatch) {
  onnx::TensorProto t = F32Tensor("w", {2, 3}, {1, 2, 3, 4, 5, 6}, true);
  t.mutable_raw_data()->resize(20);
  auto r = Parse(t);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(),
              HasSubstr("tensor 'w': raw_data has 20 bytes but f32[2,3] needs 24"));
}

TEST(OnnxTensorTest, TypedCountMismatch) {
  auto r = Parse(F32Tensor("w", {4}, {1, 2, 3}));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("float_data holds 3 values but dims have 4"));
}

TEST(OnnxTensorTest, NegativeDimIsRefused) {
  auto r = Parse(F32Tensor("w", {2, -3}, {}));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("negative dimension -3 at index 1"));
}

TEST(OnnxTensorTest, HugeDimsDoNotOverflowOrAllocate) {
  auto r = Parse(F32Tensor("w", {int64_t{1} << 40, int64_t{1} << 40}, {1}));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("too many elements"));
  // Large but representable: refused because the data is missing, not by
  // allocating terabytes.
  auto big = Parse(F32Tensor("w", {int64_t{1} << 20, int64_t{1} << 20}, {}, true));
  EXPECT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(big.status().message(), HasSubstr("no data"));
}

TEST(OnnxTensorTest, DataInWrongField) {
  onnx::TensorProto t = I64Tensor("s", {2}, {1, 2});
  t.set_data_type(onnx::TensorProto::FLOAT);
  auto r = Parse(t);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("expects float_data or raw_data, found int64_data"));
}

TEST(OnnxTensorTest, UnsupportedDtypesAreNamed) {
  onnx::TensorProto d;
  d.set_name("dbl");
  d.set_data_type(onnx::TensorProto::DOUBLE);
  d.add_dims(1);
  d.add_double_data(1.0);
  auto r = Parse(d);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(r.status().message(),
              HasSubstr("tensor 'dbl': element type DOUBLE is not supported"));

  onnx::TensorProto s;
  s.set_name("str");
  s.set_data_type(onnx::TensorProto::STRING);
  s.add_string_data("x");
  EXPECT_THAT(Parse(s).status().message(), HasSubstr("STRING is not supported"));

  onnx::TensorProto u;
  u.set_data_type(0);
  EXPECT_EQ(Parse(u).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(OnnxTensorTest, ExternalDataIsRefused) {
  onnx::TensorProto t = F32Tensor("w", {2}, {});
  t.set_data_location(onnx::TensorProto::EXTERNAL);
  auto* kv = t.add_external_data();
  kv->set_key("location");
  kv->set_value("weights.bin");
  auto r = Parse(t);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(r.status().message(), HasSubstr("external data (in 'weights.bin')"));
}

TEST(OnnxTensorTest, MalformedBytes) {
  auto r = ParseOnnxTensor("\xff\xff\xff\xff garbage");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("not a valid onnx.TensorProto"));
  EXPECT_EQ(OnnxTensorName("\xff\xff").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(OnnxTensorTest, NameAndFile) {
  const onnx::TensorProto t = F32Tensor("input_name", {1}, {3.0f});
  auto name = OnnxTensorName(t.SerializeAsString());
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(*name, "input_name");

  const std::string path =
      (std::filesystem::temp_directory_path() / "fp_onnx_tensor_test.pb").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << t.SerializeAsString();
  }
  auto read = ReadOnnxTensorFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->data<float>()[0], 3.0f);
  std::remove(path.c_str());
  EXPECT_EQ(ReadOnnxTensorFile(path).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace fixpoint::io
