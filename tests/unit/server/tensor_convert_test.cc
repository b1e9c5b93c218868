#include "server/convert/tensor_convert.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <functional>

namespace fixpoint::server {
namespace {

using inference::ModelInferRequest;
using ::testing::HasSubstr;

const std::vector<ir::ValueInfo> kImageInput = {
    {"x", ir::DType::kF32, ir::Shape{ir::kDynamicDim, 1, 28, 28}}};

std::string FloatBytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

ModelInferRequest::InferInputTensor* AddInput(ModelInferRequest* r, const std::string& name,
                                              const std::string& datatype,
                                              std::vector<int64_t> shape) {
  auto* in = r->add_inputs();
  in->set_name(name);
  in->set_datatype(datatype);
  for (int64_t d : shape) in->add_shape(d);
  return in;
}

// An FP32 [n,1,28,28] request with raw contents i * 0.001.
ModelInferRequest RawImageRequest(int64_t n) {
  ModelInferRequest r;
  AddInput(&r, "x", "FP32", {n, 1, 28, 28});
  std::vector<float> v(static_cast<size_t>(n) * 784);
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.001f * static_cast<float>(i);
  r.add_raw_input_contents(FloatBytes(v));
  return r;
}

absl::Status ConvertError(const ModelInferRequest& r,
                          const std::vector<ir::ValueInfo>& inputs = kImageInput) {
  return RequestInputsToTensors(r, inputs).status();
}

TEST(TensorConvertTest, RawFp32) {
  auto t = RequestInputsToTensors(RawImageRequest(2), kImageInput);
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->size(), 1u);
  EXPECT_EQ((*t)[0].shape(), (ir::Shape{2, 1, 28, 28}));
  EXPECT_EQ((*t)[0].dtype(), ir::DType::kF32);
  EXPECT_FLOAT_EQ((*t)[0].data<float>()[1000], 1.0f);
}

TEST(TensorConvertTest, TypedFp32EqualsRaw) {
  ModelInferRequest raw = RawImageRequest(1);
  ModelInferRequest typed;
  auto* in = AddInput(&typed, "x", "FP32", {1, 1, 28, 28});
  for (int i = 0; i < 784; ++i) in->mutable_contents()->add_fp32_contents(0.001f * i);
  auto a = RequestInputsToTensors(raw, kImageInput);
  auto b = RequestInputsToTensors(typed, kImageInput);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status() << b.status();
  EXPECT_EQ(std::memcmp((*a)[0].raw(), (*b)[0].raw(), (*a)[0].ByteSize()), 0);
}

TEST(TensorConvertTest, TypedIntegerTypes) {
  const std::vector<ir::ValueInfo> inputs = {{"a", ir::DType::kI8, ir::Shape{ir::kDynamicDim, 3}},
                                             {"b", ir::DType::kU8, ir::Shape{ir::kDynamicDim, 3}},
                                             {"c", ir::DType::kI32, ir::Shape{2}},
                                             {"d", ir::DType::kI64, ir::Shape{2}},
                                             {"e", ir::DType::kBool, ir::Shape{2}}};
  ModelInferRequest r;
  // Listed in another order than the model's: matched by name.
  auto* e = AddInput(&r, "e", "BOOL", {2});
  e->mutable_contents()->add_bool_contents(true);
  e->mutable_contents()->add_bool_contents(false);
  auto* a = AddInput(&r, "a", "INT8", {1, 3});
  for (int v : {-128, 0, 127}) a->mutable_contents()->add_int_contents(v);
  auto* b = AddInput(&r, "b", "UINT8", {1, 3});
  for (unsigned v : {0u, 128u, 255u}) b->mutable_contents()->add_uint_contents(v);
  auto* c = AddInput(&r, "c", "INT32", {2});
  c->mutable_contents()->add_int_contents(-70000);
  c->mutable_contents()->add_int_contents(70000);
  auto* d = AddInput(&r, "d", "INT64", {2});
  d->mutable_contents()->add_int64_contents(int64_t{1} << 40);
  d->mutable_contents()->add_int64_contents(-1);
  auto t = RequestInputsToTensors(r, inputs);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ((*t)[0].data<int8_t>()[0], -128);
  EXPECT_EQ((*t)[0].data<int8_t>()[2], 127);
  EXPECT_EQ((*t)[1].data<uint8_t>()[2], 255);
  EXPECT_EQ((*t)[2].data<int32_t>()[0], -70000);
  EXPECT_EQ((*t)[3].data<int64_t>()[0], int64_t{1} << 40);
  EXPECT_EQ((*t)[4].data<uint8_t>()[0], 1);
  EXPECT_EQ((*t)[4].data<uint8_t>()[1], 0);
}

TEST(TensorConvertTest, RawInt8AndUint8) {
  const std::vector<ir::ValueInfo> inputs = {{"q", ir::DType::kI8, ir::Shape{4}},
                                             {"p", ir::DType::kU8, ir::Shape{4}}};
  ModelInferRequest r;
  AddInput(&r, "q", "INT8", {4});
  AddInput(&r, "p", "UINT8", {4});
  r.add_raw_input_contents(std::string("\x80\x00\x01\x7f", 4));
  r.add_raw_input_contents(std::string("\xff\x00\x01\x02", 4));
  auto t = RequestInputsToTensors(r, inputs);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ((*t)[0].data<int8_t>()[0], -128);
  EXPECT_EQ((*t)[1].data<uint8_t>()[0], 255);
}

struct BadCase {
  std::string name;
  std::function<void(ModelInferRequest*)> mutate;
  std::string message;
};

class TensorConvertErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(TensorConvertErrorTest, InvalidArgumentNamingTheProblem) {
  ModelInferRequest r = RawImageRequest(1);
  GetParam().mutate(&r);
  absl::Status s = ConvertError(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TensorConvertErrorTest,
    ::testing::Values(
        BadCase{"ByteCount",
                [](ModelInferRequest* r) { r->mutable_raw_input_contents(0)->pop_back(); },
                "input 'x': 3136 bytes expected for shape [1,1,28,28] FP32, got 3135"},
        BadCase{"MixedRawAndTyped",
                [](ModelInferRequest* r) {
                  r->mutable_inputs(0)->mutable_contents()->add_fp32_contents(1);
                },
                "raw_input_contents is used, so input 'x' must not carry contents"},
        BadCase{"RawCount", [](ModelInferRequest* r) { r->add_raw_input_contents("abc"); },
                "raw_input_contents has 2 entries for 1 inputs"},
        BadCase{"NegativeDim",
                [](ModelInferRequest* r) { r->mutable_inputs(0)->set_shape(2, -28); },
                "input 'x': dimension 2 of shape [1,1,-28,28] is negative"},
        BadCase{"ZeroBatch", [](ModelInferRequest* r) { r->mutable_inputs(0)->set_shape(0, 0); },
                "input 'x': dimension 0 of shape [0,1,28,28] is 0"},
        BadCase{"UnknownDatatype",
                [](ModelInferRequest* r) { r->mutable_inputs(0)->set_datatype("FP99"); },
                "input 'x': unknown datatype 'FP99'"},
        BadCase{"WrongDatatype",
                [](ModelInferRequest* r) { r->mutable_inputs(0)->set_datatype("INT64"); },
                "input 'x': model expects FP32, got INT64"},
        BadCase{"Uint8ToFp32IsRefused",
                [](ModelInferRequest* r) { r->mutable_inputs(0)->set_datatype("UINT8"); },
                "input 'x': model expects FP32, got UINT8"},
        BadCase{"StaticDim", [](ModelInferRequest* r) { r->mutable_inputs(0)->set_shape(2, 27); },
                "input 'x': shape [1,1,27,28] does not match the model's [-1,1,28,28] at "
                "dimension 2"},
        BadCase{"Rank",
                [](ModelInferRequest* r) { r->mutable_inputs(0)->mutable_shape()->RemoveLast(); },
                "input 'x': shape [1,1,28] has rank 3, the model expects [-1,1,28,28] (rank 4)"},
        BadCase{"UnknownInput", [](ModelInferRequest* r) { r->mutable_inputs(0)->set_name("y"); },
                "the model has no input 'y' (inputs: 'x')"},
        BadCase{"MissingInput",
                [](ModelInferRequest* r) {
                  r->clear_inputs();
                  r->clear_raw_input_contents();
                },
                "input 'x': missing from the request"},
        BadCase{"DuplicateInput",
                [](ModelInferRequest* r) {
                  *r->add_inputs() = r->inputs(0);
                  r->add_raw_input_contents(r->raw_input_contents(0));
                },
                "input 'x': given more than once"},
        BadCase{"HugeShape",
                [](ModelInferRequest* r) { r->mutable_inputs(0)->set_shape(0, int64_t{1} << 50); },
                "is too large"}),
    [](const auto& info) { return info.param.name; });

TEST(TensorConvertTest, TypedErrors) {
  ModelInferRequest r;
  auto* in = AddInput(&r, "x", "FP32", {1, 1, 28, 28});
  for (int i = 0; i < 783; ++i) in->mutable_contents()->add_fp32_contents(0);
  EXPECT_THAT(std::string(ConvertError(r).message()),
              HasSubstr("input 'x': fp32_contents has 783 values, shape [1,1,28,28] needs 784"));

  in->mutable_contents()->Clear();
  EXPECT_THAT(std::string(ConvertError(r).message()),
              HasSubstr("input 'x': no data: neither raw_input_contents nor contents is set"));

  for (int i = 0; i < 784; ++i) in->mutable_contents()->add_int_contents(0);
  EXPECT_THAT(std::string(ConvertError(r).message()),
              HasSubstr("input 'x': FP32 values go in fp32_contents, but int_contents is set"));

  const std::vector<ir::ValueInfo> i8 = {{"q", ir::DType::kI8, ir::Shape{2}}};
  ModelInferRequest q;
  auto* qin = AddInput(&q, "q", "INT8", {2});
  qin->mutable_contents()->add_int_contents(5);
  qin->mutable_contents()->add_int_contents(300);
  absl::Status s = ConvertError(q, i8);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("input 'q': int_contents[1] = 300 is out of range for INT8"));

