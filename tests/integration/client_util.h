// Helpers for integration tests: uploads through the real stubs, waiting
// for jobs, KServe requests built from dataset images.
#ifndef FIXPOINT_TESTS_INTEGRATION_CLIENT_UTIL_H_
#define FIXPOINT_TESTS_INTEGRATION_CLIENT_UTIL_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "fixpoint/v1/datasets.grpc.pb.h"
#include "fixpoint/v1/models.grpc.pb.h"
#include "fixpoint/v1/quantization.grpc.pb.h"
#include "inference/grpc_service.grpc.pb.h"

namespace fixpoint::testing {

inline constexpr char kFashionDir[] = "/usr/share/datasets/fashion-mnist/";

struct Stubs {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::ModelService::Stub> models;
  std::unique_ptr<v1::DatasetService::Stub> datasets;
  std::unique_ptr<v1::QuantizationService::Stub> quant;
  std::unique_ptr<inference::GRPCInferenceService::Stub> infer;
};
Stubs Connect(const std::string& address);

std::string ReadFile(const std::string& path);

// A context with a 60 s deadline and, when non-empty, the bearer token.
std::unique_ptr<grpc::ClientContext> Context(const std::string& token = "");

// Streams `bytes` as a model upload. `declared_size` / `sha256` default to
// the true ones; `send_bytes` < size truncates the stream.
grpc::Status UploadModel(Stubs& s, const v1::UploadModelHeader& header, const std::string& bytes,
                         v1::ModelVersion* out, const std::string& token = "");
v1::UploadModelHeader OnnxHeader(const std::string& name, const std::string& bytes);

grpc::Status UploadDataset(Stubs& s, const std::string& name, const std::string& images,
                           const std::string& labels, v1::DatasetFormat format, v1::Dataset* out,
                           const std::string& token = "");

// Watches job `id` until it is final; returns the last Job and fills
// `phases` with the distinct phases seen, in order.
grpc::Status WatchUntilFinal(Stubs& s, const std::string& id, v1::Job* last,
                             std::vector<std::string>* phases = nullptr);

// Polls ModelReady until (model, version) is READY; false after `seconds`.
bool WaitModelReady(Stubs& s, const std::string& model, const std::string& version,
                    int seconds = 60);

// A ModelInfer request for images [first, first + count) of `images`
// (f32 NCHW [N,1,28,28]), raw contents.
inference::ModelInferRequest InferRequest(const std::string& model, const std::string& version,
                                          const std::vector<float>& images, int64_t first,
                                          int64_t count);

}  // namespace fixpoint::testing

#endif  // FIXPOINT_TESTS_INTEGRATION_CLIENT_UTIL_H_
