// Bad input through the real server: each case gets the expected gRPC code
// and a message naming the problem; the server stays up and the store
// keeps exactly what it had.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/util/sha256.h"
#include "tests/integration/client_util.h"
#include "tests/integration/server_process.h"

namespace fixpoint::testing {
namespace {

namespace fs = std::filesystem;

// Every file path under `root` (relative), to compare the store before and after.
std::set<std::string> Tree(const std::string& root) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    const std::string rel = fs::relative(e.path(), root).string();
    if (rel.rfind("metadata.sqlite", 0) == 0) continue;  // WAL files change on reads
    out.insert(rel);
  }
  return out;
}

std::string UnsupportedOpModel() {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.add_opset_import()->set_version(13);
  onnx::GraphProto* g = model.mutable_graph();
  g->set_name("g");
  for (const char* name : {"x", "y"}) {
    onnx::ValueInfoProto* v = std::string(name) == "x" ? g->add_input() : g->add_output();
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    t->mutable_shape()->add_dim()->set_dim_value(2);
    t->mutable_shape()->add_dim()->set_dim_value(2);
  }
  onnx::NodeProto* n = g->add_node();
  n->set_name("the_einsum");
  n->set_op_type("Einsum");
  n->add_input("x");
  n->add_output("y");
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name("equation");
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s("ij->ji");
  return model.SerializeAsString();
}

class BadInput : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    store_ = ::testing::TempDir() + "/fp_it_bad_" + std::to_string(getpid());
    fs::remove_all(store_);
    token_file_ = store_ + ".token";
    std::ofstream(token_file_) << "s3cret-token\n";
    auto server = ServerProcess::Start(
        store_, {"--auth_token_file=" + token_file_, "--max_upload_bytes=4000000",
                 "--intra_op_threads=1"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
    stubs_ = new Stubs(Connect(server_->grpc_address()));
    const std::string onnx = ReadFile(std::string(FP_SOURCE_DIR) + "/models/seed_cnn.onnx");
    v1::ModelVersion v;
    grpc::Status s = UploadModel(*stubs_, OnnxHeader("seed_cnn", onnx), onnx, &v, kToken);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_TRUE(WaitModelReady(*stubs_, "seed_cnn", "1"));
  }
  static void TearDownTestSuite() {
    delete stubs_;
    delete server_;
  }
  void SetUp() override { before_ = Tree(store_); }
  void TearDown() override {
    EXPECT_EQ(Tree(store_), before_) << "the store changed";
    auto live = Context();
    inference::ServerLiveResponse r;
    ASSERT_TRUE(stubs_->infer->ServerLive(live.get(), {}, &r).ok());
    EXPECT_TRUE(r.live());
  }

  static void ExpectError(const grpc::Status& s, grpc::StatusCode code, const std::string& needle) {
    EXPECT_EQ(s.error_code(), code) << s.error_message();
    EXPECT_NE(s.error_message().find(needle), std::string::npos)
        << "message '" << s.error_message() << "' lacks '" << needle << "'";
  }

  grpc::Status Infer(const inference::ModelInferRequest& r) {
    inference::ModelInferResponse out;
    auto c = Context();
    return stubs_->infer->ModelInfer(c.get(), r, &out);
  }

  static inline const std::string kToken = "s3cret-token";
  static inline std::string store_, token_file_;
  static inline ServerProcess* server_ = nullptr;
  static inline Stubs* stubs_ = nullptr;
  std::set<std::string> before_;
};

TEST_F(BadInput, CorruptOnnxBytes) {
  const std::string junk = "this is not an onnx model at all";
  v1::ModelVersion v;
  ExpectError(UploadModel(*stubs_, OnnxHeader("junk", junk), junk, &v, kToken),
              grpc::StatusCode::INVALID_ARGUMENT, "junk");
}

TEST_F(BadInput, TruncatedUpload) {
  const std::string onnx = ReadFile(std::string(FP_SOURCE_DIR) + "/models/seed_cnn.onnx");
  v1::ModelVersion v;
  v1::UploadModelHeader h = OnnxHeader("trunc", onnx);
  ExpectError(UploadModel(*stubs_, h, onnx.substr(0, onnx.size() / 2), &v, kToken),
              grpc::StatusCode::INVALID_ARGUMENT, "truncated upload");
}

TEST_F(BadInput, Sha256Mismatch) {
  const std::string onnx = ReadFile(std::string(FP_SOURCE_DIR) + "/models/seed_cnn.onnx");
  v1::UploadModelHeader h = OnnxHeader("badsha", onnx);
  h.set_sha256(util::Sha256Hex("something else"));
  v1::ModelVersion v;
  ExpectError(UploadModel(*stubs_, h, onnx, &v, kToken), grpc::StatusCode::INVALID_ARGUMENT,
              "sha256 mismatch");
}

TEST_F(BadInput, UnsupportedOp) {
  const std::string model = UnsupportedOpModel();
  v1::ModelVersion v;
  grpc::Status s = UploadModel(*stubs_, OnnxHeader("einsum", model), model, &v, kToken);
  EXPECT_NE(s.error_code(), grpc::StatusCode::OK);
  EXPECT_NE(s.error_message().find("Einsum"), std::string::npos) << s.error_message();
  EXPECT_NE(s.error_message().find("the_einsum"), std::string::npos) << s.error_message();
}

TEST_F(BadInput, OverLimitUpload) {
  std::string big(5000000, 'x');
  v1::ModelVersion v;
  ExpectError(UploadModel(*stubs_, OnnxHeader("big", big), big, &v, kToken),
              grpc::StatusCode::RESOURCE_EXHAUSTED, "upload limit");
}

