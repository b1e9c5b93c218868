// Format detection, loading options, gzip handling and batching.
#include "core/io/dataset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/datasets/dataset_test_util.h"

namespace fixpoint::io {
namespace {

using ::fixpoint::io::testing::Gzip;
using ::fixpoint::io::testing::Idx;
using ::fixpoint::io::testing::Npy;
using ::fixpoint::io::testing::RawBytes;
using ::fixpoint::io::testing::RawSpec;
using ::fixpoint::io::testing::StatusIs;
using ::fixpoint::io::testing::U8Bytes;
using ::fixpoint::io::testing::WriteTemp;
using ::testing::ElementsAre;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

TEST(DetectDatasetFormatTest, ByExtension) {
  // None of these exist: the extension alone decides.
  EXPECT_EQ(*DetectDatasetFormat("/no/such/sign_mnist_train.csv"), DatasetFormat::kCsv);
  EXPECT_EQ(*DetectDatasetFormat("/no/such/x.CSV.gz"), DatasetFormat::kCsv);
  EXPECT_EQ(*DetectDatasetFormat("/no/such/calib.npy"), DatasetFormat::kNpy);
  EXPECT_EQ(*DetectDatasetFormat("/no/such/t10k-images-idx3-ubyte.gz"), DatasetFormat::kIdx);
  EXPECT_EQ(*DetectDatasetFormat("/no/such/train-labels-idx1-ubyte"), DatasetFormat::kIdx);
  EXPECT_EQ(*DetectDatasetFormat("/no/such/images.idx"), DatasetFormat::kIdx);
}

TEST(DetectDatasetFormatTest, ByContent) {
  const std::string idx = Idx(0x08, {1, 2, 2}, U8Bytes({1, 2, 3, 4}));
  EXPECT_EQ(*DetectDatasetFormat(WriteTemp("idx.bin", idx)), DatasetFormat::kIdx);
  EXPECT_EQ(*DetectDatasetFormat(WriteTemp("idx.bin.gz", Gzip(idx))), DatasetFormat::kIdx);
  EXPECT_EQ(*DetectDatasetFormat(WriteTemp("npy.bin", Npy("|u1", "(1, 4)", "abcd"))),
            DatasetFormat::kNpy);
  EXPECT_EQ(*DetectDatasetFormat(WriteTemp("csv.txt", "label,pixel1\n1,2\n")), DatasetFormat::kCsv);
  EXPECT_THAT(DetectDatasetFormat(WriteTemp("junk.bin", std::string("\x7f"
                                                                    "ELF\x02\x01",
                                                                    6))),
              StatusIs(kInvalid, "junk.bin: not a recognized dataset format"));
  EXPECT_THAT(DetectDatasetFormat(testing::TempPath("missing.bin")),
              StatusIs(absl::StatusCode::kNotFound, "missing.bin"));
  EXPECT_THAT(LoadDataset(::testing::TempDir(), PreprocessSpec()),
              StatusIs(kInvalid, "is not a regular file"));
}

TEST(LoadDatasetTest, LoadsSniffedFileEndToEnd) {
  const std::string path =
      WriteTemp("sniffed.data", Gzip(Idx(0x08, {2, 1, 2}, U8Bytes({0, 255, 51, 102}))));
  PreprocessSpec spec = RawSpec(1, 1, 2);
  spec.scale = 1.0f / 255.0f;
  spec.mean = {0.5f};
  spec.std = {0.5f};
  auto ds = LoadDataset(path, spec);
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->format, DatasetFormat::kIdx);
  EXPECT_THAT(testing::Values(ds->images),
              ::testing::Pointwise(::testing::FloatNear(1e-6f),
                                   std::vector<float>{-1.0f, 1.0f, -0.6f, -0.2f}));
  EXPECT_EQ(ds->spec.ToString(), "layout=nchw,scale=0.003921569,mean=0.5,std=0.5,shape=1x1x2");
}

TEST(LoadDatasetTest, ConcatenatedGzipMembersAndTrailingGarbage) {
  const std::string idx = Idx(0x08, {2, 1, 2}, U8Bytes({1, 2, 3, 4}));
  const std::string two_members = Gzip(idx.substr(0, 10)) + Gzip(idx.substr(10));
  auto ds = LoadDatasetFromBytes(two_members, DatasetFormat::kIdx, RawSpec(1, 1, 2));
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->size(), 2);
  auto padded =
      LoadDatasetFromBytes(Gzip(idx) + std::string(8, '\0'), DatasetFormat::kIdx, RawSpec(1, 1, 2));
  EXPECT_TRUE(padded.ok()) << padded.status();
  EXPECT_THAT(LoadDatasetFromBytes(Gzip(idx) + "junk", DatasetFormat::kIdx, RawSpec(1, 1, 2)),
              StatusIs(kInvalid, "<upload>: 4 bytes of trailing garbage after the gzip stream"));
}