  const std::vector<ir::ValueInfo> f16 = {{"h", ir::DType::kF16, ir::Shape{1}}};
  ModelInferRequest h;
  AddInput(&h, "h", "FP16", {1})->mutable_contents()->add_fp32_contents(1);
  EXPECT_THAT(std::string(ConvertError(h, f16).message()),
              HasSubstr("FP16 has no typed contents field; send it in raw_input_contents"));
}

TEST(TensorConvertTest, SelectOutputs) {
  const std::vector<ir::ValueInfo> outputs = {{"logits", ir::DType::kF32, ir::Shape{}},
                                              {"probs", ir::DType::kF32, ir::Shape{}}};
  ModelInferRequest r;
  auto all = SelectOutputs(r, outputs);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, (std::vector<int>{0, 1}));
  r.add_outputs()->set_name("probs");
  auto one = SelectOutputs(r, outputs);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, (std::vector<int>{1}));
  r.add_outputs()->set_name("probs");
  EXPECT_THAT(std::string(SelectOutputs(r, outputs).status().message()),
              HasSubstr("output 'probs' is requested more than once"));
  r.mutable_outputs(1)->set_name("nope");
  absl::Status s = SelectOutputs(r, outputs).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("the model has no output 'nope' (outputs: 'logits', 'probs')"));
}

