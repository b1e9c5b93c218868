// Crash recovery at Open(): leftovers of interrupted writes are removed,
// directories without a row go, rows whose files went behind the store's
// back are dropped (with their labels), and committed data survives.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/store/artifact_store.h"
#include "core/util/sha256.h"
#include "tests/unit/store/store_test_util.h"

namespace fixpoint::store {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testutil::Entries;
using testutil::ReadAll;
using testutil::WriteAll;

FloatModel Float(const std::string& bytes) {
  FloatModel m;
  m.onnx_bytes = bytes;
  return m;
}

std::unique_ptr<ArtifactStore> OpenOrDie(const std::string& root) {
  auto store = ArtifactStore::Open(root);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(*store) : nullptr;
}

TEST(StoreRecoveryTest, RemovesStagingDebrisAndDirectoriesWithoutRows) {
  const testutil::TempRoot temp;
  const std::string& root = temp.path();
  {
    auto store = OpenOrDie(root);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->AddFloatVersion("seed_cnn", Float("one")).ok());
  }
  // What a crash can leave: a half-staged version in tmp/, a version renamed
  // into place whose row was never inserted, the same for a new model and a
  // dataset, and a stray file in a model directory.
  WriteAll(root + "/tmp/stage-abc123/v/model.onnx", "partial");
  WriteAll(root + "/tmp/trash-xyz/x/model.onnx", "half removed");
  WriteAll(root + "/models/seed_cnn/2/model.onnx", "no row");
  WriteAll(root + "/models/seed_cnn/2/manifest.json", "{}");
  WriteAll(root + "/models/seed_cnn/.tmp-3-XXXXXX/model.onnx", "stray");
  WriteAll(root + "/models/fresh/1/model.onnx", "no row");
  WriteAll(root + "/datasets/" + std::string(64, 'e') + "/images.csv", "0,1\n");

  auto store = OpenOrDie(root);
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(Entries(root + "/tmp"), IsEmpty());
  EXPECT_THAT(Entries(root + "/models"), ElementsAre("seed_cnn"));
  EXPECT_THAT(Entries(root + "/models/seed_cnn"), ElementsAre("1"));
  EXPECT_THAT(Entries(root + "/datasets"), IsEmpty());
  // The committed version is untouched.
  auto v1 = store->GetVersion("seed_cnn", 1);
  ASSERT_TRUE(v1.ok()) << v1.status();
  EXPECT_EQ(ReadAll(v1->model_path), "one");
  EXPECT_EQ(store->ListModels().size(), 1u);
  // The orphan's number was never committed, so the next version takes it.
  auto v2 = store->AddFloatVersion("seed_cnn", Float("two"));
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(v2->version, 2);
  EXPECT_EQ(ReadAll(v2->model_path), "two");
}

TEST(StoreRecoveryTest, DropsRowsWhoseDirectoryIsGone) {
  const testutil::TempRoot temp;
  const std::string& root = temp.path();
  {
    auto store = OpenOrDie(root);
    ASSERT_NE(store, nullptr);
    for (const char* bytes : {"one", "two", "three"}) {
      ASSERT_TRUE(store->AddFloatVersion("m", Float(bytes)).ok());
    }
    ASSERT_TRUE(store->SetLabel("m", 2, "prod").ok());
    ASSERT_TRUE(store->SetLabel("m", 3, "canary").ok());
  }
  fs::remove_all(root + "/models/m/2");         // whole directory
  fs::remove(root + "/models/m/3/model.onnx");  // or just the model
  auto store = OpenOrDie(root);
  ASSERT_NE(store, nullptr);
  auto model = store->GetModel("m");
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_EQ(model->versions.size(), 1u);
  EXPECT_EQ(model->versions[0].version, 1);
  EXPECT_TRUE(model->labels.empty());
  EXPECT_EQ(store->GetVersion("m", 2).status().message(),
            "model 'm' has no version 2 (versions: 1)");
  EXPECT_THAT(Entries(root + "/models/m"), ElementsAre("1"));
  // Numbers of dropped versions are not reused either.
  auto v4 = store->AddFloatVersion("m", Float("four"));
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->version, 4);
}

TEST(StoreRecoveryTest, DropsDatasetRowsWhoseFilesAreGone) {
  const testutil::TempRoot temp;
  const std::string& root = temp.path();
  std::string kept_sha;
  {
    auto store = OpenOrDie(root);
    ASSERT_NE(store, nullptr);
    io::PreprocessSpec spec;
    spec.height = 1;
    spec.width = 2;
    auto a = store->AddDataset("a", "0,1,2\n1,3,4\n", "", io::DatasetFormat::kCsv, spec);
    auto b = store->AddDataset("b", "0,5,6\n", "", io::DatasetFormat::kCsv, spec);
    ASSERT_TRUE(a.ok() && b.ok());
    kept_sha = a->sha256;
    fs::remove(b->images_path);
  }
  auto store = OpenOrDie(root);
  ASSERT_NE(store, nullptr);
  const std::vector<DatasetInfo> datasets = store->ListDatasets();
  ASSERT_EQ(datasets.size(), 1u);
  EXPECT_EQ(datasets[0].name, "a");
  EXPECT_THAT(Entries(root + "/datasets"), ElementsAre(kept_sha));
  EXPECT_EQ(store->GetDataset("b").status().code(), absl::StatusCode::kNotFound);
}

// The scheduler keeps its own tables in the same database.
TEST(StoreRecoveryTest, SharedDatabaseKeepsOtherTables) {
  const testutil::TempRoot temp;
  const std::string& root = temp.path();
  {
    auto store = OpenOrDie(root);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->db().ExecScript("CREATE TABLE jobs (id TEXT PRIMARY KEY)").ok());
    ASSERT_TRUE(store->db().Exec("INSERT INTO jobs (id) VALUES (?1)", {std::string("job-1")}).ok());
  }
  auto store = OpenOrDie(root);
  ASSERT_NE(store, nullptr);
  auto rows = store->db().Query("SELECT id FROM jobs");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(SqlText((*rows)[0][0]), "job-1");
}

TEST(StoreRecoveryTest, OpenFailsOnARootThatIsAFile) {
  const testutil::TempRoot temp;
  const std::string& root = temp.path();
  WriteAll(root, "not a directory");
  EXPECT_FALSE(ArtifactStore::Open(root).ok());
  EXPECT_EQ(ArtifactStore::Open("").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fixpoint::store
