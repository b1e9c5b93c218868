// The preprocessing spec <-> proto, formats, job states, dataset ids, and
// remote reports as manifests.
#include "client/remote_convert.h"
#include "proto/convert/preprocessing_convert.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/quant/artifact.h"

namespace fixpoint::client {
namespace {

TEST(PreprocessingTest, SpecTextBecomesEveryProtoField) {
  auto p = ParsePreprocessing("layout=nhwc,scale=1/255,mean=0.5:0.25:0.125,std=2,shape=3x32x30");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->layout(), "NHWC");
  EXPECT_FLOAT_EQ(p->scale(), 1.0f / 255.0f);
  ASSERT_EQ(p->mean_size(), 3);
  EXPECT_FLOAT_EQ(p->mean(2), 0.125f);
  ASSERT_EQ(p->std_size(), 1);
  EXPECT_FLOAT_EQ(p->std(0), 2.0f);
  EXPECT_EQ(p->channels(), 3);
  EXPECT_EQ(p->height(), 32);
  EXPECT_EQ(p->width(), 30);
}

TEST(PreprocessingTest, DefaultsAreTheSpecDefaults) {
  auto p = ParsePreprocessing("");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->layout(), "NCHW");
  EXPECT_EQ(p->channels(), 1);
  EXPECT_EQ(p->height(), 28);
  EXPECT_EQ(p->width(), 28);
}

