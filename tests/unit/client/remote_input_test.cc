// The inputs of `fixpoint infer` (CSV rows, .npy arrays, PNG images) and the
// chunked file reader behind uploads.
#include "client/remote_input.h"

#include <gtest/gtest.h>
#include <png.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace fixpoint::client {
namespace {

io::PreprocessSpec Spec(const char* text) { return *io::PreprocessSpec::Parse(text); }

float At(const InferInput& in, int64_t i) { return in.images.data<float>()[i]; }

// A CSV line: optional label, then `k` pixels 0, 1, 2, ...
std::string Row(int k, int label = -1, int offset = 0) {
  std::vector<int> cells;
  if (label >= 0) cells.push_back(label);
  for (int i = 0; i < k; ++i) cells.push_back((i + offset) % 256);
  return absl::StrJoin(cells, ",");
}

TEST(CsvRowTest, LabelThenPixels) {
  auto in = DecodeCsvRow(Row(4, 7) + "\n", 0, Spec("shape=1x2x2,scale=1"));
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->images.shape(), (ir::Shape{1, 1, 2, 2}));
  EXPECT_EQ(in->labels, std::vector<int32_t>{7});
  EXPECT_FLOAT_EQ(At(*in, 3), 3.0f);
}

TEST(CsvRowTest, PixelsOnlyHeaderBomCrlfAndRowIndex) {
  const std::string text = "\xEF\xBB\xBFpixel1,pixel2,pixel3,pixel4\r\n" + Row(4, -1, 0) +
                           "\r\n\r\n" + Row(4, -1, 10) + "\r\n";
  auto in = DecodeCsvRow(text, 1, Spec("shape=1x2x2"));
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_TRUE(in->labels.empty());
  EXPECT_FLOAT_EQ(At(*in, 0), 10.0f / 255.0f);  // default scale 1/255
  EXPECT_NE(in->description.find("row 1"), std::string::npos);
}

TEST(CsvRowTest, Errors) {
  const io::PreprocessSpec spec = Spec("shape=1x2x2");
  EXPECT_NE(DecodeCsvRow(Row(3) + "\n", 0, spec).status().message().find("3 columns"),
            absl::string_view::npos);
  EXPECT_NE(DecodeCsvRow("1,2,x,4\n", 0, spec).status().message().find("column 3"),
            absl::string_view::npos);
  EXPECT_NE(DecodeCsvRow(Row(4) + "\n", 1, spec).status().message().find("1 data rows"),
            absl::string_view::npos);
  EXPECT_FALSE(DecodeCsvRow("-1," + Row(4) + "\n", 0, spec).ok());  // negative label
}

TEST(CsvRowTest, SignLanguageMnistFixture) {
  const std::string path = std::string(FP_SHARED_DIR) + "/fixtures/csv/sign_mnist_sample_test.csv";
  if (!std::ifstream(path)) GTEST_SKIP() << "no " << path;
  auto in = ReadInferInput(path, 2, io::PreprocessSpec());
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->images.shape(), (ir::Shape{1, 1, 28, 28}));
  ASSERT_EQ(in->labels.size(), 1u);
  EXPECT_GE(in->labels[0], 0);
  EXPECT_LE(in->labels[0], 24);
}

// A version 1.0 .npy file.
std::string Npy(const std::string& descr, const std::string& shape, const std::string& data,
                bool fortran = false) {
  std::string dict = absl::StrCat("{'descr': '", descr, "', 'fortran_order': ",
                                  fortran ? "True" : "False", ", 'shape': ", shape, ", }");
  while ((10 + dict.size() + 1) % 64 != 0) dict += ' ';
  dict += '\n';
  std::string out = "\x93NUMPY\x01";
  out += '\0';
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>(dict.size() >> 8);
  return out + dict + data;
}

template <typename T>
std::string Bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

TEST(NpyTest, OneImageInAnyShape) {
  std::vector<uint8_t> pixels(784);
  std::iota(pixels.begin(), pixels.end(), 0);
  for (const char* shape : {"(28, 28)", "(1, 28, 28)", "(1, 1, 28, 28)", "(784,)", "(28, 28, 1)"}) {
    auto in = DecodeNpy(Npy("|u1", shape, Bytes(pixels)), io::PreprocessSpec());
    ASSERT_TRUE(in.ok()) << shape << ": " << in.status();
    EXPECT_EQ(in->images.shape(), (ir::Shape{1, 1, 28, 28})) << shape;
    EXPECT_FLOAT_EQ(At(*in, 300), static_cast<float>(300 % 256) / 255.0f) << shape;
  }
}