TEST(TensorConvertTest, AppendOutputsWritesRawBytes) {
  const std::vector<ir::ValueInfo> outputs = {{"a", ir::DType::kF32, ir::Shape{}},
                                              {"b", ir::DType::kI64, ir::Shape{}}};
  std::vector<ir::Tensor> values;
  values.push_back(ir::Tensor::FromF32(ir::Shape{1, 2}, std::vector<float>{1.5f, -2.f}));
  values.push_back(ir::Tensor::FromI64(ir::Shape{1}, std::vector<int64_t>{7}));
  inference::ModelInferResponse response;
  const std::vector<int> selected = {1, 0};
  const std::vector<ir::TensorView> views = {values[0].view(), values[1].view()};
  AppendOutputs(views, outputs, selected, &response);
  ASSERT_EQ(response.outputs_size(), 2);
  EXPECT_EQ(response.outputs(0).name(), "b");
  EXPECT_EQ(response.outputs(0).datatype(), "INT64");
  EXPECT_EQ(response.outputs(1).name(), "a");
  EXPECT_EQ(response.outputs(1).datatype(), "FP32");
  EXPECT_EQ(
      std::vector<int64_t>(response.outputs(1).shape().begin(), response.outputs(1).shape().end()),
      (std::vector<int64_t>{1, 2}));
  ASSERT_EQ(response.raw_output_contents_size(), 2);
  float got[2];
  ASSERT_EQ(response.raw_output_contents(1).size(), sizeof(got));
  std::memcpy(got, response.raw_output_contents(1).data(), sizeof(got));
  EXPECT_EQ(got[0], 1.5f);
  EXPECT_EQ(got[1], -2.f);
}

TEST(TensorConvertTest, DatatypeNamesRoundTrip) {
  for (ir::DType t : {ir::DType::kF32, ir::DType::kF16, ir::DType::kI8, ir::DType::kU8,
                      ir::DType::kI32, ir::DType::kI64, ir::DType::kBool}) {
    EXPECT_EQ(ParseKServeDatatype(KServeDatatype(t)), t);
  }
  EXPECT_FALSE(ParseKServeDatatype("FP64").has_value());
  EXPECT_FALSE(ParseKServeDatatype("fp32").has_value());
}

}  // namespace
}  // namespace fixpoint::server
