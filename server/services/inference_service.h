// InferenceService: KServe v2 / Open Inference Protocol
// (inference.GRPCInferenceService) on the gRPC callback API — health,
// metadata, ModelInfer through each version's DynamicBatcher, and the
// model_repository extension (index, load, unload). Handlers never block:
// ModelInfer finishes from the batcher's completion, load and unload from
// the model manager's thread. Errors carry the gRPC code of the absl::Status
// (server/convert/status_convert.h) and name what is wrong.
// Thread-safe.
#ifndef FIXPOINT_SERVER_SERVICES_INFERENCE_SERVICE_H_
#define FIXPOINT_SERVER_SERVICES_INFERENCE_SERVICE_H_

#include <string>

#include "inference/grpc_service.grpc.pb.h"
#include "server/auth.h"
#include "server/metrics/metrics.h"
#include "server/services/readiness.h"
#include "server/serving/model_manager.h"

namespace fixpoint::server {

struct InferenceServiceOptions {
  // ServerMetadata's version (main.cc passes the build's version).
  std::string server_version = "0.1.0";
  // When set and enabled: the repository RPCs (load, unload, index) always
  // require the token; ModelInfer, ModelMetadata and ModelReady only with
  // `auth_inference`. ServerLive / ServerReady never do (probes).
  const TokenAuth* auth = nullptr;
  bool auth_inference = false;
  // Log every ModelInfer (a JSON line with the request id, model, version,
  // code and milliseconds), not only the failed ones.
  bool log_requests = false;
};

class InferenceService final : public inference::GRPCInferenceService::CallbackService {
 public:
  // `models` and `readiness` must outlive the service. Requests are counted
  // in each version's metrics (LoadedVersion::metrics).
  InferenceService(ModelManager& models, const Readiness& readiness,
                   InferenceServiceOptions options = {});

  // live = true while the process serves RPCs at all.
  grpc::ServerUnaryReactor* ServerLive(grpc::CallbackServerContext* context,
                                       const inference::ServerLiveRequest* request,
                                       inference::ServerLiveResponse* response) override;
  // ready = the injected Readiness.
  grpc::ServerUnaryReactor* ServerReady(grpc::CallbackServerContext* context,
                                        const inference::ServerReadyRequest* request,
                                        inference::ServerReadyResponse* response) override;
  // ready = the (model, version) resolves to a READY version; never an error.
  grpc::ServerUnaryReactor* ModelReady(grpc::CallbackServerContext* context,
                                       const inference::ModelReadyRequest* request,
                                       inference::ModelReadyResponse* response) override;
  // name "fixpointd", the version, extensions ["model_repository"].
  grpc::ServerUnaryReactor* ServerMetadata(grpc::CallbackServerContext* context,
                                           const inference::ServerMetadataRequest* request,
                                           inference::ServerMetadataResponse* response) override;
  // Inputs and outputs of the resolved version (-1 for dynamic dimensions),
  // every READY version, platform "onnx_onnxv1". NOT_FOUND / UNAVAILABLE as
  // ModelManager::Resolve.
  grpc::ServerUnaryReactor* ModelMetadata(grpc::CallbackServerContext* context,
                                          const inference::ModelMetadataRequest* request,
                                          inference::ModelMetadataResponse* response) override;
  // Resolves the version, checks the inputs (INVALID_ARGUMENT naming the
  // input), queues views of them (RESOURCE_EXHAUSTED when the queue is full)
  // and answers with the requested outputs (all when none is named) in
  // raw_output_contents, echoing `id`. Counts the request in
  // fixpoint_inference_requests_total by code and times it — only once the
  // version is resolved: unknown names would make unbounded label values.
  // Every failed request is logged (request id — the request's `id` or a
  // generated "req-..." —, model, version, code, message); successful ones
  // with options.log_requests.
  grpc::ServerUnaryReactor* ModelInfer(grpc::CallbackServerContext* context,
                                       const inference::ModelInferRequest* request,
                                       inference::ModelInferResponse* response) override;
  // Every known version with its state and reason; `ready` keeps READY only.
  grpc::ServerUnaryReactor* RepositoryIndex(grpc::CallbackServerContext* context,
                                            const inference::RepositoryIndexRequest* request,
                                            inference::RepositoryIndexResponse* response) override;
  // ModelManager::LoadModel / UnloadModel, finished when done. Parameters
  // (Triton's config overrides, unload_dependents) are refused with
  // INVALID_ARGUMENT rather than ignored.
  grpc::ServerUnaryReactor* RepositoryModelLoad(
      grpc::CallbackServerContext* context, const inference::RepositoryModelLoadRequest* request,
      inference::RepositoryModelLoadResponse* response) override;
  grpc::ServerUnaryReactor* RepositoryModelUnload(
      grpc::CallbackServerContext* context, const inference::RepositoryModelUnloadRequest* request,
      inference::RepositoryModelUnloadResponse* response) override;

 private:
  // The token check of `options_.auth` when `required`.
  absl::Status Authorize(const grpc::CallbackServerContext& context, bool required) const;
  // The log line of one answered ModelInfer (see ModelInfer); `version` is
  // null when the request named no servable version.
  void LogInfer(const inference::ModelInferRequest& request, const LoadedVersion* version,
                absl::Time start, const grpc::Status& status) const;
  // Counts, times and logs one ModelInfer of a resolved version, then
  // answers it.
  void FinishInfer(const inference::ModelInferRequest& request, const LoadedVersion& version,
                   absl::Time start, bool in_flight, const absl::Status& status,
                   grpc::ServerUnaryReactor* reactor) const;
  ModelManager& models_;
  const Readiness& readiness_;
  const InferenceServiceOptions options_;
};

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_SERVICES_INFERENCE_SERVICE_H_
