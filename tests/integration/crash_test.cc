// kill -9 during calibration, restart on the same store: the job is
// re-queued and finishes, and no partial version directory ever exists.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/integration/client_util.h"
#include "tests/integration/server_process.h"

namespace fixpoint::testing {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> Versions(const std::string& store) {
  std::vector<std::string> out;
  const fs::path dir = fs::path(store) / "models" / "seed_cnn";
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Crash, KillDuringCalibrationThenRestartFinishesTheJob) {
  if (!fs::exists(std::string(kFashionDir) + "t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  }
  const std::string store = ::testing::TempDir() + "/fp_it_crash_" + std::to_string(getpid());
  fs::remove_all(store);
  std::string job_id;
  {
    auto server = ServerProcess::Start(store, {"--job_threads=1", "--intra_op_threads=1"});
    ASSERT_TRUE(server.ok()) << server.status();
    Stubs s = Connect((*server)->grpc_address());
    const std::string onnx = ReadFile(std::string(FP_SOURCE_DIR) + "/models/seed_cnn.onnx");
    v1::ModelVersion v;
    ASSERT_TRUE(UploadModel(s, OnnxHeader("seed_cnn", onnx), onnx, &v).ok());
    v1::Dataset d;
    ASSERT_TRUE(UploadDataset(s, "fashion-test",
                              ReadFile(std::string(kFashionDir) + "t10k-images-idx3-ubyte.gz"),
                              ReadFile(std::string(kFashionDir) + "t10k-labels-idx1-ubyte.gz"),
                              v1::DATASET_FORMAT_IDX, &d)
                    .ok());
    v1::QuantizeRequest q;
    q.set_model("seed_cnn");
    q.set_calib_dataset(d.sha256());
    q.set_calib_images(10000);  // slow enough to be killed in the middle
    q.set_method("entropy");
    v1::Job job;
    auto c = Context();
    ASSERT_TRUE(s.quant->Quantize(c.get(), q, &job).ok());
    job_id = job.id();

    // Watch until calibration is under way, then crash the server.
    grpc::ClientContext watch_context;
    v1::WatchJobRequest w;
    w.set_id(job_id);
    auto reader = s.quant->WatchJob(&watch_context, w);
    v1::JobEvent e;
    bool calibrating = false;
    while (reader->Read(&e)) {
      if (e.job().phase() == "calibrate" && e.job().progress() > 0.1) {
        calibrating = true;
        break;
      }
      ASSERT_NE(e.job().state(), v1::JOB_STATE_SUCCEEDED) << "finished before the kill";
    }
    ASSERT_TRUE(calibrating);
    (*server)->Kill();
    watch_context.TryCancel();
    EXPECT_EQ(Versions(store), std::vector<std::string>{"1"});
  }
  auto server = ServerProcess::Start(store, {"--job_threads=2", "--intra_op_threads=1"});
  ASSERT_TRUE(server.ok()) << server.status();
  Stubs s = Connect((*server)->grpc_address());
  v1::Job last;
  grpc::Status watched = WatchUntilFinal(s, job_id, &last);
  ASSERT_TRUE(watched.ok()) << watched.error_message();
  EXPECT_EQ(last.state(), v1::JOB_STATE_SUCCEEDED) << last.error();
  EXPECT_EQ(last.attempts(), 2);
  EXPECT_EQ(last.result_version(), 2);
  EXPECT_EQ(Versions(store), (std::vector<std::string>{"1", "2"}));
  EXPECT_TRUE(fs::exists(store + "/models/seed_cnn/2/model.onnx"));
  EXPECT_TRUE(fs::exists(store + "/models/seed_cnn/2/manifest.json"));
}

}  // namespace
}  // namespace fixpoint::testing