TEST(NpyTest, BatchOfFloats) {
  std::vector<float> values(3 * 4);
  std::iota(values.begin(), values.end(), 0.0f);
  auto in = DecodeNpy(Npy("<f4", "(3, 1, 2, 2)", Bytes(values)), Spec("shape=1x2x2,scale=1"));
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->images.shape(), (ir::Shape{3, 1, 2, 2}));
  EXPECT_FLOAT_EQ(At(*in, 11), 11.0f);
}

TEST(NpyTest, ChannelsLastItemsAreTransposed) {
  // One 1x2 RGB image stored H,W,C: pixel p has channels (10p, 10p+1, 10p+2).
  std::vector<double> hwc = {0, 1, 2, 10, 11, 12};
  auto in = DecodeNpy(Npy("<f8", "(1, 2, 3)", Bytes(hwc)), Spec("shape=3x1x2,scale=1"));
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->images.shape(), (ir::Shape{1, 3, 1, 2}));
  const std::vector<float> chw = {0, 10, 1, 11, 2, 12};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(At(*in, i), chw[i]) << i;
}

TEST(NpyTest, BigEndianIntegers) {
  const std::string be = std::string("\x01\x00\x00\x00\x00\x02\x00\x00", 8);  // >i2: 256, 0, 2, 0
  auto in = DecodeNpy(Npy(">i2", "(1, 4)", be), Spec("shape=1x2x2,scale=1"));
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_FLOAT_EQ(At(*in, 0), 256.0f);
  EXPECT_FLOAT_EQ(At(*in, 2), 2.0f);
}

TEST(NpyTest, Errors) {
  const io::PreprocessSpec spec = Spec("shape=1x2x2");
  const std::string four(4, '\0');
  EXPECT_FALSE(DecodeNpy("not numpy", spec).ok());
  EXPECT_NE(DecodeNpy(Npy("<c8", "(4,)", four + four), spec).status().message().find("dtype"),
            absl::string_view::npos);
  EXPECT_NE(DecodeNpy(Npy("|u1", "(2, 2)", four, true), spec).status().message().find("Fortran"),
            absl::string_view::npos);
  EXPECT_FALSE(DecodeNpy(Npy("|u1", "(5,)", four + "x"), spec).ok());      // 5 values
  EXPECT_FALSE(DecodeNpy(Npy("|u1", "(2, 4)", four), spec).ok());          // short data
  // Four values, but an item of (2,1,2) is neither C,H,W nor H,W,C.
  EXPECT_NE(DecodeNpy(Npy("|u1", "(1, 2, 1, 2)", four), spec).status().message().find("neither"),
            absl::string_view::npos);
}

std::string Png(int width, int height, png_uint_32 format, const std::vector<uint8_t>& pixels) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = width;
  image.height = height;
  image.format = format;
  png_alloc_size_t size = 0;
  EXPECT_TRUE(png_image_write_get_memory_size(image, size, 0, pixels.data(), 0, nullptr));
  std::string out(size, '\0');
  EXPECT_TRUE(png_image_write_to_memory(&image, out.data(), &size, 0, pixels.data(), 0, nullptr));
  out.resize(size);
  return out;
}

TEST(PngTest, GrayImage) {
  std::vector<uint8_t> pixels(28 * 28);
  std::iota(pixels.begin(), pixels.end(), 0);
  auto in = DecodePng(Png(28, 28, PNG_FORMAT_GRAY, pixels), io::PreprocessSpec());
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->images.shape(), (ir::Shape{1, 1, 28, 28}));
  EXPECT_FLOAT_EQ(At(*in, 100), 100.0f / 255.0f);
}

