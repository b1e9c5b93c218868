// Quantized artifacts on disk: manifest JSON round trip, atomic immutable
// writes, parse errors that name the key, and a real artifact of the
// bundled seed_cnn whose model.onnx re-imports and runs int8 kernels with
// the same predictions as the in-memory QDQ graph.
#include "core/quant/artifact.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "core/io/dataset.h"
#include "core/io/onnx_importer.h"
#include "core/runtime/session.h"

namespace fixpoint::quant {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

Manifest SampleManifest() {
  Manifest m;
  m.source_model = "models/seed_cnn.onnx";
  m.source_sha256 = std::string(64, 'a');
  m.method = "mse";
  m.scheme = "u8 asymmetric activations, s8 symmetric per-channel weights";
  m.calib_dataset = "train.gz";
  m.calib_sha256 = std::string(64, 'b');
  m.calib_images = 100;
  m.calib_seconds = 0.25;
  m.fixpoint_version = "0.3.0";
  m.onednn_version = "2.6.3";
  m.created_utc = "2026-11-25T00:00:00Z";
  m.tensors.push_back({"input", 0.0039f, 0, ir::DType::kU8, std::nullopt, 0.0f, 1.0f, ""});
  m.tensors.push_back({"p", 0.25f, 0, ir::DType::kI8, 2, -32.0f, 31.75f, "c"});
  AccuracyReport a;
  a.dataset = "test.gz";
  a.dataset_sha256 = std::string(64, 'c');
  a.images = 10000;
  a.fp32_top1 = 0.9197;
  a.int8_top1 = 0.9201;
  a.top1_agreement = 0.9959;
  m.accuracy = a;
  m.bias_correction_mode = "auto";
  m.bias_correction.applied = true;
  m.bias_correction.nodes = {"conv1", "fc"};
  m.bias_correction.calib_sqnr_without_db = 34.5;
  m.bias_correction.calib_sqnr_with_db = 38.6;
  return m;
}

TEST(ArtifactTest, ManifestRoundTrips) {
  const Manifest m = SampleManifest();
  auto back = ParseManifest(ManifestToJson(m));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->method, m.method);
  EXPECT_EQ(back->calib_sha256, m.calib_sha256);
  ASSERT_EQ(back->tensors.size(), 2u);
  EXPECT_EQ(back->tensors[1].fix_pos, 2);
  EXPECT_EQ(back->tensors[1].params_from, "c");
  EXPECT_EQ(back->tensors[1].dtype, ir::DType::kI8);
  ASSERT_TRUE(back->accuracy.has_value());
  EXPECT_NEAR(back->accuracy->top1_drop_pp(), -0.04, 1e-9);
  EXPECT_EQ(back->bias_correction_mode, "auto");
  EXPECT_TRUE(back->bias_correction.applied);
  EXPECT_EQ(back->bias_correction.nodes, m.bias_correction.nodes);
  EXPECT_EQ(back->bias_correction.calib_sqnr_with_db, 38.6);
}

// Manifests written before bias correction existed read as "off".
TEST(ArtifactTest, ManifestWithoutBiasCorrectionReadsAsOff) {
  Manifest m = SampleManifest();
  std::string json = ManifestToJson(m);
  const size_t key = json.find("  \"bias_correction\"");
  ASSERT_NE(key, std::string::npos);
  json.erase(key, json.find("\n  \"", key + 1) - key + 1);
  auto back = ParseManifest(json);
  ASSERT_TRUE(back.ok()) << back.status() << json;
  EXPECT_EQ(back->bias_correction_mode, "off");
  EXPECT_FALSE(back->bias_correction.applied);
}

TEST(ArtifactTest, ParseErrorsNameTheKey) {
  EXPECT_THAT(ParseManifest("[1, 2]").status().message(), HasSubstr("not a JSON object"));
  EXPECT_THAT(ParseManifest("{oops").status().message(), HasSubstr("not a JSON object"));
  std::string text = ManifestToJson(SampleManifest());
  text.replace(text.find("\"method\""), 8, "\"methxd\"");
  EXPECT_THAT(ParseManifest(text).status().message(), HasSubstr("'method'"));
}

// seed_cnn quantized on 64 Fashion-MNIST training images, written, read
// back, run through the int8 kernels: identical predictions on 128 test
// images to the in-memory QDQ graph.
TEST(ArtifactTest, WritesAtomicImmutableArtifactThatRunsInt8) {
  auto graph = io::ImportOnnxFile(FP_SOURCE_DIR "/models/seed_cnn.onnx");
  ASSERT_TRUE(graph.ok()) << graph.status();
  const std::string data = "/usr/share/datasets/fashion-mnist/";
  io::LoadOptions load;
  load.max_items = 64;
  auto calib = io::LoadDataset(data + "train-images-idx3-ubyte.gz", io::PreprocessSpec{}, load);
  ASSERT_TRUE(calib.ok()) << calib.status();
  QuantizeOptions options;
  options.method = "minmax";
  options.num_images = 64;
  auto result = Quantize(*graph, *calib, options);
  ASSERT_TRUE(result.ok()) << result.status();

  const std::string dir = ::testing::TempDir() + "/fp_artifact_test/seed_cnn_v1";
  fs::remove_all(fs::path(dir).parent_path());
  Manifest m = SampleManifest();
  m.tensors = result->tensors;
  ASSERT_TRUE(WriteArtifact(dir, result->graph, m).ok());
  EXPECT_EQ(WriteArtifact(dir, result->graph, m).code(), absl::StatusCode::kAlreadyExists);
  int entries = 0;
  for (const auto& e : fs::directory_iterator(fs::path(dir).parent_path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1) << "no temporary directory left behind";
  auto manifest = ReadManifest(dir);
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  EXPECT_EQ(manifest->tensors.size(), result->tensors.size());

  auto reloaded = io::ImportOnnxFile(dir + "/" + kArtifactModelFile);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  auto direct = runtime::Session::Create(result->graph, runtime::SessionOptions{});
  auto from_disk = runtime::Session::Create(std::move(*reloaded), runtime::SessionOptions{});
  ASSERT_TRUE(direct.ok() && from_disk.ok());
  load.max_items = 128;
  auto test = io::LoadDataset(data + "t10k-images-idx3-ubyte.gz", io::PreprocessSpec{}, load);
  ASSERT_TRUE(test.ok());
  auto batch = test->Batch(0, 128);
  ASSERT_TRUE(batch.ok());
  const ir::TensorView in[] = {batch->images};
  auto a = (*direct)->Run(in);
  auto b = (*from_disk)->Run(in);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(std::memcmp((*a)[0].raw(), (*b)[0].raw(), (*a)[0].ByteSize()), 0);
  // The session really runs integer kernels.
  const ir::Shape shapes[] = {batch->images.shape};
  auto bound = (*from_disk)->DescribeBinding(shapes);
  ASSERT_TRUE(bound.ok());
  int qconvs = 0;
  for (const auto& node : *bound) qconvs += node.op_type == "QLinearConv";
  EXPECT_EQ(qconvs, 2);
}

}  // namespace
}  // namespace fixpoint::quant
