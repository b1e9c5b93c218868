// ArtifactStore model versions on a real temporary directory: add, list,
// get, resolve, labels, delete, version numbers that are never reused,
// concurrent adds, int8 versions written from a QDQ graph, and names that
// never escape the store.
#include "core/store/artifact_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/io/onnx_importer.h"
#include "core/ir/shape_inference.h"
#include "core/util/sha256.h"
#include "tests/unit/store/store_test_util.h"

namespace fixpoint::store {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testutil::Entries;
using testutil::ReadAll;

// The store does not parse float uploads (the caller validated them), so
// any bytes stand in for an ONNX file here.
FloatModel Float(const std::string& bytes) {
  FloatModel m;
  m.onnx_bytes = bytes;
  m.source_sha256 = util::Sha256Hex("upload:" + bytes);
  m.description = "test " + bytes;
  return m;
}

// x -> QuantizeLinear -> DequantizeLinear -> y, the smallest QDQ graph.
ir::Graph TinyQdqGraph() {
  ir::Graph g;
  g.name = "tiny_qdq";
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape({1, 4})});
  g.initializers["s"] = ir::Tensor::FromF32(ir::Shape(), std::vector<float>{0.1f});
  g.initializers["z"] = ir::Tensor(ir::DType::kU8, ir::Shape());
  ir::Node q;
  q.name = "q";
  q.op_type = "QuantizeLinear";
  q.inputs = {"x", "s", "z"};
  q.outputs = {"xq"};
  ir::Node dq = q;
  dq.name = "dq";
  dq.op_type = "DequantizeLinear";
  dq.inputs = {"xq", "s", "z"};
  dq.outputs = {"y"};
  g.nodes = {q, dq};
  g.outputs.push_back({"y", ir::DType::kF32, ir::Shape({1, 4})});
  EXPECT_TRUE(ir::InferShapes(g).ok());
  return g;
}

quant::Manifest Int8Manifest(const std::string& parent) {
  quant::Manifest m;
  m.source_model = "seed_cnn";
  m.source_sha256 = std::string(64, 'a');
  m.parent_version = parent;
  m.method = "minmax";
  m.scheme = "u8 asymmetric activations, s8 symmetric per-channel weights";
  m.calib_dataset = "calib";
  m.calib_sha256 = std::string(64, 'b');
  m.calib_images = 16;
  m.created_utc = "2026-11-25T00:00:00Z";
  m.tensors.push_back({"x", 0.1f, 0, ir::DType::kU8, std::nullopt, 0.0f, 25.5f, ""});
  return m;
}

class ArtifactStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = temp_.path();
    Reopen();
  }
  void Reopen() {
    store_.reset();
    auto opened = ArtifactStore::Open(root_);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }
  std::vector<int64_t> Versions(const std::string& name) {
    std::vector<int64_t> out;
    auto model = store_->GetModel(name);
    if (model.ok()) {
      for (const VersionInfo& v : model->versions) out.push_back(v.version);
    }
    return out;
  }

  const testutil::TempRoot temp_;
  std::string root_;
  std::unique_ptr<ArtifactStore> store_;
};

TEST_F(ArtifactStoreTest, OpenMakesTheLayout) {
  EXPECT_THAT(Entries(root_),
              testing::IsSupersetOf({"datasets", "metadata.sqlite", "models", "tmp"}));
  EXPECT_TRUE(fs::path(store_->root()).is_absolute());
  EXPECT_TRUE(store_->ListModels().empty());
}

