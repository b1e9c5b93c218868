// NPY reader: generated files in the layouts numpy writes, and every
// malformed-input error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/io/dataset.h"
#include "tests/unit/datasets/dataset_test_util.h"

namespace fixpoint::io {
namespace {

using ::fixpoint::io::testing::Npy;
using ::fixpoint::io::testing::NpyWithHeader;
using ::fixpoint::io::testing::RawBytes;
using ::fixpoint::io::testing::RawSpec;
using ::fixpoint::io::testing::StatusIs;
using ::fixpoint::io::testing::U8Bytes;
using ::fixpoint::io::testing::Values;
using ::fixpoint::io::testing::WriteTemp;
using ::testing::ElementsAre;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

// Two 1x2x2 f32 images holding 0..7.
std::string Images() {
  return Npy("<f4", "(2, 1, 2, 2)", RawBytes<float>({0, 1, 2, 3, 4, 5, 6, 7}));
}

absl::StatusOr<Dataset> LoadNpy(const std::string& images, const std::string& labels = "",
                                const PreprocessSpec& spec = RawSpec(1, 2, 2),
                                LoadOptions opts = {}) {
  opts.source_name = "x.npy";
  return LoadDatasetFromBytes(images, DatasetFormat::kNpy, spec, opts, labels);
}

TEST(NpyReaderTest, ReadsF32ImagesAndI64LabelsFromFiles) {
  const std::string images = WriteTemp("images.npy", Images());
  LoadOptions opts;
  opts.labels_path = WriteTemp("labels.npy", Npy("<i8", "(2,)", RawBytes<int64_t>({4, 1})));
  auto ds = LoadDataset(images, RawSpec(1, 2, 2), opts);
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->format, DatasetFormat::kNpy);
  EXPECT_EQ(ds->images.shape(), (ir::Shape{2, 1, 2, 2}));
  EXPECT_THAT(Values(ds->images), ElementsAre(0, 1, 2, 3, 4, 5, 6, 7));
  EXPECT_THAT(ds->labels, ElementsAre(4, 1));
}

TEST(NpyReaderTest, AcceptsEveryImageShape) {
  const PreprocessSpec spec = RawSpec(1, 2, 2);
  const std::string u8 = U8Bytes({0, 1, 2, 3, 4, 5, 6, 7});
  for (const std::string shape :
       {"(2, 1, 2, 2)", "(2, 2, 2, 1)", "(2, 2, 2)", "(2, 4)", "(2L, 4L)"}) {
    auto ds = LoadNpy(Npy("|u1", shape, u8), "", spec);
    ASSERT_TRUE(ds.ok()) << ds.status() << " for " << shape;
    EXPECT_EQ(ds->images.shape(), (ir::Shape{2, 1, 2, 2}));
    EXPECT_THAT(Values(ds->images), ElementsAre(0, 1, 2, 3, 4, 5, 6, 7));
  }
}

TEST(NpyReaderTest, DetectsNhwcFromSpecChannelsAndConvertsF64) {
  // One 1x2 image with 3 channels stored as [N, H, W, C] f64.
  const std::string hwc = RawBytes<double>({1, 2, 3, 4, 5, 6});
  auto ds = LoadNpy(Npy("<f8", "(1, 1, 2, 3)", hwc), Npy("<i4", "(1, 1)", RawBytes<int32_t>({2})),
                    RawSpec(3, 1, 2));
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->images.shape(), (ir::Shape{1, 3, 1, 2}));
  EXPECT_THAT(Values(ds->images), ElementsAre(1, 4, 2, 5, 3, 6));
  EXPECT_THAT(ds->labels, ElementsAre(2));
}

TEST(NpyReaderTest, ReadsVersion2HeadersBigEndianAndUnitFortranOrder) {
  auto v2 = LoadNpy(Npy("<f4", "(2, 1, 2, 2)", RawBytes<float>({0, 1, 2, 3, 4, 5, 6, 7}), 2));
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(v2->size(), 2);
  auto be = LoadNpy(Npy(">i2", "(1, 4)", std::string("\0\x01\x01\0\xff\xff\0\0", 8)));
  ASSERT_TRUE(be.ok()) << be.status();
  EXPECT_THAT(Values(be->images), ElementsAre(1, 256, -1, 0));
  // Fortran order is the same bytes when only one dimension exceeds 1.
  auto labels =
      NpyWithHeader("{'descr': '|u1', 'fortran_order': True, 'shape': (2,), }", U8Bytes({3, 5}));
  auto fortran = LoadNpy(Images(), labels);
  ASSERT_TRUE(fortran.ok()) << fortran.status();
  EXPECT_THAT(fortran->labels, ElementsAre(3, 5));
}

TEST(NpyReaderErrorTest, BadMagicVersionAndTruncatedPreamble) {
  EXPECT_THAT(LoadNpy(""), StatusIs(kInvalid, "x.npy: file is empty"));
  EXPECT_THAT(LoadNpy("PK\x03\x04zipfile"),
              StatusIs(kInvalid, "x.npy: bad magic at byte 0: not a NumPy .npy file"));
  EXPECT_THAT(LoadNpy(Images().substr(0, 9)), StatusIs(kInvalid, "truncated header: 9 bytes"));
  std::string v9 = Images();
  v9[6] = 9;
  EXPECT_THAT(LoadNpy(v9), StatusIs(kInvalid, "byte 6: unsupported .npy format version 9.0"));
  EXPECT_THAT(LoadNpy(Images().substr(0, 40)),
              StatusIs(kInvalid,
                       "truncated header: byte 8 says the header is 118 bytes from "
                       "byte 10, past the end of the 40-byte file"));
}