TEST(PngTest, RgbImageToNchwAndNhwc) {
  // 2x1 RGB: pixel 0 = (1, 2, 3), pixel 1 = (4, 5, 6).
  const std::vector<uint8_t> rgb = {1, 2, 3, 4, 5, 6};
  const std::string png = Png(2, 1, PNG_FORMAT_RGB, rgb);
  auto nchw = DecodePng(png, Spec("shape=3x1x2,scale=1"));
  ASSERT_TRUE(nchw.ok()) << nchw.status();
  const std::vector<float> planar = {1, 4, 2, 5, 3, 6};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(At(*nchw, i), planar[i]) << i;
  auto nhwc = DecodePng(png, Spec("layout=nhwc,shape=3x1x2,scale=1"));
  ASSERT_TRUE(nhwc.ok()) << nhwc.status();
  EXPECT_EQ(nhwc->images.shape(), (ir::Shape{1, 1, 2, 3}));
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(At(*nhwc, i), rgb[i]) << i;
}

TEST(PngTest, RgbConvertedToGrayWhenOneChannel) {
  const std::vector<uint8_t> white = {255, 255, 255, 255, 255, 255};
  auto in = DecodePng(Png(2, 1, PNG_FORMAT_RGB, white), Spec("shape=1x1x2"));
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_FLOAT_EQ(At(*in, 0), 1.0f);
}

TEST(PngTest, Errors) {
  const std::vector<uint8_t> pixels(4 * 4, 9);
  const std::string png = Png(4, 4, PNG_FORMAT_GRAY, pixels);
  EXPECT_NE(DecodePng(png, io::PreprocessSpec()).status().message().find("4x4"),
            absl::string_view::npos);
  EXPECT_FALSE(DecodePng(png, Spec("shape=2x4x4")).ok());
  EXPECT_FALSE(DecodePng(png.substr(0, 20), Spec("shape=1x4x4")).ok());
}

class FileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = ::testing::TempDir() + "/remote_input_test_" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    paths_.push_back(path);
    return path;
  }
  void TearDown() override {
    for (const std::string& p : paths_) std::remove(p.c_str());
  }
  std::vector<std::string> paths_;
};

TEST_F(FileTest, ReadInferInputDispatchesByExtensionOrMagic) {
  std::vector<uint8_t> pixels(4, 51);
  const std::string png = Png(2, 2, PNG_FORMAT_GRAY, pixels);
  const io::PreprocessSpec spec = Spec("shape=1x2x2");
  auto a = ReadInferInput(Write("a.png", png), 0, spec);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_FLOAT_EQ(At(*a, 0), 0.2f);
  auto b = ReadInferInput(Write("b.bin", png), 0, spec);  // PNG magic
  ASSERT_TRUE(b.ok()) << b.status();
  auto c = ReadInferInput(Write("c.txt", "3,51,51,51,51\n"), 0, spec);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->labels, std::vector<int32_t>{3});
  auto d = ReadInferInput(Write("d.npy", Npy("|u1", "(2, 2)", Bytes(pixels))), 0, spec);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(ReadInferInput("/nonexistent.png", 0, spec).status().code(),
            absl::StatusCode::kNotFound);
  auto bad = ReadInferInput(Write("e.npy", "junk"), 0, spec);
  EXPECT_NE(bad.status().message().find("e.npy"), absl::string_view::npos);  // path in message
}

TEST_F(FileTest, ForEachFileChunk) {
  std::string data(2500, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 13);
  const std::string path = Write("chunks.bin", data);
  std::vector<size_t> sizes;
  std::string joined;
  ASSERT_TRUE(ForEachFileChunk(path, 1000, [&](absl::string_view chunk) {
                sizes.push_back(chunk.size());
                joined.append(chunk.data(), chunk.size());
                return true;
              }).ok());
  EXPECT_EQ(sizes, (std::vector<size_t>{1000, 1000, 500}));
  EXPECT_EQ(joined, data);
  int calls = 0;
  EXPECT_TRUE(ForEachFileChunk(path, 1000, [&](absl::string_view) { return ++calls < 2; }).ok());
  EXPECT_EQ(calls, 2);  // stops when the writer does
  calls = 0;
  EXPECT_TRUE(ForEachFileChunk(Write("empty", ""), 10, [&](absl::string_view) {
                ++calls;
                return true;
              }).ok());
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(ForEachFileChunk("/nonexistent", 10, [](absl::string_view) { return true; }).code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace fixpoint::client