TEST_F(ArtifactStoreTest, AddsListsAndGetsFloatVersions) {
  auto v1 = store_->AddFloatVersion("seed_cnn", Float("one"));
  ASSERT_TRUE(v1.ok()) << v1.status();
  auto v2 = store_->AddFloatVersion("seed_cnn", Float("two"));
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(v1->version, 1);
  EXPECT_EQ(v2->version, 2);
  EXPECT_EQ(v2->model, "seed_cnn");
  EXPECT_EQ(v2->precision, Precision::kFp32);
  EXPECT_EQ(v2->parent_version, 0);
  EXPECT_EQ(v2->sha256, util::Sha256Hex("two"));
  EXPECT_EQ(v2->size_bytes, 3);
  EXPECT_EQ(v2->source_format, "onnx");
  EXPECT_EQ(v2->description, "test two");
  EXPECT_GT(v2->created_unix_ms, 0);
  EXPECT_EQ(v2->dir, store_->root() + "/models/seed_cnn/2");
  EXPECT_EQ(v2->model_path, v2->dir + "/model.onnx");
  EXPECT_EQ(ReadAll(v2->model_path), "two");
  EXPECT_THAT(Entries(v2->dir), ElementsAre("manifest.json", "model.onnx"));
  EXPECT_THAT(Entries(root_ + "/tmp"), IsEmpty());

  ASSERT_TRUE(store_->AddFloatVersion("other", Float("x")).ok());
  const std::vector<ModelInfo> models = store_->ListModels();
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0].name, "other");
  EXPECT_EQ(models[1].name, "seed_cnn");
  ASSERT_EQ(models[1].versions.size(), 2u);
  EXPECT_EQ(models[1].versions[0].sha256, util::Sha256Hex("one"));
  EXPECT_EQ(models[1].versions[1].version, 2);

  auto got = store_->GetVersion("seed_cnn", 1);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->sha256, v1->sha256);
  EXPECT_EQ(got->dir, v1->dir);
  EXPECT_EQ(got->created_unix_ms, v1->created_unix_ms);

  // Float versions carry a manifest too.
  auto manifest = store_->ReadManifest("seed_cnn", 2);
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_EQ(manifest->scheme, "fp32");
  EXPECT_EQ(manifest->method, "");
  EXPECT_EQ(manifest->source_model, "seed_cnn");
  EXPECT_EQ(manifest->source_sha256, util::Sha256Hex("upload:two"));
  EXPECT_THAT(manifest->created_utc, testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T.*Z"));
}

