// Per-request logs of the real fixpointd: every failed ModelInfer is a JSON
// line on stderr with its request id (the KServe `id`, or a generated one),
// model, version, code and message; successful ones only with
// --log_requests. The response echoes the request's id.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/io/dataset.h"
#include "tests/integration/client_util.h"
#include "tests/integration/server_process.h"

namespace fixpoint::testing {
namespace {

namespace fs = std::filesystem;

// The server's log lines that are inference-request records.
std::vector<nlohmann::json> RequestLines(const std::string& log_path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(log_path);
  for (std::string line; std::getline(in, line);) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("msg")) continue;
    const std::string msg = j["msg"];
    if (msg.rfind("inference request", 0) == 0) out.push_back(std::move(j));
  }
  return out;
}

const nlohmann::json* WithId(const std::vector<nlohmann::json>& lines, const std::string& id) {
  for (const nlohmann::json& j : lines) {
    if (j.value("request_id", "") == id) return &j;
  }
  return nullptr;
}

class RequestLog : public ::testing::Test {
 protected:
  // A server on a fresh store serving seed_cnn version 1.
  void StartServer(const std::vector<std::string>& flags) {
    store_ = ::testing::TempDir() + "/fp_it_log_" + std::to_string(getpid());
    fs::remove_all(store_);
    fs::remove(store_ + ".log");
    std::vector<std::string> all = {"--intra_op_threads=1"};
    all.insert(all.end(), flags.begin(), flags.end());
    auto server = ServerProcess::Start(store_, all);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stubs_ = std::make_unique<Stubs>(Connect(server_->grpc_address()));
    const std::string onnx = ReadFile(std::string(FP_SOURCE_DIR) + "/models/seed_cnn.onnx");
    v1::ModelVersion v;
    grpc::Status s = UploadModel(*stubs_, OnnxHeader("seed_cnn", onnx), onnx, &v);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_TRUE(WaitModelReady(*stubs_, "seed_cnn", "1"));
    io::LoadOptions load;
    load.max_items = 2;
    auto d = io::LoadDataset(std::string(kFashionDir) + "t10k-images-idx3-ubyte.gz", {}, load);
    ASSERT_TRUE(d.ok()) << d.status();
    images_.assign(d->images.data<float>(), d->images.data<float>() + d->images.NumElements());
  }
  void TearDown() override {
    stubs_.reset();
    server_.reset();
    fs::remove_all(store_);
  }

  grpc::Status Infer(const inference::ModelInferRequest& r, inference::ModelInferResponse* out) {
    auto c = Context();
    return stubs_->infer->ModelInfer(c.get(), r, out);
  }
  inference::ModelInferRequest Good(const std::string& id) {
    inference::ModelInferRequest r = InferRequest("seed_cnn", "1", images_, 0, 1);
    r.set_id(id);
    return r;
  }

  std::string store_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Stubs> stubs_;
  std::vector<float> images_;
};

TEST_F(RequestLog, FailedRequestsAreLoggedWithTheirIdsSuccessfulOnesAreNot) {
  StartServer({});
  inference::ModelInferResponse out;
  ASSERT_TRUE(Infer(Good("ok-1"), &out).ok());
  EXPECT_EQ(out.id(), "ok-1");

  inference::ModelInferRequest bad_shape = Good("bad-shape-1");
  bad_shape.mutable_inputs(0)->set_shape(3, 27);
  EXPECT_EQ(Infer(bad_shape, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  inference::ModelInferRequest unknown = Good("bad-model-1");
  unknown.set_model_name("no_such_model");
  EXPECT_EQ(Infer(unknown, &out).error_code(), grpc::StatusCode::NOT_FOUND);
  inference::ModelInferRequest no_id = Good("");
  no_id.set_model_version("9");
  EXPECT_EQ(Infer(no_id, &out).error_code(), grpc::StatusCode::NOT_FOUND);

  const std::vector<nlohmann::json> lines = RequestLines(server_->log_path());
  EXPECT_EQ(WithId(lines, "ok-1"), nullptr) << "successful requests are logged only on request";
  const nlohmann::json* shape = WithId(lines, "bad-shape-1");
  ASSERT_NE(shape, nullptr) << "no log line for the bad shape";
  EXPECT_EQ((*shape)["level"], "warning");
  EXPECT_EQ((*shape)["model"], "seed_cnn");
  EXPECT_EQ((*shape)["version"], "1");
  EXPECT_EQ((*shape)["code"], "INVALID_ARGUMENT");
  EXPECT_NE(std::string((*shape)["error"]).find("does not match the model's"), std::string::npos)
      << *shape;
  const nlohmann::json* model = WithId(lines, "bad-model-1");
  ASSERT_NE(model, nullptr) << "no log line for the unknown model";
  EXPECT_EQ((*model)["model"], "no_such_model");
  EXPECT_EQ((*model)["code"], "NOT_FOUND");
  // The request without an id got a generated one.
  int generated = 0;
  for (const nlohmann::json& j : lines) {
    const std::string id = j.value("request_id", "");
    if (id.rfind("req-", 0) == 0 && j.value("version", "") == "9") ++generated;
  }
  EXPECT_EQ(generated, 1);
  EXPECT_EQ(lines.size(), 3u);
}

TEST_F(RequestLog, LogRequestsFlagLogsSuccessfulRequestsToo) {
  StartServer({"--log_requests"});
  inference::ModelInferResponse out;
  ASSERT_TRUE(Infer(Good("ok-2"), &out).ok());
  EXPECT_EQ(out.id(), "ok-2");
  const std::vector<nlohmann::json> lines = RequestLines(server_->log_path());
  const nlohmann::json* line = WithId(lines, "ok-2");
  ASSERT_NE(line, nullptr) << "--log_requests did not log a successful request";
  EXPECT_EQ((*line)["level"], "info");
  EXPECT_EQ((*line)["model"], "seed_cnn");
  EXPECT_EQ((*line)["version"], "1");
  EXPECT_EQ((*line)["code"], "OK");
  EXPECT_GT(std::stod(std::string((*line)["ms"])), 0.0);
}

}  // namespace
}  // namespace fixpoint::testing
