#include "server/services/inference_service.h"

#include <memory>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "core/util/status_macros.h"
#include "server/convert/status_convert.h"
#include "server/convert/tensor_convert.h"
#include "server/log.h"

namespace fixpoint::server {
namespace {

constexpr char kServerName[] = "fixpointd";
constexpr char kPlatform[] = "onnx_onnxv1";

grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* context,
                                    const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// "req-" and 16 random hex digits: an id for the logs of a request that
// came without one.
std::string GeneratedRequestId() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return absl::StrCat("req-", absl::Hex(random(), absl::kZeroPad16));
}

template <typename Map>
absl::Status RefuseParameters(const Map& parameters, absl::string_view rpc) {
  if (parameters.empty()) return absl::OkStatus();
  std::vector<std::string> names;
  for (const auto& [name, value] : parameters) names.push_back(absl::StrCat("'", name, "'"));
  return absl::InvalidArgumentError(
      absl::StrCat(rpc, " takes no parameters; got ", absl::StrJoin(names, ", ")));
}

void FillTensorMetadata(const ir::ValueInfo& v,
                        inference::ModelMetadataResponse::TensorMetadata* out) {
  out->set_name(v.name);
  out->set_datatype(std::string(KServeDatatype(v.dtype)));
  for (int64_t d : KServeShape(v.shape)) out->add_shape(d);
}

}  // namespace

InferenceService::InferenceService(ModelManager& models, const Readiness& readiness,
                                   InferenceServiceOptions options)
    : models_(models), readiness_(readiness), options_(std::move(options)) {}

absl::Status InferenceService::Authorize(const grpc::CallbackServerContext& context,
                                         bool required) const {
  if (!required || options_.auth == nullptr) return absl::OkStatus();
  return options_.auth->Check(context);
}

