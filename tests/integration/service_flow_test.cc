// The main job through the real server: upload seed_cnn and Fashion-MNIST,
// quantize asynchronously while watching, read the report, infer on both
// versions (results identical to the in-process engine), and check that
// /metrics carries the job's accuracy numbers.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <regex>

#include "absl/strings/str_cat.h"
#include "core/io/dataset.h"
#include "core/io/onnx_importer.h"
#include "core/runtime/session.h"
#include "tests/integration/client_util.h"
#include "tests/integration/server_process.h"

namespace fixpoint::testing {
namespace {

namespace fs = std::filesystem;

std::string TempStore(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/fp_it_" + name + "_" + std::to_string(getpid());
  fs::remove_all(dir);
  return dir;
}

// The value of the series `name{labels...}` in a Prometheus text body
// (labels given as a substring in the exposition's order), or NaN.
double SeriesValue(const std::string& body, const std::string& name, const std::string& labels) {
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + "{", 0) != 0) continue;
    if (line.find(labels) == std::string::npos) continue;
    return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return std::nan("");
}

std::vector<float> InProcess(const std::string& model_path, const std::vector<float>& images,
                             int64_t first, int64_t count) {
  auto graph = io::ImportOnnxFile(model_path);
  EXPECT_TRUE(graph.ok()) << graph.status();
  auto session = runtime::Session::Create(*std::move(graph), {});
  EXPECT_TRUE(session.ok()) << session.status();
  ir::TensorView view{ir::DType::kF32, ir::Shape({count, 1, 28, 28}),
                      const_cast<float*>(images.data() + first * 28 * 28)};
  auto out = (*session)->Run({&view, 1});
  EXPECT_TRUE(out.ok()) << out.status();
  const float* p = (*out)[0].data<float>();
  return std::vector<float>(p, p + (*out)[0].NumElements());
}

