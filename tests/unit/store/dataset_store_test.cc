// ArtifactStore datasets: the Sign-Language-MNIST CSV fixture and tiny
// hand-made CSV / IDX files stored, found by sha256, prefix or name, loaded
// back; identical bytes stored once (also when uploaded concurrently); and
// malformed data rejected with the reader's line before anything is written.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "core/store/artifact_store.h"
#include "core/util/sha256.h"
#include "tests/unit/store/store_test_util.h"

namespace fixpoint::store {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testutil::Entries;
using testutil::ReadAll;

constexpr char kSignMnistTest[] = FP_SHARED_DIR "/fixtures/csv/sign_mnist_sample_test.csv";

// Items of 1x1x2 pixels, for hand-written CSV rows "label,p0,p1".
io::PreprocessSpec TinySpec() {
  io::PreprocessSpec spec;
  spec.height = 1;
  spec.width = 2;
  return spec;
}

std::string BigEndian32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

class DatasetStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = temp_.path();
    auto opened = ArtifactStore::Open(root_);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }
  const testutil::TempRoot temp_;
  std::string root_;
  std::unique_ptr<ArtifactStore> store_;
};

TEST_F(DatasetStoreTest, StoresTheCsvFixtureAndLoadsItBack) {
  const std::string csv = ReadAll(kSignMnistTest);
  ASSERT_FALSE(csv.empty()) << kSignMnistTest;
  const io::PreprocessSpec spec;  // 1x28x28, pixels / 255
  auto added = store_->AddDataset("sign_test", csv, "", io::DatasetFormat::kCsv, spec);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(added->sha256, util::Sha256Hex(csv));
  EXPECT_EQ(added->name, "sign_test");
  EXPECT_EQ(added->format, io::DatasetFormat::kCsv);
  EXPECT_EQ(added->items, 11);
  EXPECT_TRUE(added->has_labels);
  EXPECT_THAT(added->item_shape, ElementsAre(1, 28, 28));
  EXPECT_EQ(added->size_bytes, static_cast<int64_t>(csv.size()));
  EXPECT_EQ(added->spec, spec);
  EXPECT_EQ(added->images_path, store_->root() + "/datasets/" + added->sha256 + "/images.csv");
  EXPECT_TRUE(added->labels_path.empty());
  EXPECT_EQ(ReadAll(added->images_path), csv);
  EXPECT_THAT(Entries(root_ + "/tmp"), IsEmpty());

  const std::vector<DatasetInfo> all = store_->ListDatasets();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].sha256, added->sha256);
  EXPECT_EQ(all[0].spec, spec);
  EXPECT_THAT(all[0].item_shape, ElementsAre(1, 28, 28));
  EXPECT_EQ(all[0].created_unix_ms, added->created_unix_ms);

  auto loaded = store_->LoadDataset(*added);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->size(), 11);
  EXPECT_TRUE(loaded->has_labels());
  EXPECT_EQ(loaded->images.shape().dims(), (std::vector<int64_t>{11, 1, 28, 28}));
  auto first = store_->LoadDataset(*added, 5);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->size(), 5);
}

TEST_F(DatasetStoreTest, FindsByShaPrefixOrName) {
  auto a = store_->AddDataset("tiny", "0,1,2\n1,3,4\n", "", io::DatasetFormat::kCsv, TinySpec());
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = store_->AddDataset("other", "2,5,6\n", "", io::DatasetFormat::kCsv, TinySpec());
  ASSERT_TRUE(b.ok()) << b.status();
  auto sha_of = [&](const std::string& id) {
    auto got = store_->GetDataset(id);
    return got.ok() ? got->sha256 : got.status().ToString();
  };
  EXPECT_EQ(sha_of(a->sha256), a->sha256);
  EXPECT_EQ(sha_of(a->sha256.substr(0, 12)), a->sha256);
  EXPECT_EQ(sha_of(absl::AsciiStrToUpper(a->sha256.substr(0, 20))), a->sha256);
  EXPECT_EQ(sha_of("tiny"), a->sha256);
  EXPECT_EQ(sha_of("other"), b->sha256);

  auto short_prefix = store_->GetDataset(a->sha256.substr(0, 11));
  EXPECT_EQ(short_prefix.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(short_prefix.status().message(), HasSubstr("at least 12 hex digits"));
  EXPECT_EQ(store_->GetDataset("nothing").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetDataset("").status().code(), absl::StatusCode::kInvalidArgument);

  // A second dataset under the same name makes the name ambiguous.
  auto c = store_->AddDataset("tiny", "3,7,8\n", "", io::DatasetFormat::kCsv, TinySpec());
  ASSERT_TRUE(c.ok()) << c.status();
  auto ambiguous = store_->GetDataset("tiny");
  EXPECT_EQ(ambiguous.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ambiguous.status().message(), HasSubstr("2 datasets have this name"));
  EXPECT_EQ(sha_of(c->sha256.substr(0, 16)), c->sha256);
  EXPECT_EQ(store_->ListDatasets().size(), 3u);
}

TEST_F(DatasetStoreTest, IdenticalImagesReturnTheExistingEntry) {
  const std::string csv = "0,1,2\n1,3,4\n";
  auto first = store_->AddDataset("first", csv, "", io::DatasetFormat::kCsv, TinySpec());
  ASSERT_TRUE(first.ok()) << first.status();
  auto again = store_->AddDataset("second", csv, "", io::DatasetFormat::kCsv, TinySpec());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->sha256, first->sha256);
  EXPECT_EQ(again->name, "first");
  EXPECT_EQ(again->created_unix_ms, first->created_unix_ms);
  EXPECT_EQ(again->images_path, first->images_path);
  EXPECT_EQ(store_->ListDatasets().size(), 1u);
  EXPECT_THAT(Entries(root_ + "/datasets"), ElementsAre(first->sha256));
}