TEST(PreprocessingTest, ParseErrorsAreInvalidArgument) {
  EXPECT_EQ(ParsePreprocessing("layout=chw").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePreprocessing("std=0").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PreprocessingTest, TextRoundTripsAndFillsServerDefaults) {
  io::PreprocessSpec spec = *io::PreprocessSpec::Parse("layout=nhwc,scale=0.5,shape=3x8x8");
  EXPECT_EQ(PreprocessingText(PreprocessSpecToProto(spec)), spec.ToString());
  // An all-default message reads as the defaults.
  EXPECT_EQ(PreprocessingText(v1::Preprocessing()), io::PreprocessSpec().ToString());
}

TEST(FormatTest, ModelFormatByFlagOrExtension) {
  EXPECT_EQ(*ModelFormatOf("", "m/seed_cnn.onnx"), v1::MODEL_FORMAT_ONNX);
  EXPECT_EQ(*ModelFormatOf("", "frozen.PB"), v1::MODEL_FORMAT_TF_GRAPHDEF);
  EXPECT_EQ(*ModelFormatOf("ONNX", "model.bin"), v1::MODEL_FORMAT_ONNX);
  EXPECT_EQ(*ModelFormatOf("tf_graphdef", "model.bin"), v1::MODEL_FORMAT_TF_GRAPHDEF);
  EXPECT_FALSE(ModelFormatOf("", "model.bin").ok());
  EXPECT_FALSE(ModelFormatOf("pytorch", "m.onnx").ok());
}

TEST(FormatTest, DatasetFormatByFlagOrDetection) {
  EXPECT_EQ(*DatasetFormatOf("csv", "x"), v1::DATASET_FORMAT_CSV);
  EXPECT_EQ(*DatasetFormatOf("IDX", "x"), v1::DATASET_FORMAT_IDX);
  EXPECT_EQ(*DatasetFormatOf("", "/nonexistent/a.npy"), v1::DATASET_FORMAT_NPY);
  EXPECT_EQ(*DatasetFormatOf("", "/nonexistent/train-images-idx3-ubyte.gz"),
            v1::DATASET_FORMAT_IDX);
  // Unknown extension of an unreadable file: the server sniffs.
  EXPECT_EQ(*DatasetFormatOf("", "/nonexistent/blob"), v1::DATASET_FORMAT_UNSPECIFIED);
  EXPECT_FALSE(DatasetFormatOf("parquet", "x").ok());
}

TEST(JobStateTest, ParsesNamesAndEnumSpelling) {
  EXPECT_EQ(*ParseJobState(""), v1::JOB_STATE_UNSPECIFIED);
  EXPECT_EQ(*ParseJobState("all"), v1::JOB_STATE_UNSPECIFIED);
  EXPECT_EQ(*ParseJobState("Running"), v1::JOB_STATE_RUNNING);
  EXPECT_EQ(*ParseJobState("JOB_STATE_FAILED"), v1::JOB_STATE_FAILED);
  EXPECT_EQ(*ParseJobState("canceled"), v1::JOB_STATE_CANCELLED);
  EXPECT_FALSE(ParseJobState("done").ok());
  EXPECT_EQ(JobStateName(v1::JOB_STATE_SUCCEEDED), "succeeded");
  EXPECT_TRUE(IsFinal(v1::JOB_STATE_CANCELLED));
  EXPECT_FALSE(IsFinal(v1::JOB_STATE_RUNNING));
}

TEST(DatasetIdTest, TwelveToSixtyFourLowercaseHex) {
  EXPECT_TRUE(IsDatasetId("0123456789ab"));
  EXPECT_TRUE(IsDatasetId(std::string(64, 'f')));
  EXPECT_FALSE(IsDatasetId("0123456789a"));
  EXPECT_FALSE(IsDatasetId(std::string(65, 'f')));
  EXPECT_FALSE(IsDatasetId("0123456789AB"));
  EXPECT_FALSE(IsDatasetId("fashion-train"));
}

TEST(TimestampTest, UnsetIsDash) {
  EXPECT_EQ(FormatTimestamp(google::protobuf::Timestamp()), "-");
  google::protobuf::Timestamp t;
  t.set_seconds(1700000000);
  EXPECT_EQ(FormatTimestamp(t).size(), 19u);  // "YYYY-MM-DD HH:MM:SS", local time
}

TEST(JsonTest, ProtoFieldNamesAndDefaultsPresent) {
  v1::Job job;
  job.set_id("j1");
  job.set_state(v1::JOB_STATE_RUNNING);
  const std::string json = ToJson(job);
  EXPECT_NE(json.find("\"id\":\"j1\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"state\":\"JOB_STATE_RUNNING\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"eta_seconds\":0"), std::string::npos) << json;
  EXPECT_NE(json.find("\"result_model\""), std::string::npos) << json;
}

v1::Report SampleReport() {
  v1::Report r;
  r.set_model("m");
  r.set_version(2);
  r.set_parent_version(1);
  r.set_method("pof2-mindiffs");
  r.set_scheme("pof2");
  r.set_calib_images(200);
  r.set_has_accuracy(true);
  r.set_eval_images(100);
  r.set_fp32_top1(0.9);
  r.set_int8_top1(0.89);
  r.set_top1_agreement(0.98);
  v1::QuantizedTensor* t = r.add_tensors();
  t->set_name("input");
  t->set_scale(0.0078125f);
  t->set_dtype("s8");
  t->set_has_fix_pos(true);
  t->set_fix_pos(7);
  v1::LayerError* l = r.add_layers();
  l->set_tensor("conv1");
  l->set_sqnr_db(30);
  l->set_mse(1e-4);
  return r;
}

TEST(ManifestFromReportTest, RebuildsFromFieldsWithoutManifestJson) {
  quant::Manifest m = ManifestFromReport(SampleReport());
  EXPECT_EQ(m.method, "pof2-mindiffs");
  EXPECT_EQ(m.parent_version, "1");
  EXPECT_EQ(m.calib_images, 200);
  ASSERT_TRUE(m.accuracy.has_value());
  EXPECT_NEAR(m.accuracy->top1_drop_pp(), 1.0, 1e-9);
  ASSERT_EQ(m.tensors.size(), 1u);
  EXPECT_EQ(m.tensors[0].dtype, ir::DType::kI8);
  EXPECT_EQ(m.tensors[0].fix_pos, 7);
  EXPECT_TRUE(std::isnan(m.tensors[0].calibrated_min));
  ASSERT_EQ(m.layers.size(), 1u);
  EXPECT_EQ(m.layers[0].tensor, "conv1");
}

TEST(ManifestFromReportTest, PrefersTheVerbatimManifest) {
  quant::Manifest original;
  original.method = "entropy";
  original.scheme = "u8-asym-act/s8-per-channel-weights";
  original.source_model = "seed_cnn.onnx";
  quant::QuantizedTensorInfo t;
  t.name = "x";
  t.calibrated_min = -1.5f;
  t.calibrated_max = 2.5f;
  original.tensors.push_back(t);
  v1::Report r = SampleReport();
  r.set_manifest_json(quant::ManifestToJson(original));
  quant::Manifest m = ManifestFromReport(r);
  EXPECT_EQ(m.method, "entropy");
  EXPECT_EQ(m.source_model, "seed_cnn.onnx");
  ASSERT_EQ(m.tensors.size(), 1u);
  EXPECT_FLOAT_EQ(m.tensors[0].calibrated_max, 2.5f);
  // A manifest that does not parse falls back to the fields.
  r.set_manifest_json("{not json");
  EXPECT_EQ(ManifestFromReport(r).method, "pof2-mindiffs");
}

}  // namespace
}  // namespace fixpoint::client