TEST(NpyReaderErrorTest, BadHeaderDict) {
  const std::string data = RawBytes<float>({0, 1, 2, 3});
  EXPECT_THAT(LoadNpy(NpyWithHeader("descr: '<f4'", data)),
              StatusIs(kInvalid, "x.npy: header at byte 10: expected '{'"));
  EXPECT_THAT(LoadNpy(NpyWithHeader("{'descr' '<f4'}", data)),
              StatusIs(kInvalid, "header at byte 19: expected ':'"));
  EXPECT_THAT(LoadNpy(NpyWithHeader("{'descr': '<f4', 'shape': (1, 4), }", data)),
              StatusIs(kInvalid, "lacks one of 'descr', 'fortran_order', 'shape'"));
  EXPECT_THAT(
      LoadNpy(NpyWithHeader("{'descr': '<f4', 'fortran_order': false, 'shape': (1, 4), }", data)),
      StatusIs(kInvalid, "expected True or False"));
  EXPECT_THAT(
      LoadNpy(NpyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1, -4), }", data)),
      StatusIs(kInvalid, "expected a non-negative integer dimension"));
  EXPECT_THAT(LoadNpy(NpyWithHeader(
                  "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4), 'x': 1}", data)),
              StatusIs(kInvalid, "unexpected key 'x'"));
  EXPECT_THAT(LoadNpy(NpyWithHeader("{'descr': '<f4, 'fortran_order': False", data)),
              StatusIs(kInvalid, "header at byte"));
  EXPECT_THAT(LoadNpy(Npy("<f4", "()", RawBytes<float>({1}))),
              StatusIs(kInvalid, "a 0-d (scalar) array holds no items"));
}

TEST(NpyReaderErrorTest, UnsupportedArrays) {
  EXPECT_THAT(LoadNpy(NpyWithHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 4), }",
                                    RawBytes<float>({0, 1, 2, 3, 4, 5, 6, 7}))),
              StatusIs(kInvalid, "fortran_order=True is not supported"));
  EXPECT_THAT(LoadNpy(Npy("<c8", "(1, 4)", std::string(32, '\0'))),
              StatusIs(kInvalid, "x.npy: unsupported dtype '<c8'"));
  EXPECT_THAT(LoadNpy(Npy("|O8", "(4,)", std::string(32, '\0'))),
              StatusIs(kInvalid, "unsupported dtype '|O8'"));
  EXPECT_THAT(LoadNpy(NpyWithHeader("{'descr': [('a', '<f4')], 'fortran_order': False, "
                                    "'shape': (1,), }",
                                    "")),
              StatusIs(kInvalid, "'descr' is a structured dtype"));
  EXPECT_THAT(LoadNpy(Npy("<f4", "(2, 28, 28)", std::string(2 * 784 * 4, '\0'))),
              StatusIs(kInvalid,
                       "array of shape [2,28,28] does not hold items of the "
                       "preprocessing spec's shape=1x2x2"));
}

TEST(NpyReaderErrorTest, TruncatedDataAndAbsurdDims) {
  EXPECT_THAT(LoadNpy(Images().substr(0, 128 + 5)),
              StatusIs(kInvalid,
                       "x.npy: header says 2×1×2×2 <f4 = 32 bytes of data but only 5 "
                       "follow at byte 128"));
  EXPECT_THAT(LoadNpy(Images() + "!"), StatusIs(kInvalid, "32 bytes of data but 33 follow"));
  EXPECT_THAT(LoadNpy(Npy("<f8", "(4611686018427387904, 4)", "")),
              StatusIs(kInvalid,
                       "header shape: 4611686018427387904×4 elements of 8 bytes "
                       "overflow a 64-bit size"));
  EXPECT_THAT(LoadNpy(Npy("<f4", "(99999999999999999999999, 4)", "")),
              StatusIs(kInvalid, "expected a non-negative integer dimension"));
  LoadOptions small;
  small.max_bytes = 1 << 20;
  EXPECT_THAT(LoadNpy(Npy("|u1", "(1000000, 28, 28)", ""), "", PreprocessSpec(), small),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "1000000×28×28 elements of 1 bytes = 784000000 bytes exceed the "
                       "1048576-byte limit"));
}

TEST(NpyReaderErrorTest, BadLabels) {
  EXPECT_THAT(LoadNpy(Images(), Npy("<i8", "(3,)", RawBytes<int64_t>({1, 2, 3}))),
              StatusIs(kInvalid, "x.npy labels: 3 labels for 2 images"));
  EXPECT_THAT(LoadNpy(Images(), Npy("<f4", "(2,)", RawBytes<float>({1, 2}))),
              StatusIs(kInvalid, "labels must be integers, not f32"));
  EXPECT_THAT(LoadNpy(Images(), Npy("<i4", "(2,)", RawBytes<int32_t>({1, -2}))),
              StatusIs(kInvalid, "label 1 at byte 132 is -2; labels must be >= 0"));
  EXPECT_THAT(LoadNpy(Images(), Npy("<i8", "(2,)", RawBytes<int64_t>({1, int64_t{1} << 40}))),
              StatusIs(kInvalid, "is 1099511627776; labels must fit int32"));
  EXPECT_THAT(LoadNpy(Images(), Npy("<i8", "(2, 2)", RawBytes<int64_t>({1, 2, 3, 4}))),
              StatusIs(kInvalid, "labels must have shape (N,) or (N, 1), not (2, 2)"));
  EXPECT_THAT(LoadNpy(Images(), "not an npy file"), StatusIs(kInvalid, "x.npy labels: bad magic"));
}

}  // namespace
}  // namespace fixpoint::io