TEST_F(ArtifactStoreTest, NotFoundNamesModelAndVersion) {
  ASSERT_TRUE(store_->AddFloatVersion("seed_cnn", Float("one")).ok());
  ASSERT_TRUE(store_->AddFloatVersion("seed_cnn", Float("two")).ok());
  auto missing = store_->GetVersion("seed_cnn", 7);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "model 'seed_cnn' has no version 7 (versions: 1, 2)");
  EXPECT_EQ(store_->GetModel("nope").status().message(), "model 'nope' not found");
  EXPECT_EQ(store_->GetVersion("nope", 1).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->ReadManifest("seed_cnn", 7).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Resolve("nope", "").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ArtifactStoreTest, ResolvesSelectors) {
  for (const char* bytes : {"one", "two", "three"}) {
    ASSERT_TRUE(store_->AddFloatVersion("seed_cnn", Float(bytes)).ok());
  }
  ASSERT_TRUE(store_->SetLabel("seed_cnn", 2, "prod").ok());
  auto resolve = [&](absl::string_view selector) -> int64_t {
    auto v = store_->Resolve("seed_cnn", selector);
    return v.ok() ? v->version : -1;
  };
  EXPECT_EQ(resolve(""), 3);
  EXPECT_EQ(resolve("latest"), 3);
  EXPECT_EQ(resolve("1"), 1);
  EXPECT_EQ(resolve("prod"), 2);
  auto prod = store_->Resolve("seed_cnn", "prod");
  ASSERT_TRUE(prod.ok());
  EXPECT_THAT(prod->labels, ElementsAre("prod"));

  auto nine = store_->Resolve("seed_cnn", "9");
  EXPECT_EQ(nine.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(nine.status().message(), "model 'seed_cnn' has no version 9 (versions: 1, 2, 3)");
  auto huge = store_->Resolve("seed_cnn", "99999999999999999999999");
  EXPECT_EQ(huge.status().code(), absl::StatusCode::kNotFound);
  auto canary = store_->Resolve("seed_cnn", "canary");
  EXPECT_EQ(canary.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(canary.status().message(), HasSubstr("model 'seed_cnn' has no label 'canary'"));
  EXPECT_THAT(canary.status().message(), HasSubstr("labels: prod"));
}

TEST_F(ArtifactStoreTest, LabelsMoveAndLeaveWithTheirVersion) {
  ASSERT_TRUE(store_->AddFloatVersion("m", Float("one")).ok());
  ASSERT_TRUE(store_->AddFloatVersion("m", Float("two")).ok());
  ASSERT_TRUE(store_->SetLabel("m", 1, "prod").ok());
  ASSERT_TRUE(store_->SetLabel("m", 1, "stable").ok());
  ASSERT_TRUE(store_->SetLabel("m", 2, "prod").ok());  // moves
  auto model = store_->GetModel("m");
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->labels, (std::map<std::string, int64_t>{{"prod", 2}, {"stable", 1}}));
  EXPECT_THAT(model->versions[0].labels, ElementsAre("stable"));
  EXPECT_THAT(model->versions[1].labels, ElementsAre("prod"));

  EXPECT_EQ(store_->SetLabel("m", 5, "x").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->SetLabel("m", 1, "latest").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->SetLabel("m", 1, "Prod").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->SetLabel("nope", 1, "prod").code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(store_->DeleteVersion("m", 2).ok());
  model = store_->GetModel("m");
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->labels, (std::map<std::string, int64_t>{{"stable", 1}}));
  EXPECT_EQ(store_->Resolve("m", "prod").status().code(), absl::StatusCode::kNotFound);
  // The label can be set again on a remaining version.
  EXPECT_TRUE(store_->SetLabel("m", 1, "prod").ok());
}

TEST_F(ArtifactStoreTest, DeleteRemovesRowAndDirectoryAndNumbersAreNeverReused) {
  for (const char* bytes : {"one", "two", "three"}) {
    ASSERT_TRUE(store_->AddFloatVersion("m", Float(bytes)).ok());
  }
  const std::string dir3 = root_ + "/models/m/3";
  ASSERT_TRUE(fs::exists(dir3));
  ASSERT_TRUE(store_->DeleteVersion("m", 3).ok());
  EXPECT_FALSE(fs::exists(dir3));
  EXPECT_THAT(Entries(root_ + "/tmp"), IsEmpty());
  EXPECT_THAT(Versions("m"), ElementsAre(1, 2));
  auto again = store_->DeleteVersion("m", 3);
  EXPECT_EQ(again.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(again.message(), "model 'm' has no version 3 (versions: 1, 2)");

  // 3 was the highest, and still is not handed out again.
  auto v4 = store_->AddFloatVersion("m", Float("four"));
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->version, 4);
  ASSERT_TRUE(store_->DeleteVersion("m", 4).ok());
  Reopen();  // the counter is durable
  auto v5 = store_->AddFloatVersion("m", Float("five"));
  ASSERT_TRUE(v5.ok());
  EXPECT_EQ(v5->version, 5);

  // Deleting every version leaves no model, but the numbering goes on.
  for (int64_t v : {1, 2, 5}) ASSERT_TRUE(store_->DeleteVersion("m", v).ok());
  EXPECT_EQ(store_->GetModel("m").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store_->ListModels().empty());
  auto v6 = store_->AddFloatVersion("m", Float("six"));
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->version, 6);
  EXPECT_THAT(Entries(root_ + "/models/m"), ElementsAre("6"));
}

TEST_F(ArtifactStoreTest, ConcurrentAddsGetDistinctVersions) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 4;
  std::vector<std::vector<VersionInfo>> added(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string bytes = "t" + std::to_string(t) + "i" + std::to_string(i);
        auto v = store_->AddFloatVersion("m", Float(bytes));
        EXPECT_TRUE(v.ok()) << v.status();
        if (v.ok()) added[t].push_back(*v);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<int64_t> numbers;
  for (const auto& per_thread : added) {
    for (const VersionInfo& v : per_thread) {
      numbers.insert(v.version);
      // Each number's directory holds the bytes that were added under it.
      EXPECT_EQ(util::Sha256Hex(ReadAll(v.model_path)), v.sha256) << v.version;
    }
  }
  EXPECT_EQ(numbers.size(), size_t{kThreads * kPerThread});
  EXPECT_EQ(*numbers.begin(), 1);
  EXPECT_EQ(*numbers.rbegin(), kThreads * kPerThread);
  EXPECT_EQ(Versions("m").size(), size_t{kThreads * kPerThread});
  EXPECT_THAT(Entries(root_ + "/tmp"), IsEmpty());
}