TEST(ServiceFlow, UploadQuantizeWatchInferScrape) {
  if (!fs::exists(std::string(kFashionDir) + "t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  }
  const std::string store = TempStore("flow");
  auto server = ServerProcess::Start(store, {"--job_threads=2", "--intra_op_threads=1"});
  ASSERT_TRUE(server.ok()) << server.status();
  Stubs s = Connect((*server)->grpc_address());

  const std::string onnx = ReadFile(std::string(FP_SOURCE_DIR) + "/models/seed_cnn.onnx");
  v1::ModelVersion v1_info;
  ASSERT_TRUE(UploadModel(s, OnnxHeader("seed_cnn", onnx), onnx, &v1_info).ok());
  EXPECT_EQ(v1_info.version(), 1);
  EXPECT_EQ(v1_info.precision(), v1::PRECISION_FP32);
  ASSERT_EQ(v1_info.inputs_size(), 1);
  EXPECT_EQ(v1_info.inputs(0).name(), "input");
  EXPECT_EQ(v1_info.inputs(0).datatype(), "FP32");
  EXPECT_EQ(v1_info.inputs(0).shape(0), -1);

  const std::string images = ReadFile(std::string(kFashionDir) + "t10k-images-idx3-ubyte.gz");
  const std::string labels = ReadFile(std::string(kFashionDir) + "t10k-labels-idx1-ubyte.gz");
  v1::Dataset test_set;
  grpc::Status up = UploadDataset(s, "fashion-test", images, labels, v1::DATASET_FORMAT_IDX,
                                  &test_set);
  ASSERT_TRUE(up.ok()) << up.error_message();
  EXPECT_EQ(test_set.items(), 10000);
  EXPECT_TRUE(test_set.has_labels());

  v1::QuantizeRequest q;
  q.set_model("seed_cnn");
  q.set_calib_dataset(test_set.sha256());
  q.set_calib_images(500);
  q.set_method("minmax");
  q.set_eval_dataset("fashion-test");
  q.set_eval_images(2000);
  q.set_label("production");
  v1::Job job;
  auto qc = Context();
  grpc::Status queued = s.quant->Quantize(qc.get(), q, &job);
  ASSERT_TRUE(queued.ok()) << queued.error_message();
  EXPECT_FALSE(job.id().empty());

  v1::Job last;
  std::vector<std::string> phases;
  grpc::Status watched = WatchUntilFinal(s, job.id(), &last, &phases);
  ASSERT_TRUE(watched.ok()) << watched.error_message();
  ASSERT_EQ(last.state(), v1::JOB_STATE_SUCCEEDED) << last.error();
  EXPECT_EQ(last.result_version(), 2);
  EXPECT_DOUBLE_EQ(last.progress(), 1.0);
  EXPECT_NE(std::find(phases.begin(), phases.end(), "calibrate"), phases.end());
  EXPECT_NE(std::find(phases.begin(), phases.end(), "evaluate"), phases.end());

  v1::GetReportRequest rr;
  rr.set_model("seed_cnn");
  rr.set_version(2);
  v1::Report report;
  auto rc = Context();
  ASSERT_TRUE(s.quant->GetReport(rc.get(), rr, &report).ok());
  ASSERT_TRUE(report.has_accuracy());
  EXPECT_EQ(report.eval_images(), 2000);
  EXPECT_GT(report.int8_top1(), 0.85);
  EXPECT_GT(report.top1_agreement(), 0.97);
  EXPECT_EQ(report.parent_version(), 1);
  EXPECT_FALSE(report.tensors().empty());

  // Both versions serve results identical to the in-process engine.
  ASSERT_TRUE(WaitModelReady(s, "seed_cnn", "2"));
  auto dataset = io::LoadDataset(std::string(kFashionDir) + "t10k-images-idx3-ubyte.gz", {});
  ASSERT_TRUE(dataset.ok());
  const float* pixels = dataset->images.data<float>();
  const std::vector<float> imgs(pixels, pixels + 64 * 28 * 28);
  for (const char* version : {"1", "2", "production"}) {
    inference::ModelInferResponse response;
    auto ic = Context();
    grpc::Status infer = s.infer->ModelInfer(ic.get(), InferRequest("seed_cnn", version, imgs, 0, 64),
                                             &response);
    ASSERT_TRUE(infer.ok()) << version << ": " << infer.error_message();
    ASSERT_EQ(response.raw_output_contents_size(), 1);
    const std::string& raw = response.raw_output_contents(0);
    const std::string model_path =
        absl::StrCat(store, "/models/seed_cnn/", std::string(version) == "1" ? "1" : "2",
                     "/model.onnx");
    const std::vector<float> expected = InProcess(model_path, imgs, 0, 64);
    ASSERT_EQ(raw.size(), expected.size() * sizeof(float)) << version;
    EXPECT_EQ(std::memcmp(raw.data(), expected.data(), raw.size()), 0) << version;
  }

  auto body = ScrapeMetrics((*server)->metrics_port());
  ASSERT_TRUE(body.ok()) << body.status();
  const std::string dataset_label = "dataset=\"fashion-test\"";
  const double int8 = SeriesValue(*body, "fixpoint_model_accuracy",
                                  "model=\"seed_cnn\",precision=\"int8\",version=\"2\"");
  EXPECT_DOUBLE_EQ(int8, report.int8_top1()) << *body;
  const double fp32 = SeriesValue(*body, "fixpoint_model_accuracy",
                                  "model=\"seed_cnn\",precision=\"fp32\",version=\"1\"");
  EXPECT_DOUBLE_EQ(fp32, report.fp32_top1());
  EXPECT_DOUBLE_EQ(SeriesValue(*body, "fixpoint_model_top1_agreement", "version=\"2\""),
                   report.top1_agreement());
  EXPECT_NEAR(SeriesValue(*body, "fixpoint_model_accuracy_drop", "version=\"2\""),
              report.fp32_top1() - report.int8_top1(), 1e-12);
  EXPECT_GE(SeriesValue(*body, "fixpoint_inference_requests_total",
                        "code=\"OK\",model=\"seed_cnn\",precision=\"int8\",version=\"2\""),
            2.0);

  // Restart on the same store: the gauges come back from the manifests.
  auto code = (*server)->Terminate();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 0);
  auto again = ServerProcess::Start(store);
  ASSERT_TRUE(again.ok()) << again.status();
  auto body2 = ScrapeMetrics((*again)->metrics_port());
  ASSERT_TRUE(body2.ok());
  EXPECT_DOUBLE_EQ(SeriesValue(*body2, "fixpoint_model_accuracy",
                               "model=\"seed_cnn\",precision=\"int8\",version=\"2\""),
                   report.int8_top1());
}

}  // namespace
}  // namespace fixpoint::testing