grpc::ServerUnaryReactor* InferenceService::ServerLive(grpc::CallbackServerContext* context,
                                                       const inference::ServerLiveRequest*,
                                                       inference::ServerLiveResponse* response) {
  response->set_live(true);
  return FinishNow(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* InferenceService::ServerReady(grpc::CallbackServerContext* context,
                                                        const inference::ServerReadyRequest*,
                                                        inference::ServerReadyResponse* response) {
  response->set_ready(readiness_.ready());
  return FinishNow(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* InferenceService::ModelReady(grpc::CallbackServerContext* context,
                                                       const inference::ModelReadyRequest* request,
                                                       inference::ModelReadyResponse* response) {
  if (absl::Status denied = Authorize(*context, options_.auth_inference); !denied.ok()) {
    return FinishNow(context, denied);
  }
  response->set_ready(models_.Resolve(request->name(), request->version()).ok());
  return FinishNow(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* InferenceService::ServerMetadata(
    grpc::CallbackServerContext* context, const inference::ServerMetadataRequest*,
    inference::ServerMetadataResponse* response) {
  response->set_name(kServerName);
  response->set_version(options_.server_version);
  response->add_extensions("model_repository");
  return FinishNow(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* InferenceService::ModelMetadata(
    grpc::CallbackServerContext* context, const inference::ModelMetadataRequest* request,
    inference::ModelMetadataResponse* response) {
  if (absl::Status denied = Authorize(*context, options_.auth_inference); !denied.ok()) {
    return FinishNow(context, denied);
  }
  absl::StatusOr<std::shared_ptr<const LoadedVersion>> v =
      models_.Resolve(request->name(), request->version());
  if (!v.ok()) return FinishNow(context, v.status());
  response->set_name(request->name());
  for (int64_t n : models_.ReadyVersions(request->name())) response->add_versions(absl::StrCat(n));
  response->set_platform(kPlatform);
  for (const ir::ValueInfo& in : (*v)->inputs()) FillTensorMetadata(in, response->add_inputs());
  for (const ir::ValueInfo& out : (*v)->outputs()) FillTensorMetadata(out, response->add_outputs());
  return FinishNow(context, absl::OkStatus());
}

void InferenceService::LogInfer(const inference::ModelInferRequest& request,
                                const LoadedVersion* version, absl::Time start,
                                const grpc::Status& status) const {
  if (status.ok() && !options_.log_requests) return;
  std::string id = request.id().empty() ? GeneratedRequestId() : request.id();
  std::string model = version != nullptr ? version->model() : request.model_name();
  std::string number =
      version != nullptr ? absl::StrCat(version->version()) : request.model_version();
  std::string ms = absl::StrFormat("%.3f", absl::ToDoubleMilliseconds(absl::Now() - start));
  std::string code(GrpcCodeName(status.error_code()));
  if (status.ok()) {
    LogInfo("inference request", {{"request_id", std::move(id)},
                                  {"model", std::move(model)},
                                  {"version", std::move(number)},
                                  {"code", std::move(code)},
                                  {"ms", std::move(ms)}});
    return;
  }
  LogWarning("inference request failed", {{"request_id", std::move(id)},
                                           {"model", std::move(model)},
                                           {"version", std::move(number)},
                                           {"code", std::move(code)},
                                           {"error", status.error_message()},
                                           {"ms", std::move(ms)}});
}

void InferenceService::FinishInfer(const inference::ModelInferRequest& request,
                                   const LoadedVersion& version, absl::Time start, bool in_flight,
                                   const absl::Status& status,
                                   grpc::ServerUnaryReactor* reactor) const {
  const grpc::Status grpc_status = ToGrpcStatus(status);
  version.metrics().RecordRequest(GrpcCodeName(grpc_status.error_code()),
                                  absl::ToDoubleSeconds(absl::Now() - start), in_flight);
  LogInfer(request, &version, start, grpc_status);
  reactor->Finish(grpc_status);  // the request and response belong to gRPC again
}

grpc::ServerUnaryReactor* InferenceService::ModelInfer(grpc::CallbackServerContext* context,
                                                       const inference::ModelInferRequest* request,
                                                       inference::ModelInferResponse* response) {
  const absl::Time start = absl::Now();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status denied = Authorize(*context, options_.auth_inference);
  absl::StatusOr<std::shared_ptr<const LoadedVersion>> resolved =
      denied.ok() ? models_.Resolve(request->model_name(), request->model_version()) : denied;
  if (!resolved.ok()) {
    // Not counted in the metrics: unknown names would make unbounded labels.
    const grpc::Status status = ToGrpcStatus(resolved.status());
    LogInfer(*request, nullptr, start, status);
    reactor->Finish(status);
    return reactor;
  }
  std::shared_ptr<const LoadedVersion> v = std::move(*resolved);

  absl::StatusOr<RequestInputs> inputs = ViewRequestInputs(*request, v->inputs());
  absl::StatusOr<std::vector<int>> selected = SelectOutputs(*request, v->outputs());
  if (!inputs.ok() || !selected.ok()) {
    const absl::Status error = !inputs.ok() ? inputs.status() : selected.status();
    FinishInfer(*request, *v, start, false,
                WithContext(error, absl::StrCat("model '", v->model(), "' version ",
                                                v->version())),
                reactor);
    return reactor;
  }

  v->metrics().AddInFlight(1);
  // The completion owns a reference to the version: it stays alive (and its
  // batcher running) until this request is answered, even if unloaded. The
  // input views point into `request`, which lives until Finish.
  const LoadedVersion& version = *v;
  absl::Status submitted = version.batcher().Submit(
      std::move(inputs->views),
      [this, v, request, response, reactor, start, selected = std::move(*selected)](
          absl::StatusOr<std::span<const ir::TensorView>> outputs) {
        if (outputs.ok()) {
          response->set_model_name(v->model());
          response->set_model_version(absl::StrCat(v->version()));
          response->set_id(request->id());
          AppendOutputs(*outputs, v->outputs(), selected, response);
        }
        FinishInfer(*request, *v, start, true, outputs.status(), reactor);
      },
      std::move(inputs->owned));
  if (!submitted.ok()) FinishInfer(*request, version, start, true, submitted, reactor);
  return reactor;
}

grpc::ServerUnaryReactor* InferenceService::RepositoryIndex(
    grpc::CallbackServerContext* context, const inference::RepositoryIndexRequest* request,
    inference::RepositoryIndexResponse* response) {
  if (absl::Status denied = Authorize(*context, true); !denied.ok()) {
    return FinishNow(context, denied);
  }
  for (const VersionStatus& s : models_.Index()) {
    if (request->ready() && s.state != VersionState::kReady) continue;
    auto* m = response->add_models();
    m->set_name(s.model);
    if (s.version > 0) m->set_version(absl::StrCat(s.version));
    m->set_state(std::string(VersionStateName(s.state)));
    m->set_reason(s.reason);
  }
  return FinishNow(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* InferenceService::RepositoryModelLoad(
    grpc::CallbackServerContext* context, const inference::RepositoryModelLoadRequest* request,
    inference::RepositoryModelLoadResponse*) {
  if (absl::Status denied = Authorize(*context, true); !denied.ok()) {
    return FinishNow(context, denied);
  }
  absl::Status refused = RefuseParameters(request->parameters(), "RepositoryModelLoad");
  if (!refused.ok()) return FinishNow(context, refused);
  if (request->model_name().empty()) {
    return FinishNow(context, absl::InvalidArgumentError("model_name is empty"));
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  models_.LoadModelAsync(request->model_name(),
                         [reactor](absl::Status status) { reactor->Finish(ToGrpcStatus(status)); });
  return reactor;
}

grpc::ServerUnaryReactor* InferenceService::RepositoryModelUnload(
    grpc::CallbackServerContext* context, const inference::RepositoryModelUnloadRequest* request,
    inference::RepositoryModelUnloadResponse*) {
  if (absl::Status denied = Authorize(*context, true); !denied.ok()) {
    return FinishNow(context, denied);
  }
  absl::Status refused = RefuseParameters(request->parameters(), "RepositoryModelUnload");
  if (!refused.ok()) return FinishNow(context, refused);
  if (request->model_name().empty()) {
    return FinishNow(context, absl::InvalidArgumentError("model_name is empty"));
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  models_.UnloadModelAsync(request->model_name(), [reactor](absl::Status status) {
    reactor->Finish(ToGrpcStatus(status));
  });
  return reactor;
}

}  // namespace fixpoint::server