TEST(LoadDatasetTest, RefusesBadOptionsSpecAndOversizedFiles) {
  const std::string csv = "1,2,3\n";
  LoadOptions negative;
  negative.max_items = -1;
  EXPECT_THAT(LoadDatasetFromBytes(csv, DatasetFormat::kCsv, RawSpec(1, 1, 2), negative),
              StatusIs(kInvalid, "max_items must be >= 0"));
  PreprocessSpec bad = RawSpec(1, 1, 2);
  bad.std = {1.0f, 2.0f};
  EXPECT_THAT(LoadDatasetFromBytes(csv, DatasetFormat::kCsv, bad),
              StatusIs(kInvalid, "std has 2 values"));
  LoadOptions tiny;
  tiny.max_bytes = 4;
  EXPECT_THAT(LoadDataset(WriteTemp("big.csv", csv), RawSpec(1, 1, 2), tiny),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "big.csv' is 6 bytes, over the "
                       "4-byte limit"));
}

Dataset TenItems() {
  std::vector<float> pixels(10 * 2);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<float>(i);
  std::vector<int32_t> labels = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  auto ds = LoadDatasetFromBytes(Npy("<f4", "(10, 2)", RawBytes(pixels)), DatasetFormat::kNpy,
                                 RawSpec(1, 1, 2), {}, Npy("<i4", "(10,)", RawBytes(labels)));
  EXPECT_TRUE(ds.ok()) << ds.status();
  return *std::move(ds);
}

TEST(DatasetBatchTest, SplitsIntoBatchesWithSmallerLast) {
  const Dataset ds = TenItems();
  EXPECT_EQ(ds.NumBatches(4), 3);
  EXPECT_EQ(ds.NumBatches(10), 1);
  EXPECT_EQ(ds.NumBatches(0), 0);
  int64_t seen = 0;
  for (int64_t b = 0; b < ds.NumBatches(4); ++b) {
    auto batch = ds.Batch(b, 4);
    ASSERT_TRUE(batch.ok()) << batch.status();
    const int64_t count = b < 2 ? 4 : 2;
    EXPECT_EQ(batch->first, b * 4);
    EXPECT_EQ(batch->images.shape, (ir::Shape{count, 1, 1, 2}));
    EXPECT_EQ(batch->images.As<float>()[0], static_cast<float>(b * 4 * 2));
    ASSERT_EQ(batch->labels.size(), static_cast<size_t>(count));
    EXPECT_EQ(batch->labels[0], b * 4);
    seen += count;
  }
  EXPECT_EQ(seen, ds.size());
  // A batch view can be copied into its own tensor.
  const ir::Tensor last = ir::Tensor::CopyOf(ds.Batch(2, 4)->images);
  EXPECT_THAT(testing::Values(last), ElementsAre(16, 17, 18, 19));
}

TEST(DatasetBatchTest, RefusesOutOfRangeRequests) {
  const Dataset ds = TenItems();
  EXPECT_THAT(ds.Batch(3, 4), StatusIs(kInvalid, "batch 3 of size 4"));
  EXPECT_THAT(ds.Batch(0, 0), StatusIs(kInvalid, "batch 0 of size 0"));
  EXPECT_THAT(ds.Batch(-1, 4), StatusIs(kInvalid, "batch -1"));
  EXPECT_THAT(ds.Items(8, 3), StatusIs(kInvalid, "items [8, 8+3)"));
  EXPECT_THAT(ds.Items(0, 0), StatusIs(kInvalid, "items [0, 0+0)"));
  auto tail = ds.Items(8, 2);
  ASSERT_TRUE(tail.ok());
  EXPECT_THAT(tail->labels, ElementsAre(8, 9));
  EXPECT_THAT(Dataset().Batch(0, 1), StatusIs(kInvalid, "dataset's 0 items"));
}

}  // namespace
}  // namespace fixpoint::io
