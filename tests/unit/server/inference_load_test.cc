// The inference service under concurrent load, with a tiny queue, and
// serving an int8 version: real server, real store, generated stub.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "core/io/dataset.h"
#include "core/io/onnx_importer.h"
#include "core/quant/quantizer.h"
#include "core/runtime/session.h"
#include "tests/unit/server/test_server.h"

namespace fixpoint::server {
namespace {

using ::testing::HasSubstr;
using testing::ImageRequest;
using testing::Images;
using testing::MetricValue;
using testing::OutputFloats;
using testing::TestServer;

std::vector<float> DirectRun(const runtime::Session &session, const std::vector<float> &images) {
  const int64_t n = static_cast<int64_t>(images.size() / 784);
  ir::Tensor in = ir::Tensor::FromF32(ir::Shape{n, 1, 28, 28}, images);
  auto out = session.Run(std::vector<ir::TensorView>{in.view()});
  EXPECT_TRUE(out.ok()) << out.status();
  const ir::Tensor &probs = (*out)[0];
  return std::vector<float>(probs.data<float>(), probs.data<float>() + probs.NumElements());
}

std::unique_ptr<runtime::Session> SeedCnnSession() {
  auto graph = io::ImportOnnxFile(testing::SeedCnnPath());
  EXPECT_TRUE(graph.ok()) << graph.status();
  auto session = runtime::Session::Create(std::move(*graph), {});
  EXPECT_TRUE(session.ok()) << session.status();
  return std::move(*session);
}

TEST(InferenceLoadTest, SixtyFourConcurrentClientsGetTheirOwnCorrectResults) {
  ModelManagerOptions options;
  options.load.batcher.max_batch_size = 16;
  options.load.batcher.max_queue_delay_us = 2000;
  options.load.batcher.max_queue_size = 256;
  options.load.batcher.workers = 2;
  options.load.session.intra_op_threads = 1;
  TestServer server(options);
  server.AddModel("seed_cnn", testing::ReadFile(testing::SeedCnnPath()));

  constexpr int kImages = 16, kThreads = 64, kPerThread = 10;
  auto session = SeedCnnSession();
  std::vector<std::vector<float>> want(kImages);
  for (int i = 0; i < kImages; ++i) want[i] = DirectRun(*session, Images(1, i));

  std::atomic<int> errors{0}, mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kPerThread; ++k) {
        const int image = (t * kPerThread + k) % kImages;
        inference::ModelInferRequest request = ImageRequest("seed_cnn", Images(1, image), k % 2);
        request.set_id(absl::StrCat(t, "-", k));
        inference::ModelInferResponse response;
        grpc::ClientContext context;
        grpc::Status s = server.stub().ModelInfer(&context, request, &response);
        if (!s.ok() || response.id() != request.id()) {
          ++errors;
          continue;
        }
        const std::vector<float> got = OutputFloats(response);
        if (got.size() != want[image].size()) {
          ++mismatches;
          continue;
        }
        for (size_t i = 0; i < got.size(); ++i) {
          if (std::abs(got[i] - want[image][i]) > 1e-5) ++mismatches;
        }
      }
    });
  }
  for (std::thread &t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(mismatches.load(), 0);

  const std::string labels = "model=\"seed_cnn\",precision=\"fp32\",version=\"1\"";
  EXPECT_EQ(MetricValue(server.metrics(),
                        "fixpoint_inference_requests_total{code=\"OK\"," + labels + "}"),
            kThreads * kPerThread);
  EXPECT_EQ(MetricValue(server.metrics(), "fixpoint_inference_requests_in_flight{" + labels + "}"),
            0);
  const double batches =
      MetricValue(server.metrics(), "fixpoint_inference_batch_size_count{" + labels + "}");
  const double items =
      MetricValue(server.metrics(), "fixpoint_inference_batch_size_sum{" + labels + "}");
  EXPECT_EQ(items, kThreads * kPerThread);
  EXPECT_LT(batches, kThreads * kPerThread) << "no request was batched with another";
  std::cout << "64 clients x " << kPerThread << ": " << batches << " batches, mean batch "
            << items / batches << "\n";
}

