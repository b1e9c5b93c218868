// IDX reader: generated files, Debian's Fashion-MNIST, and every malformed
// input we can think of.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "core/io/dataset.h"
#include "tests/unit/datasets/dataset_test_util.h"

namespace fixpoint::io {
namespace {

using ::fixpoint::io::testing::Gzip;
using ::fixpoint::io::testing::Idx;
using ::fixpoint::io::testing::RawSpec;
using ::fixpoint::io::testing::StatusIs;
using ::fixpoint::io::testing::U8Bytes;
using ::fixpoint::io::testing::Values;
using ::fixpoint::io::testing::WriteTemp;
using ::testing::ElementsAre;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
constexpr absl::StatusCode kExhausted = absl::StatusCode::kResourceExhausted;

// Three 2x2 u8 images with pixels 0..11 and labels 7, 0, 3.
std::string Images() {
  return Idx(0x08, {3, 2, 2}, U8Bytes({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
}
std::string Labels() { return Idx(0x08, {3}, U8Bytes({7, 0, 3})); }

absl::StatusOr<Dataset> LoadBytes(const std::string& images, const std::string& labels = "",
                                  const PreprocessSpec& spec = RawSpec(1, 2, 2),
                                  LoadOptions opts = {}) {
  opts.source_name = "test.idx";
  return LoadDatasetFromBytes(images, DatasetFormat::kIdx, spec, opts, labels);
}

TEST(IdxReaderTest, ReadsImagesAndLabelsFromFiles) {
  const std::string images = WriteTemp("a-images-idx3-ubyte", Images());
  LoadOptions opts;
  opts.labels_path = WriteTemp("a-labels-idx1-ubyte", Labels());
  PreprocessSpec spec = RawSpec(1, 2, 2);
  spec.scale = 0.5f;
  auto ds = LoadDataset(images, spec, opts);
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->format, DatasetFormat::kIdx);
  EXPECT_EQ(ds->source_path, images);
  EXPECT_EQ(ds->size(), 3);
  EXPECT_EQ(ds->images.shape(), (ir::Shape{3, 1, 2, 2}));
  EXPECT_THAT(Values(ds->images), ElementsAre(0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5));
  EXPECT_THAT(ds->labels, ElementsAre(7, 0, 3));
  EXPECT_EQ(ds->spec, spec);
}

TEST(IdxReaderTest, ReadsGzippedFilesAndAppliesMaxItemsAndLayout) {
  const std::string images = WriteTemp("b-images-idx3-ubyte.gz", Gzip(Images()));
  LoadOptions opts;
  opts.labels_path = WriteTemp("b-labels-idx1-ubyte.gz", Gzip(Labels()));
  opts.max_items = 2;
  PreprocessSpec spec = RawSpec(1, 2, 2);
  spec.layout = PreprocessSpec::Layout::kNHWC;
  auto ds = LoadDataset(images, spec, opts);
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->images.shape(), (ir::Shape{2, 2, 2, 1}));
  EXPECT_THAT(Values(ds->images), ElementsAre(0, 1, 2, 3, 4, 5, 6, 7));
  EXPECT_THAT(ds->labels, ElementsAre(7, 0));
}

TEST(IdxReaderTest, ReadsOtherElementTypesAndShapes) {
  // f32 big-endian {1.5, -2} as [1, 2] flat rows for a 1x1x2 spec.
  auto f32 =
      LoadBytes(Idx(0x0D, {1, 2}, std::string("\x3f\xc0\0\0\xc0\0\0\0", 8)), "", RawSpec(1, 1, 2));
  ASSERT_TRUE(f32.ok()) << f32.status();
  EXPECT_THAT(Values(f32->images), ElementsAre(1.5f, -2.0f));
  // i16 [N, H, W, C] images (C = 2) with i32 labels.
  auto i16 = LoadBytes(Idx(0x0B, {1, 1, 1, 2}, std::string("\xff\xff\x01\x00", 4)),
                       Idx(0x0C, {1}, std::string("\0\0\x01\x00", 4)), RawSpec(2, 1, 1));
  ASSERT_TRUE(i16.ok()) << i16.status();
  EXPECT_THAT(Values(i16->images), ElementsAre(-1.0f, 256.0f));
  EXPECT_THAT(i16->labels, ElementsAre(256));
  // No labels given: the dataset has none.
  auto unlabeled = LoadBytes(Images());
  ASSERT_TRUE(unlabeled.ok());
  EXPECT_FALSE(unlabeled->has_labels());
}

TEST(IdxReaderTest, FashionMnistTestSet) {
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  const std::string images = dir + "t10k-images-idx3-ubyte.gz";
  if (!std::filesystem::exists(images)) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  LoadOptions opts;
  opts.labels_path = dir + "t10k-labels-idx1-ubyte.gz";
  auto ds = LoadDataset(images, PreprocessSpec(), opts);
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->size(), 10000);
  EXPECT_EQ(ds->images.shape(), (ir::Shape{10000, 1, 28, 28}));
  std::map<int32_t, int> histogram;
  for (int32_t label : ds->labels) ++histogram[label];
  ASSERT_EQ(histogram.size(), 10u);
  for (const auto& [label, count] : histogram) EXPECT_EQ(count, 1000) << "label " << label;
  EXPECT_THAT(std::vector<int32_t>(ds->labels.begin(), ds->labels.begin() + 5),
              ElementsAre(9, 2, 1, 1, 6));
  // First image: zeros up to pixel 215, which is 3, then 1 (values / 255).
  const float* px = ds->images.data<float>();
  EXPECT_EQ(px[0], 0.0f);
  EXPECT_EQ(px[214], 0.0f);
  EXPECT_FLOAT_EQ(px[215], 3.0f / 255.0f);
  EXPECT_FLOAT_EQ(px[216], 1.0f / 255.0f);
  EXPECT_FLOAT_EQ(px[221], 37.0f / 255.0f);
  EXPECT_FLOAT_EQ(px[784 + 11], 67.0f / 255.0f);  // second image
}

TEST(IdxReaderErrorTest, EmptyAndTruncatedHeaders) {
  EXPECT_THAT(LoadBytes(""), StatusIs(kInvalid, "test.idx: file is empty"));
  EXPECT_THAT(LoadBytes(std::string("\0\0\x08", 3)),
              StatusIs(kInvalid, "truncated header: 3 bytes"));
  EXPECT_THAT(LoadBytes(Idx(0x08, {3, 2, 2}, "").substr(0, 10)),
              StatusIs(kInvalid, "rank 3 needs 16 header bytes but the file has only 10"));
  EXPECT_THAT(LoadBytes(std::string("\0\0\x08\0", 4)), StatusIs(kInvalid, "byte 3: IDX rank is 0"));
}

TEST(IdxReaderErrorTest, BadMagicAndElementType) {
  EXPECT_THAT(LoadBytes("PK\x03\x04 not idx at all"),
              StatusIs(kInvalid, "test.idx: bad magic 0x504b0304 at byte 0"));
  EXPECT_THAT(LoadBytes(Idx(0x0A, {1, 2, 2}, "abcd")),
              StatusIs(kInvalid, "byte 2: unknown IDX element type 0x0a"));
}

TEST(IdxReaderErrorTest, TruncatedAndOversizedData) {
  EXPECT_THAT(LoadBytes(Images().substr(0, 16 + 10)),
              StatusIs(kInvalid,
                       "test.idx: header says 3×2×2 u8 = 12 bytes of data but only 10 follow "
                       "at byte 16"));
  EXPECT_THAT(LoadBytes(Images() + "xy"),
              StatusIs(kInvalid, "= 12 bytes of data but 14 follow at byte 16"));
  EXPECT_THAT(LoadBytes(Idx(0x08, {60000, 28, 28}, std::string(1000, '\0')), "", PreprocessSpec()),
              StatusIs(kInvalid,
                       "header says 60000×28×28 u8 = 47040000 bytes of data but only "
                       "1000 follow at byte 16"));
  EXPECT_THAT(LoadBytes(Gzip(Images()).substr(0, 20)),
              StatusIs(kInvalid, "test.idx: gzip data is truncated"));
}

TEST(IdxReaderErrorTest, AbsurdDims) {
  EXPECT_THAT(LoadBytes(Idx(0x0E, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, "")),
              StatusIs(kInvalid,
                       "header dims: 4294967295×4294967295×4294967295 elements of 8 "
                       "bytes overflow a 64-bit size"));
  LoadOptions small;
  small.max_bytes = 1000;
  EXPECT_THAT(LoadBytes(Idx(0x08, {60000, 28, 28}, ""), "", PreprocessSpec(), small),
              StatusIs(kExhausted,
                       "60000×28×28 elements of 1 bytes = 47040000 bytes exceed the "
                       "1000-byte limit"));
  // The source fits but its f32 expansion does not.
  LoadOptions tight;
  tight.max_bytes = 40;
  EXPECT_THAT(LoadBytes(Images(), "", RawSpec(1, 2, 2), tight),
              StatusIs(kExhausted, "test.idx: preprocessed f32 tensor: 3×4 elements of 4 bytes"));
}

TEST(IdxReaderErrorTest, ShapeDisagreesWithSpec) {
  EXPECT_THAT(LoadBytes(Images(), "", PreprocessSpec()),
              StatusIs(kInvalid,
                       "array of shape [3,2,2] does not hold items of the preprocessing "
                       "spec's shape=1x28x28"));
  EXPECT_THAT(LoadBytes(Idx(0x08, {12}, std::string(12, '\0'))),
              StatusIs(kInvalid, "array of shape [12]"));
  EXPECT_THAT(LoadBytes(Idx(0x08, {0, 2, 2}, "")), StatusIs(kInvalid, "test.idx: no items"));
}

TEST(IdxReaderErrorTest, BadLabels) {
  EXPECT_THAT(LoadBytes(Images(), Idx(0x08, {2}, U8Bytes({1, 2}))),
              StatusIs(kInvalid, "test.idx labels: 2 labels for 3 images"));
  EXPECT_THAT(LoadBytes(Images(), Images()),
              StatusIs(kInvalid, "test.idx labels: labels must have shape [N] (idx1)"));
  EXPECT_THAT(LoadBytes(Images(), Idx(0x09, {3}, U8Bytes({1, 0xFF, 2}))),
              StatusIs(kInvalid, "label 1 at byte 9 is -1; labels must be >= 0"));
  EXPECT_THAT(LoadBytes(Images(), Idx(0x0D, {3}, std::string(12, '\0'))),
              StatusIs(kInvalid, "labels must be integers, not f32"));
  EXPECT_THAT(LoadBytes(Images(), Idx(0x08, {3}, U8Bytes({1}))),
              StatusIs(kInvalid, "test.idx labels: header says 3 u8 = 3 bytes of data but only 1"));
  LoadOptions opts;
  opts.labels_path = testing::TempPath("missing-labels-idx1-ubyte");
  EXPECT_THAT(LoadDataset(WriteTemp("c-images-idx3-ubyte", Images()), RawSpec(1, 2, 2), opts),
              StatusIs(absl::StatusCode::kNotFound, "missing-labels-idx1-ubyte"));
}

TEST(IdxReaderErrorTest, CorruptGzip) {
  std::string bad_crc = Gzip(Images());
  bad_crc[bad_crc.size() - 8] ^= 0xFF;  // the CRC-32 in the trailer
  EXPECT_THAT(LoadBytes(bad_crc),
              StatusIs(kInvalid, "test.idx: corrupt gzip data near compressed byte"));
  std::string bad_block = Gzip(Images());
  bad_block[10] = '\xff';  // first deflate block: reserved block type 3
  EXPECT_THAT(LoadBytes(bad_block), StatusIs(kInvalid, "invalid block type"));
  EXPECT_THAT(LoadBytes(std::string("\x1f\x8b\x08\0garbage-not-deflate", 23)),
              StatusIs(kInvalid, "corrupt gzip data"));
  // A bomb: 1 MB of zeros inflates past a 64 kB limit.
  LoadOptions small;
  small.max_bytes = 64 << 10;
  EXPECT_THAT(LoadBytes(Gzip(std::string(1 << 20, '\0')), "", RawSpec(1, 2, 2), small),
              StatusIs(kExhausted, "gzip data inflates to more than 65536 bytes"));
}

}  // namespace
}  // namespace fixpoint::io
