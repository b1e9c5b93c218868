// CSV reader: the Sign-Language-MNIST fixtures (with and without the Kaggle
// header), generated files, and every malformed-input error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "absl/strings/str_join.h"
#include "core/io/dataset.h"
#include "tests/unit/datasets/dataset_test_util.h"

namespace fixpoint::io {
namespace {

using ::fixpoint::io::testing::Gzip;
using ::fixpoint::io::testing::RawSpec;
using ::fixpoint::io::testing::ReadAll;
using ::fixpoint::io::testing::StatusIs;
using ::fixpoint::io::testing::Values;
using ::fixpoint::io::testing::WriteTemp;
using ::testing::ElementsAre;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

const std::string kFixture =
    std::string(FP_SHARED_DIR) + "/fixtures/csv/sign_mnist_sample_train.csv";

std::string KaggleHeader() {
  std::vector<std::string> names = {"label"};
  for (int i = 1; i <= 784; ++i) names.push_back(absl::StrCat("pixel", i));
  return absl::StrJoin(names, ",");
}

absl::StatusOr<Dataset> LoadCsv(const std::string& text,
                                const PreprocessSpec& spec = RawSpec(1, 1, 3),
                                LoadOptions opts = {}) {
  opts.source_name = "test.csv";
  return LoadDatasetFromBytes(text, DatasetFormat::kCsv, spec, opts);
}

void ExpectSignMnistSample(const Dataset& ds) {
  EXPECT_EQ(ds.format, DatasetFormat::kCsv);
  EXPECT_EQ(ds.size(), 188);
  EXPECT_EQ(ds.images.shape(), (ir::Shape{188, 1, 28, 28}));
  ASSERT_EQ(ds.labels.size(), 188u);
  EXPECT_EQ(ds.labels[0], 3);
  for (int32_t label : ds.labels) {
    EXPECT_GE(label, 0);
    EXPECT_LE(label, 24);
    EXPECT_NE(label, 9);  // J needs motion: never in the data
  }
  // First row: 3,107,118,127,134,...
  const float* px = ds.images.data<float>();
  EXPECT_FLOAT_EQ(px[0], 107.0f / 255.0f);
  EXPECT_FLOAT_EQ(px[1], 118.0f / 255.0f);
  EXPECT_FLOAT_EQ(px[2], 127.0f / 255.0f);
  for (int64_t i = 0; i < ds.images.NumElements(); ++i) {
    ASSERT_TRUE(px[i] >= 0.0f && px[i] <= 1.0f) << "pixel " << i;
  }
}

TEST(CsvReaderTest, SignMnistFixtureWithoutHeader) {
  if (!std::filesystem::exists(kFixture)) GTEST_SKIP() << kFixture << " not found";
  auto ds = LoadDataset(kFixture, PreprocessSpec());
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->source_path, kFixture);
  ExpectSignMnistSample(*ds);
}

TEST(CsvReaderTest, SignMnistFixtureWithKaggleHeader) {
  if (!std::filesystem::exists(kFixture)) GTEST_SKIP() << kFixture << " not found";
  const std::string path =
      WriteTemp("sign_mnist_header.csv", KaggleHeader() + "\r\n" + ReadAll(kFixture));
  auto ds = LoadDataset(path, PreprocessSpec());
  ASSERT_TRUE(ds.ok()) << ds.status();
  ExpectSignMnistSample(*ds);
  // Gzipped too, and with max_items.
  LoadOptions opts;
  opts.max_items = 5;
  auto gz = LoadDataset(WriteTemp("sign_mnist_header.csv.gz", Gzip(ReadAll(path))),
                        PreprocessSpec(), opts);
  ASSERT_TRUE(gz.ok()) << gz.status();
  EXPECT_EQ(gz->size(), 5);
  EXPECT_EQ(gz->labels[0], 3);
}

TEST(CsvReaderTest, LineEndingsBomBlankTailAndSpaces) {
  for (const std::string text :
       {"1,2,3,4\n5,6,7,8\n", "1,2,3,4\r\n5,6,7,8", "1,2,3,4\n5,6,7,8\n\n\n",
        "\xEF\xBB\xBF"
        "1, 2 ,3,4\r\n5,6,7,8e0\r\n"}) {
    auto ds = LoadCsv(text);
    ASSERT_TRUE(ds.ok()) << ds.status() << " for " << text;
    EXPECT_THAT(ds->labels, ElementsAre(1, 5));
    EXPECT_THAT(Values(ds->images), ElementsAre(2, 3, 4, 6, 7, 8));
  }
}

TEST(CsvReaderTest, AcceptsFloatPixelsAndIntegralFloatLabels) {
  auto ds = LoadCsv("label,a,b,c\n2.0,-1.5,1e3,255.5\n");
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_THAT(ds->labels, ElementsAre(2));
  EXPECT_THAT(Values(ds->images), ElementsAre(-1.5f, 1000.0f, 255.5f));
}

TEST(CsvReaderErrorTest, WrongColumnCountNamesTheLine) {
  EXPECT_THAT(LoadCsv("1,2,3,4\n1,2,3,4\n1,2,3\n"),
              StatusIs(kInvalid, "test.csv: line 3: expected 4 columns, found 3"));
  EXPECT_THAT(LoadCsv("1,2,3,4,5\n"), StatusIs(kInvalid, "line 1: expected 4 columns, found 5"));
  if (std::filesystem::exists(kFixture)) {
    auto ds = LoadDataset(kFixture, RawSpec(1, 28, 27));
    EXPECT_THAT(ds, StatusIs(kInvalid, "line 1: expected 757 columns, found 785"));
  }
}

TEST(CsvReaderErrorTest, BadCellsNameLineAndColumn) {
  EXPECT_THAT(LoadCsv("1,2,3,4\n1,2,abc,4\n"),
              StatusIs(kInvalid, "test.csv: line 2, column 3: 'abc' is not a number"));
  EXPECT_THAT(LoadCsv("1,2,3,nan\n"),
              StatusIs(kInvalid, "line 1, column 4: 'nan' is not a finite"));
  EXPECT_THAT(LoadCsv("1,2,3,1e99\n"), StatusIs(kInvalid, "line 1, column 4: '1e99'"));
  EXPECT_THAT(LoadCsv("1,2,,4\n"), StatusIs(kInvalid, "line 1, column 3: empty cell"));
  EXPECT_THAT(LoadCsv("1,2,3,4\n-1,2,3,4\n"),
              StatusIs(kInvalid, "line 2, column 1: label '-1' is negative"));
  EXPECT_THAT(LoadCsv("1.5,2,3,4\n"), StatusIs(kInvalid, "label '1.5' is not an integer"));
  EXPECT_THAT(LoadCsv("1,2,3,4\n3e10,2,3,4\n"),
              StatusIs(kInvalid, "label '3e10' does not fit int32"));
  EXPECT_THAT(LoadCsv("1,2,3,4\nx,2,3,4\n"),
              StatusIs(kInvalid, "line 2, column 1: label 'x' is not a number"));
}

TEST(CsvReaderErrorTest, EmptyFilesHeadersAndBlankLines) {
  EXPECT_THAT(LoadCsv(""), StatusIs(kInvalid, "test.csv: file is empty"));
  EXPECT_THAT(LoadCsv("\r\n\n"), StatusIs(kInvalid, "test.csv: file is empty"));
  EXPECT_THAT(LoadCsv("label,a,b,c\n"), StatusIs(kInvalid, "no data rows, only a header"));
  EXPECT_THAT(LoadCsv("label,a,b\n1,2,3,4\n"),
              StatusIs(kInvalid,
                       "line 1: header has 3 columns but shape=1x1x3 needs 4 (label + "
                       "3 pixels)"));
  EXPECT_THAT(
      LoadDataset(WriteTemp("header_785.csv", KaggleHeader() + "\n1,2\n"), RawSpec(1, 28, 27)),
      StatusIs(kInvalid, "header has 785 columns but shape=1x28x27 needs 757"));
  EXPECT_THAT(LoadCsv("1,2,3,4\n\n1,2,3,4\n"), StatusIs(kInvalid, "line 2: empty line"));
}

TEST(CsvReaderErrorTest, SizeLimitAndSeparateLabels) {
  LoadOptions opts;
  opts.max_bytes = 20;  // room for one row of 3 f32 pixels (12 bytes), not two
  EXPECT_THAT(LoadCsv("1,2,3,4\n1,2,3,4\n", RawSpec(1, 1, 3), opts),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "line 2: more than 1 rows of 3 f32 pixels exceed the 20-byte limit"));
  EXPECT_THAT(
      LoadDatasetFromBytes("1,2,3,4\n", DatasetFormat::kCsv, RawSpec(1, 1, 3), {}, "labels"),
      StatusIs(kInvalid, "CSV rows carry their own labels"));
}

}  // namespace
}  // namespace fixpoint::io