TEST(InferenceLoadTest, ATinyQueueRejectsWithResourceExhausted) {
  ModelManagerOptions options;
  options.load.batcher.max_batch_size = 8;
  options.load.batcher.max_queue_delay_us = 0;
  options.load.batcher.max_queue_size = 1;
  options.load.batcher.workers = 1;
  TestServer server(options);
  server.AddModel("seed_cnn", testing::ReadFile(testing::SeedCnnPath()));

  std::atomic<int> ok{0}, exhausted{0}, other{0};
  std::string message;
  absl::Mutex mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < 32; ++t) {
    threads.emplace_back([&] {
      for (int k = 0; k < 4; ++k) {
        inference::ModelInferRequest request = ImageRequest("seed_cnn", Images(8), true);
        inference::ModelInferResponse response;
        grpc::ClientContext context;
        grpc::Status s = server.stub().ModelInfer(&context, request, &response);
        if (s.ok()) {
          ++ok;
        } else if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
          ++exhausted;
          absl::MutexLock lock(&mu);
          message = s.error_message();
        } else {
          ++other;
        }
      }
    });
  }
  for (std::thread &t : threads) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(ok.load(), 0);
  EXPECT_GT(exhausted.load(), 0);
  EXPECT_EQ(message, "queue of model 'seed_cnn' version 1 is full (1 requests)");
  EXPECT_EQ(MetricValue(server.metrics(),
                        "fixpoint_inference_requests_total{code=\"RESOURCE_EXHAUSTED\","
                        "model=\"seed_cnn\",precision=\"fp32\",version=\"1\"}"),
            exhausted.load());
}

TEST(InferenceLoadTest, ServesAnInt8VersionAddedToTheStore) {
  ModelManagerOptions options;
  options.policy.kind = VersionPolicy::Kind::kAll;
  options.load.batcher.max_batch_size = 4;
  TestServer server(options);
  server.AddModel("seed_cnn", testing::ReadFile(testing::SeedCnnPath()));

  // Quantize with a few images as the calibration set (the accuracy of the
  // result is not this test's concern; serving it is).
  auto graph = io::ImportOnnxFile(testing::SeedCnnPath());
  ASSERT_TRUE(graph.ok()) << graph.status();
  io::Dataset calibration;
  calibration.images = ir::Tensor::FromF32(ir::Shape{32, 1, 28, 28}, Images(32));
  quant::QuantizeOptions qo;
  qo.num_images = 32;
  qo.batch_size = 16;
  auto q = quant::Quantize(*graph, calibration, qo);
  ASSERT_TRUE(q.ok()) << q.status();
  quant::Manifest manifest;
  manifest.parent_version = "1";
  manifest.method = q->method;
  manifest.tensors = q->tensors;
  auto v2 = server.store().AddQuantizedVersion("seed_cnn", q->graph, manifest, "job-test");
  ASSERT_TRUE(v2.ok()) << v2.status();
  absl::Notification added;
  absl::Status status;
  server.manager().OnVersionAdded(*v2, [&](absl::Status s) {
    status = s;
    added.Notify();
  });
  added.WaitForNotification();
  ASSERT_TRUE(status.ok()) << status;

  // The served int8 result equals a direct run of the stored QDQ model with
  // the same (int8-lowering) session options.
  auto stored = io::ImportOnnxFile(v2->model_path);
  ASSERT_TRUE(stored.ok()) << stored.status();
  auto int8_session = runtime::Session::Create(std::move(*stored), {});
  ASSERT_TRUE(int8_session.ok()) << int8_session.status();
  const std::vector<float> images = Images(4, 100);
  const std::vector<float> want = DirectRun(**int8_session, images);

  inference::ModelInferRequest request = ImageRequest("seed_cnn", images, true);
  request.set_model_version("2");
  inference::ModelInferResponse response;
  grpc::ClientContext context;
  grpc::Status s = server.stub().ModelInfer(&context, request, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(response.model_version(), "2");
  const std::vector<float> got = OutputFloats(response);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << i;
  EXPECT_EQ(MetricValue(server.metrics(),
                        "fixpoint_inference_requests_total{code=\"OK\",model=\"seed_cnn\","
                        "precision=\"int8\",version=\"2\"}"),
            1);
  // "" is the highest version: the int8 one.
  EXPECT_EQ((*server.manager().Resolve("seed_cnn", ""))->labels().precision, "int8");
}

}  // namespace
}  // namespace fixpoint::server