TEST_F(DatasetStoreTest, ConcurrentIdenticalUploadsStoreOnce) {
  const std::string csv = "0,1,2\n1,3,4\n2,5,6\n";
  std::vector<std::string> shas(6);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < shas.size(); ++i) {
    threads.emplace_back([&, i] {
      auto added =
          store_->AddDataset("d" + std::to_string(i), csv, "", io::DatasetFormat::kCsv, TinySpec());
      EXPECT_TRUE(added.ok()) << added.status();
      if (added.ok()) shas[i] = added->sha256;
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& sha : shas) EXPECT_EQ(sha, util::Sha256Hex(csv));
  EXPECT_EQ(store_->ListDatasets().size(), 1u);
  EXPECT_THAT(Entries(root_ + "/datasets"), ElementsAre(util::Sha256Hex(csv)));
  EXPECT_THAT(Entries(root_ + "/tmp"), IsEmpty());
}

TEST_F(DatasetStoreTest, MalformedCsvIsRejectedWithItsLineAndLeavesNothing) {
  // Line 2 has one pixel where the spec's 1x1x2 items need two.
  auto bad = store_->AddDataset("bad", "0,1,2\n1,3\n", "", io::DatasetFormat::kCsv, TinySpec());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("line 2"));
  EXPECT_THAT(bad.status().message(), HasSubstr("dataset 'bad'"));
  auto not_number = store_->AddDataset("bad", "0,1,x\n", "", io::DatasetFormat::kCsv, TinySpec());
  EXPECT_EQ(not_number.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(not_number.status().message(), HasSubstr("line 1, column 3"));
  // The fixture under the wrong item shape.
  io::PreprocessSpec wrong;
  wrong.height = 27;
  auto mismatch =
      store_->AddDataset("sign", ReadAll(kSignMnistTest), "", io::DatasetFormat::kCsv, wrong);
  EXPECT_EQ(mismatch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(mismatch.status().message(), HasSubstr("line 1"));
  auto bad_name = store_->AddDataset("../x", "0,1,2\n", "", io::DatasetFormat::kCsv, TinySpec());
  EXPECT_EQ(bad_name.status().code(), absl::StatusCode::kInvalidArgument);

  EXPECT_THAT(Entries(root_ + "/datasets"), IsEmpty());
  EXPECT_THAT(Entries(root_ + "/tmp"), IsEmpty());
  EXPECT_TRUE(store_->ListDatasets().empty());
}

// IDX images with a separate idx1 labels file: both are stored and the
// labels come back on load.
TEST_F(DatasetStoreTest, StoresIdxWithLabelsFile) {
  io::PreprocessSpec spec;
  spec.height = 2;
  spec.width = 2;
  const std::string images = BigEndian32(0x00000803) + BigEndian32(3) + BigEndian32(2) +
                             BigEndian32(2) +
                             std::string(
                                 "\x00\x10\x20\x30\x40\x50\x60\x70"
                                 "\x80\x90\xa0\xb0",
                                 12);
  const std::string labels =
      BigEndian32(0x00000801) + BigEndian32(3) + std::string("\x07\x00\x02", 3);
  auto added = store_->AddDataset("tiny_idx", images, labels, io::DatasetFormat::kIdx, spec);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(added->items, 3);
  EXPECT_TRUE(added->has_labels);
  EXPECT_THAT(added->item_shape, ElementsAre(1, 2, 2));
  EXPECT_EQ(added->size_bytes, static_cast<int64_t>(images.size() + labels.size()));
  EXPECT_THAT(added->images_path, EndsWith("/images.idx"));
  EXPECT_THAT(added->labels_path, EndsWith("/labels.idx"));
  auto loaded = store_->LoadDataset(*added);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_THAT(loaded->labels, ElementsAre(7, 0, 2));
  EXPECT_FLOAT_EQ(loaded->images.data<float>()[1], 16.0f / 255.0f);

  // Fewer labels than images: rejected before anything is stored.
  const std::string two_labels =
      BigEndian32(0x00000801) + BigEndian32(2) + std::string("\x01\x02", 2);
  std::string other_images = images;
  other_images.back() = '\x01';
  auto mismatch = store_->AddDataset("m", other_images, two_labels, io::DatasetFormat::kIdx, spec);
  EXPECT_EQ(mismatch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListDatasets().size(), 1u);
  EXPECT_THAT(Entries(root_ + "/tmp"), IsEmpty());
}

}  // namespace
}  // namespace fixpoint::store
