// Load through the real server: 64 concurrent clients x 200 ModelInfer
// requests give 0 errors and results equal to the in-process engine; with a
// tiny queue the server rejects the overflow with RESOURCE_EXHAUSTED.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <thread>

#include "core/io/onnx_importer.h"
#include "core/runtime/session.h"
#include "tests/integration/client_util.h"
#include "tests/integration/server_process.h"

namespace fixpoint::testing {
namespace {

namespace fs = std::filesystem;

struct Loaded {
  std::unique_ptr<ServerProcess> server;
  std::unique_ptr<Stubs> stubs;
};

Loaded StartWithSeedCnn(const std::string& tag, const std::vector<std::string>& flags) {
  const std::string store = ::testing::TempDir() + "/fp_it_load_" + tag + std::to_string(getpid());
  fs::remove_all(store);
  Loaded l;
  auto server = ServerProcess::Start(store, flags);
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return l;
  l.server = *std::move(server);
  l.stubs = std::make_unique<Stubs>(Connect(l.server->grpc_address()));
  const std::string onnx = ReadFile(std::string(FP_SOURCE_DIR) + "/models/seed_cnn.onnx");
  v1::ModelVersion v;
  EXPECT_TRUE(UploadModel(*l.stubs, OnnxHeader("seed_cnn", onnx), onnx, &v).ok());
  EXPECT_TRUE(WaitModelReady(*l.stubs, "seed_cnn", "1"));
  return l;
}

TEST(Load, SixtyFourClientsTimesTwoHundredRequests) {
  Loaded l = StartWithSeedCnn("ok", {"--max_batch=64", "--batch_delay_us=2000"});
  ASSERT_TRUE(l.server);
  // 16 distinct single images; the expected outputs come from the engine.
  std::vector<float> images(16 * 28 * 28);
  for (size_t i = 0; i < images.size(); ++i) images[i] = float((i * 7919) % 256) / 255.0f;
  auto graph = io::ImportOnnxFile(std::string(FP_SOURCE_DIR) + "/models/seed_cnn.onnx");
  ASSERT_TRUE(graph.ok());
  auto session = runtime::Session::Create(*std::move(graph), {});
  ASSERT_TRUE(session.ok());
  std::vector<std::vector<float>> expected;
  for (int i = 0; i < 16; ++i) {
    ir::TensorView view{ir::DType::kF32, ir::Shape({1, 1, 28, 28}), images.data() + i * 784};
    auto out = (*session)->Run({&view, 1});
    ASSERT_TRUE(out.ok());
    const float* p = (*out)[0].data<float>();
    expected.emplace_back(p, p + (*out)[0].NumElements());
  }
  std::atomic<int> errors{0}, mismatches{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 64; ++c) {
    clients.emplace_back([&, c] {
      for (int r = 0; r < 200; ++r) {
        const int img = (c + r) % 16;
        inference::ModelInferResponse response;
        auto context = Context();
        grpc::Status s = l.stubs->infer->ModelInfer(
            context.get(), InferRequest("seed_cnn", "1", images, img, 1), &response);
        if (!s.ok()) {
          ++errors;
          continue;
        }
        const std::string& raw = response.raw_output_contents(0);
        // Batched and unbatched runs may differ in the last bits (different
        // oneDNN blocking); the answer must match to float rounding.
        const float* got = reinterpret_cast<const float*>(raw.data());
        for (size_t k = 0; k < expected[img].size(); ++k) {
          if (std::abs(got[k] - expected[img][k]) > 1e-5f) {
            ++mismatches;
            break;
          }
        }
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(Load, TinyQueueRejectsWithResourceExhausted) {
  Loaded l = StartWithSeedCnn("tiny", {"--max_batch=1", "--max_queue=1",
                                       "--intra_op_threads=1"});
  ASSERT_TRUE(l.server);
  std::vector<float> images(64 * 28 * 28, 0.25f);
  std::atomic<int> ok{0}, exhausted{0}, other{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 32; ++c) {
    clients.emplace_back([&] {
      for (int r = 0; r < 10; ++r) {
        inference::ModelInferResponse response;
        auto context = Context();
        grpc::Status s = l.stubs->infer->ModelInfer(
            context.get(), InferRequest("seed_cnn", "1", images, 0, 64), &response);
        if (s.ok()) {
          ++ok;
        } else if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
          ++exhausted;
          EXPECT_NE(s.error_message().find("full"), std::string::npos) << s.error_message();
        } else {
          ++other;
          ADD_FAILURE() << s.error_code() << ": " << s.error_message();
        }
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_GT(ok.load(), 0);
  EXPECT_GT(exhausted.load(), 0);
  EXPECT_EQ(other.load(), 0);
}

}  // namespace
}  // namespace fixpoint::testing
