#include "core/io/preprocess.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tests/unit/datasets/dataset_test_util.h"

namespace fixpoint::io {
namespace {

using ::fixpoint::io::testing::RawBytes;
using ::fixpoint::io::testing::RawSpec;
using ::fixpoint::io::testing::StatusIs;
using ::fixpoint::io::testing::Values;
using ::testing::ElementsAre;
using Layout = PreprocessSpec::Layout;

TEST(PreprocessSpecTest, DefaultToString) {
  EXPECT_EQ(PreprocessSpec().ToString(),
            "layout=nchw,scale=0.003921569,mean=0,std=1,shape=1x28x28");
}

TEST(PreprocessSpecTest, ToStringRoundTripsExactly) {
  PreprocessSpec spec;
  spec.layout = Layout::kNHWC;
  spec.scale = 1.0f / 255.0f;
  spec.mean = {0.485f, 0.456f, 0.406f};
  spec.std = {0.229f, 0.224f, 0.225f};
  spec.channels = 3;
  spec.height = 224;
  spec.width = 200;
  const std::string text = spec.ToString();
  EXPECT_EQ(text,
            "layout=nhwc,scale=0.003921569,mean=0.485:0.456:0.406,std=0.229:0.224:0.225,"
            "shape=3x224x200");
  auto parsed = PreprocessSpec::Parse(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, spec);
}

TEST(PreprocessSpecTest, ParseDefaultsOrderSpacesAndFraction) {
  auto empty = PreprocessSpec::Parse("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, PreprocessSpec());
  auto spec = PreprocessSpec::Parse(" shape = 1x32x32 , scale=1/255, LAYOUT=NHWC ,");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->scale, 1.0f / 255.0f);
  EXPECT_EQ(spec->layout, Layout::kNHWC);
  EXPECT_EQ(spec->height, 32);
  EXPECT_THAT(spec->mean, ElementsAre(0.0f));
}

TEST(PreprocessSpecTest, ParseErrors) {
  const absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(PreprocessSpec::Parse("colour=rgb"), StatusIs(kInvalid, "unknown key 'colour'"));
  EXPECT_THAT(PreprocessSpec::Parse("scale=1,scale=2"), StatusIs(kInvalid, "'scale' given twice"));
  EXPECT_THAT(PreprocessSpec::Parse("layout=chwn"), StatusIs(kInvalid, "layout='chwn'"));
  EXPECT_THAT(PreprocessSpec::Parse("shape=28x28"), StatusIs(kInvalid, "shape='28x28'"));
  EXPECT_THAT(PreprocessSpec::Parse("shape=0x28x28"), StatusIs(kInvalid, "shape='0x28x28'"));
  EXPECT_THAT(PreprocessSpec::Parse("scale=abc"), StatusIs(kInvalid, "scale='abc'"));
  EXPECT_THAT(PreprocessSpec::Parse("scale=1/0"), StatusIs(kInvalid, "scale='1/0'"));
  EXPECT_THAT(PreprocessSpec::Parse("mean=nan"), StatusIs(kInvalid, "mean='nan'"));
  EXPECT_THAT(PreprocessSpec::Parse("std=0"), StatusIs(kInvalid, "std contains 0"));
  EXPECT_THAT(PreprocessSpec::Parse("layout"), StatusIs(kInvalid, "'layout' is not key=value"));
  EXPECT_THAT(PreprocessSpec::Parse("mean=1:2,shape=3x4x4"),
              StatusIs(kInvalid, "mean has 2 values; expected 1 or 3"));
  EXPECT_THAT(PreprocessSpec::Parse("shape=65536x65536x65536"),
              StatusIs(kInvalid, "C*H*W <= 2^28"));
}

TEST(PreprocessTest, ScalesAndNormalizesPerChannel) {
  PreprocessSpec spec = RawSpec(2, 1, 2);
  spec.scale = 0.5f;
  spec.mean = {1.0f, 10.0f};
  spec.std = {2.0f, 4.0f};
  // One item, C,H,W order: channel 0 = {2, 4}, channel 1 = {20, 60}.
  const std::string bytes = testing::U8Bytes({2, 4, 20, 60});
  RawImages raw{bytes, SampleType::kU8, false, 1, Layout::kNCHW};
  auto out = Preprocess(raw, spec);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->shape(), (ir::Shape{1, 2, 1, 2}));
  EXPECT_THAT(Values(*out), ElementsAre(0.0f, 0.5f, 0.0f, 5.0f));
}

TEST(PreprocessTest, ConvertsBetweenLayouts) {
  const PreprocessSpec spec = RawSpec(3, 1, 2);
  // Item in H,W,C order: pixel0 = (1,2,3), pixel1 = (4,5,6).
  const std::string hwc = testing::U8Bytes({1, 2, 3, 4, 5, 6});
  RawImages raw{hwc, SampleType::kU8, false, 1, Layout::kNHWC};
  auto nchw = Preprocess(raw, spec);
  ASSERT_TRUE(nchw.ok());
  EXPECT_THAT(Values(*nchw), ElementsAre(1, 4, 2, 5, 3, 6));

  PreprocessSpec to_nhwc = spec;
  to_nhwc.layout = Layout::kNHWC;
  const std::string chw = testing::U8Bytes({1, 4, 2, 5, 3, 6});
  RawImages raw_chw{chw, SampleType::kU8, false, 1, Layout::kNCHW};
  auto nhwc = Preprocess(raw_chw, to_nhwc);
  ASSERT_TRUE(nhwc.ok());
  EXPECT_EQ(nhwc->shape(), (ir::Shape{1, 1, 2, 3}));
  EXPECT_THAT(Values(*nhwc), ElementsAre(1, 2, 3, 4, 5, 6));
}

TEST(PreprocessTest, DecodesEveryTypeAndByteOrder) {
  const PreprocessSpec spec = RawSpec(1, 1, 2);
  // Big-endian f64 {1.5, -2}.
  const std::string f64_be("\x3f\xf8\0\0\0\0\0\0\xc0\0\0\0\0\0\0\0", 16);
  auto f64 = Preprocess({f64_be, SampleType::kF64, true, 1, Layout::kNCHW}, spec);
  ASSERT_TRUE(f64.ok()) << f64.status();
  EXPECT_THAT(Values(*f64), ElementsAre(1.5f, -2.0f));
  const std::string i16_be("\xff\xfe\x01\x00", 4);  // {-2, 256}
  auto i16 = Preprocess({i16_be, SampleType::kI16, true, 1, Layout::kNCHW}, spec);
  ASSERT_TRUE(i16.ok());
  EXPECT_THAT(Values(*i16), ElementsAre(-2.0f, 256.0f));
  const std::string i64_le = RawBytes<int64_t>({-7, 9});
  auto i64 = Preprocess({i64_le, SampleType::kI64, false, 1, Layout::kNCHW}, spec);
  ASSERT_TRUE(i64.ok());
  EXPECT_THAT(Values(*i64), ElementsAre(-7.0f, 9.0f));
  const std::string i8 = testing::U8Bytes({0xff, 0x7f});
  auto s8 = Preprocess({i8, SampleType::kI8, false, 1, Layout::kNCHW}, spec);
  ASSERT_TRUE(s8.ok());
  EXPECT_THAT(Values(*s8), ElementsAre(-1.0f, 127.0f));
}

TEST(PreprocessTest, RefusesNonFiniteSamplesAndWrongSizes) {
  const PreprocessSpec spec = RawSpec(1, 1, 2);
  const std::string nan = RawBytes<float>({1, 2, 3, std::numeric_limits<float>::quiet_NaN()});
  EXPECT_THAT(Preprocess({nan, SampleType::kF32, false, 2, Layout::kNCHW}, spec),
              StatusIs(absl::StatusCode::kInvalidArgument, "item 1, value 1 is NaN"));
  const std::string huge = RawBytes<double>({1e300, 0});
  EXPECT_THAT(Preprocess({huge, SampleType::kF64, false, 1, Layout::kNCHW}, spec),
              StatusIs(absl::StatusCode::kInvalidArgument, "out of f32 range"));
  EXPECT_THAT(Preprocess({"abc", SampleType::kU8, false, 2, Layout::kNCHW}, spec),
              StatusIs(absl::StatusCode::kInvalidArgument, "got 3 bytes"));
}

}  // namespace
}  // namespace fixpoint::io