TEST_F(ArtifactStoreTest, AddsQuantizedVersionWrittenByWriteArtifact) {
  ASSERT_TRUE(store_->AddFloatVersion("seed_cnn", Float("float")).ok());
  const quant::Manifest manifest = Int8Manifest("1");
  auto v2 = store_->AddQuantizedVersion("seed_cnn", TinyQdqGraph(), manifest, "job-0123");
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(v2->version, 2);
  EXPECT_EQ(v2->precision, Precision::kInt8);
  EXPECT_EQ(v2->parent_version, 1);
  EXPECT_EQ(v2->method, "minmax");
  EXPECT_EQ(v2->job_id, "job-0123");
  EXPECT_EQ(v2->source_format, "quantized");
  auto sha = util::Sha256File(v2->model_path);
  ASSERT_TRUE(sha.ok());
  EXPECT_EQ(v2->sha256, *sha);
  EXPECT_EQ(v2->size_bytes, static_cast<int64_t>(fs::file_size(v2->model_path)));
  EXPECT_THAT(Entries(v2->dir), ElementsAre("manifest.json", "model.onnx"));

  auto read = store_->ReadManifest("seed_cnn", 2);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->parent_version, "1");
  EXPECT_EQ(read->method, "minmax");
  ASSERT_EQ(read->tensors.size(), 1u);
  EXPECT_EQ(read->tensors[0].name, "x");

  // model.onnx is a real ONNX model of the graph.
  auto graph = io::ImportOnnxFile(v2->model_path);
  ASSERT_TRUE(graph.ok()) << graph.status();
  ASSERT_EQ(graph->nodes.size(), 2u);
  EXPECT_EQ(graph->nodes[0].op_type, "QuantizeLinear");
  EXPECT_EQ(graph->nodes[1].op_type, "DequantizeLinear");

  auto got = store_->GetVersion("seed_cnn", 2);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->precision, Precision::kInt8);
  EXPECT_EQ(got->job_id, "job-0123");
  EXPECT_EQ(got->parent_version, 1);
}

TEST_F(ArtifactStoreTest, QuantizedVersionNeedsAnExistingParent) {
  ASSERT_TRUE(store_->AddFloatVersion("seed_cnn", Float("float")).ok());
  auto orphan = store_->AddQuantizedVersion("seed_cnn", TinyQdqGraph(), Int8Manifest("7"), "j");
  EXPECT_EQ(orphan.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(orphan.status().message(), HasSubstr("model 'seed_cnn' has no version 7"));
  auto unnamed = store_->AddQuantizedVersion("seed_cnn", TinyQdqGraph(), Int8Manifest(""), "j");
  EXPECT_EQ(unnamed.status().code(), absl::StatusCode::kInvalidArgument);
  auto other = store_->AddQuantizedVersion("other", TinyQdqGraph(), Int8Manifest("1"), "j");
  EXPECT_EQ(other.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Versions("seed_cnn"), ElementsAre(1));
  EXPECT_THAT(Entries(root_ + "/models/seed_cnn"), ElementsAre("1"));
  EXPECT_THAT(Entries(root_ + "/tmp"), IsEmpty());
}

TEST_F(ArtifactStoreTest, BadNamesNeverTouchThePathTree) {
  for (const std::string& name :
       {std::string("../escape"), std::string("a/b"), std::string(".."), std::string("")}) {
    auto added = store_->AddFloatVersion(name, Float("x"));
    EXPECT_EQ(added.status().code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(store_->GetModel(name).status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(store_->DeleteVersion(name, 1).code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(store_->Resolve(name, "").status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_FALSE(fs::exists(fs::path(root_).parent_path() / "escape"));
  EXPECT_THAT(Entries(root_ + "/models"), IsEmpty());
  EXPECT_EQ(store_->AddFloatVersion("m", FloatModel{}).status().code(),
            absl::StatusCode::kInvalidArgument);  // no bytes
}

// The bundled float model stored as uploaded re-imports from its version
// directory.
TEST_F(ArtifactStoreTest, StoredOnnxReimports) {
  FloatModel model;
  model.onnx_bytes = ReadAll(FP_SOURCE_DIR "/models/seed_cnn.onnx");
  ASSERT_FALSE(model.onnx_bytes.empty());
  model.source_sha256 = util::Sha256Hex(model.onnx_bytes);
  auto v = store_->AddFloatVersion("seed_cnn", model);
  ASSERT_TRUE(v.ok()) << v.status();
  auto graph = io::ImportOnnxFile(v->model_path);
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_FALSE(graph->nodes.empty());
}

}  // namespace
}  // namespace fixpoint::store