TEST_F(BadInput, BadNames) {
  const std::string onnx = ReadFile(std::string(FP_SOURCE_DIR) + "/models/seed_cnn.onnx");
  for (const std::string name : {"../evil", "a/b", "..", ".hidden", "", "x\\y", "-flag"}) {
    v1::ModelVersion v;
    v1::UploadModelHeader h = OnnxHeader(name, onnx);
    grpc::Status s = UploadModel(*stubs_, h, onnx, &v, kToken);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "'" << name << "'";
  }
}

TEST_F(BadInput, UnknownModelAndVersion) {
  std::vector<float> img(28 * 28, 0.5f);
  ExpectError(Infer(InferRequest("nope", "", img, 0, 1)), grpc::StatusCode::NOT_FOUND, "nope");
  ExpectError(Infer(InferRequest("seed_cnn", "9", img, 0, 1)), grpc::StatusCode::NOT_FOUND, "9");
  v1::GetModelRequest g;
  g.set_name("nope");
  v1::Model m;
  auto c = Context(kToken);
  ExpectError(stubs_->models->GetModel(c.get(), g, &m), grpc::StatusCode::NOT_FOUND, "nope");
}

TEST_F(BadInput, InferWrongShapeDatatypeBytesAndMixedContents) {
  std::vector<float> img(2 * 28 * 28, 0.5f);
  inference::ModelInferRequest r = InferRequest("seed_cnn", "1", img, 0, 1);
  r.mutable_inputs(0)->set_shape(2, 27);
  ExpectError(Infer(r), grpc::StatusCode::INVALID_ARGUMENT, "input");

  r = InferRequest("seed_cnn", "1", img, 0, 1);
  r.mutable_inputs(0)->set_datatype("INT64");
  ExpectError(Infer(r), grpc::StatusCode::INVALID_ARGUMENT, "INT64");

  r = InferRequest("seed_cnn", "1", img, 0, 1);
  r.mutable_raw_input_contents(0)->pop_back();
  ExpectError(Infer(r), grpc::StatusCode::INVALID_ARGUMENT, "3135");

  r = InferRequest("seed_cnn", "1", img, 0, 1);
  r.mutable_inputs(0)->mutable_contents()->add_fp32_contents(1.0f);
  ExpectError(Infer(r), grpc::StatusCode::INVALID_ARGUMENT, "raw_input_contents");
}

TEST_F(BadInput, CsvWithWrongColumnCount) {
  std::string csv = "label";
  for (int i = 1; i <= 784; ++i) csv += ",pixel" + std::to_string(i);
  csv += "\n3";
  for (int i = 0; i < 784; ++i) csv += ",10";
  csv += "\n4";
  for (int i = 0; i < 700; ++i) csv += ",10";
  csv += "\n";
  v1::Dataset d;
  grpc::Status s = UploadDataset(*stubs_, "bad-csv", csv, "", v1::DATASET_FORMAT_CSV, &d, kToken);
  ExpectError(s, grpc::StatusCode::INVALID_ARGUMENT, "line 3");
}

TEST_F(BadInput, MissingOrWrongToken) {
  v1::ListModelsResponse r;
  auto none = Context();
  ExpectError(stubs_->models->ListModels(none.get(), {}, &r), grpc::StatusCode::UNAUTHENTICATED,
              "authorization");
  auto wrong = Context("not-the-token");
  ExpectError(stubs_->models->ListModels(wrong.get(), {}, &r), grpc::StatusCode::UNAUTHENTICATED,
              "wrong bearer token");
  auto right = Context(kToken);
  EXPECT_TRUE(stubs_->models->ListModels(right.get(), {}, &r).ok());
  const std::string onnx = ReadFile(std::string(FP_SOURCE_DIR) + "/models/seed_cnn.onnx");
  v1::ModelVersion v;
  ExpectError(UploadModel(*stubs_, OnnxHeader("seed_cnn", onnx), onnx, &v),
              grpc::StatusCode::UNAUTHENTICATED, "authorization");
  // The repository extension is management too; inference is open by default.
  inference::RepositoryIndexResponse index;
  auto repo = Context();
  ExpectError(stubs_->infer->RepositoryIndex(repo.get(), {}, &index),
              grpc::StatusCode::UNAUTHENTICATED, "authorization");
  std::vector<float> img(28 * 28, 0.5f);
  ASSERT_TRUE(WaitModelReady(*stubs_, "seed_cnn", "1"));
  EXPECT_TRUE(Infer(InferRequest("seed_cnn", "1", img, 0, 1)).ok());
}

TEST(AuthInference, TokenRequiredOnInferenceButNotOnProbes) {
  const std::string store = ::testing::TempDir() + "/fp_it_authinf_" + std::to_string(getpid());
  fs::remove_all(store);
  std::ofstream(store + ".token") << "tok\n";
  auto server = ServerProcess::Start(
      store, {"--auth_token_file=" + store + ".token", "--auth_inference"});
  ASSERT_TRUE(server.ok()) << server.status();
  Stubs s = Connect((*server)->grpc_address());
  std::vector<float> img(28 * 28, 0.5f);
  inference::ModelInferResponse out;
  auto c = Context();
  grpc::Status denied = s.infer->ModelInfer(c.get(), InferRequest("seed_cnn", "1", img, 0, 1), &out);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::UNAUTHENTICATED) << denied.error_message();
  inference::ServerLiveResponse live;
  auto lc = Context();
  EXPECT_TRUE(s.infer->ServerLive(lc.get(), {}, &live).ok());
  inference::ServerReadyResponse ready;
  auto rc = Context();
  EXPECT_TRUE(s.infer->ServerReady(rc.get(), {}, &ready).ok());
  EXPECT_TRUE(ready.ready());
}

}  // namespace
}  // namespace fixpoint::testing
