#include "server/services/model_service.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/io/onnx_exporter.h"
#include "core/io/onnx_importer.h"
#include "core/io/tf_importer.h"
#include "core/util/sha256.h"
#include "core/util/status_macros.h"
#include "server/convert/management_convert.h"
#include "server/convert/status_convert.h"
#include "server/convert/tensor_convert.h"
#include "server/log.h"
#include "server/services/unary_on_pool.h"
#include "server/services/upload_buffer.h"
#include "server/services/upload_reactor.h"

namespace fixpoint::server {

// Reads chunks; the first carries the header. Errors finish the call at
// once; a complete stream is validated and stored on the pool.
class ModelService::Upload : public UploadReactor<v1::UploadModelRequest> {
 public:
  Upload(ModelService* service, grpc::CallbackServerContext* context, v1::ModelVersion* response)
      : UploadReactor(context, service->pool_), service_(service), response_(response),
        buffer_("model upload", service->max_upload_bytes_) {
    Begin(*service_->auth_);
  }

 private:
  absl::Status Accept(const v1::UploadModelRequest& chunk) override {
    if (chunk.has_header()) {
      if (buffer_.declared()) {
        return absl::InvalidArgumentError("model upload: header sent twice (only the first "
                                          "message may carry it)");
      }
      header_ = chunk.header();
      FP_RETURN_IF_ERROR(store::ValidateName(header_.name()));
      buffer_ = UploadBuffer(absl::StrCat("model '", header_.name(), "'"),
                             service_->max_upload_bytes_);
      FP_RETURN_IF_ERROR(buffer_.Declare(header_.size_bytes(), header_.sha256(), "header"));
    } else if (!buffer_.declared()) {
      return absl::InvalidArgumentError(
          "model upload: the first message must carry the header (name, format, size, sha256)");
    }
    return buffer_.Append(chunk.data());
  }

  absl::Status Complete() override {
    if (!buffer_.declared()) return absl::InvalidArgumentError("model upload: empty stream");
    FP_RETURN_IF_ERROR(buffer_.Finish());
    ir::Graph graph;
    FP_ASSIGN_OR_RETURN(store::FloatModel model,
                        PrepareFloatModel(header_, std::string(buffer_.bytes()), &graph));
    FP_ASSIGN_OR_RETURN(store::VersionInfo version,
                        service_->store_->AddFloatVersion(header_.name(), model));
    LogInfo("model version stored", {{"model", version.model},
                                     {"version", std::to_string(version.version)},
                                     {"format", version.source_format},
                                     {"sha256", version.sha256}});
    if (service_->events_.added) service_->events_.added(version);
    *response_ = ToProto(version);
    // The version is still loading; its signature is the imported graph's.
    FillSignature(graph, *response_);
    return absl::OkStatus();
  }

  ModelService* const service_;
  v1::ModelVersion* const response_;
  v1::UploadModelHeader header_;
  UploadBuffer buffer_;
};

v1::ModelVersion ModelService::Describe(const store::VersionInfo& v) const {
  v1::ModelVersion out = ToProto(v);
  if (events_.describe) events_.describe(out);
  return out;
}

v1::Model ModelService::Describe(const store::ModelInfo& m) const {
  v1::Model out = ToProto(m);
  if (events_.describe) {
    for (v1::ModelVersion& v : *out.mutable_versions()) events_.describe(v);
  }
  return out;
}

ModelService::ModelService(store::ArtifactStore* store, WorkPool* pool, const TokenAuth* auth,
                           int64_t max_upload_bytes, VersionEvents events)
    : store_(store), pool_(pool), auth_(auth), max_upload_bytes_(max_upload_bytes),
      events_(std::move(events)) {}

void FillSignature(const ir::Graph& graph, v1::ModelVersion& out) {
  for (const auto* list : {&graph.inputs, &graph.outputs}) {
    for (const ir::ValueInfo& v : *list) {
      v1::TensorInfo* t = list == &graph.inputs ? out.add_inputs() : out.add_outputs();
      t->set_name(v.name);
      t->set_datatype(std::string(KServeDatatype(v.dtype)));
      for (int64_t d : KServeShape(v.shape)) t->add_shape(d);
    }
  }
}

absl::StatusOr<store::FloatModel> ModelService::PrepareFloatModel(
    const v1::UploadModelHeader& header, std::string bytes, ir::Graph* imported) {
  store::FloatModel model;
  model.source_sha256 = util::Sha256Hex(bytes);
  model.description = header.description();
  const std::string what = absl::StrCat("model '", header.name(), "'");
  switch (header.format()) {
    case v1::MODEL_FORMAT_ONNX: {
      auto graph = io::ImportOnnx(bytes);
      if (!graph.ok()) return WithContext(graph.status(), what);
      if (imported != nullptr) *imported = *std::move(graph);
      model.source_format = "onnx";
      model.onnx_bytes = std::move(bytes);
      return model;
    }
    case v1::MODEL_FORMAT_TF_GRAPHDEF: {
      io::TfImportOptions options;
      options.input_nodes.assign(header.input_nodes().begin(), header.input_nodes().end());
      options.input_shapes.assign(header.input_shapes().begin(), header.input_shapes().end());
      options.output_nodes.assign(header.output_nodes().begin(), header.output_nodes().end());
      if (options.input_nodes.empty() || options.output_nodes.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            what, ": a TF GraphDef upload needs header.input_nodes and header.output_nodes"));
      }
      auto graph = io::ImportTfGraphDef(bytes, options);
      if (!graph.ok()) return WithContext(graph.status(), what);
      auto onnx = io::ExportOnnx(*graph);
      if (!onnx.ok()) return WithContext(onnx.status(), absl::StrCat(what, ": export to ONNX"));
      if (imported != nullptr) *imported = *std::move(graph);
      model.source_format = "tf_graphdef";
      model.onnx_bytes = *std::move(onnx);
      return model;
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": header.format must be MODEL_FORMAT_ONNX or "
                             "MODEL_FORMAT_TF_GRAPHDEF"));
  }
}

grpc::ServerReadReactor<v1::UploadModelRequest>* ModelService::UploadModel(
    grpc::CallbackServerContext* context, v1::ModelVersion* response) {
  return new Upload(this, context, response);
}

grpc::ServerUnaryReactor* ModelService::ListModels(grpc::CallbackServerContext* context,
                                                   const v1::ListModelsRequest*,
                                                   v1::ListModelsResponse* response) {
  return UnaryOnPool(context, auth_, pool_, [this, response] {
    for (const store::ModelInfo& m : store_->ListModels()) *response->add_models() = Describe(m);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ModelService::GetModel(grpc::CallbackServerContext* context,
                                                 const v1::GetModelRequest* request,
                                                 v1::Model* response) {
  return UnaryOnPool(context, auth_, pool_, [this, request, response]() -> absl::Status {
    FP_ASSIGN_OR_RETURN(store::ModelInfo model, store_->GetModel(request->name()));
    *response = Describe(model);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ModelService::DeleteModelVersion(
    grpc::CallbackServerContext* context, const v1::DeleteModelVersionRequest* request,
    v1::DeleteModelVersionResponse*) {
  return UnaryOnPool(context, auth_, pool_, [this, request]() -> absl::Status {
    FP_RETURN_IF_ERROR(store_->DeleteVersion(request->name(), request->version()));
    LogInfo("model version deleted",
            {{"model", request->name()}, {"version", std::to_string(request->version())}});
    if (events_.deleted) events_.deleted(request->name(), request->version());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ModelService::SetVersionLabel(grpc::CallbackServerContext* context,
                                                        const v1::SetVersionLabelRequest* request,
                                                        v1::Model* response) {
  return UnaryOnPool(context, auth_, pool_, [this, request, response]() -> absl::Status {
    FP_RETURN_IF_ERROR(store_->SetLabel(request->name(), request->version(), request->label()));
    FP_ASSIGN_OR_RETURN(store::ModelInfo model, store_->GetModel(request->name()));
    *response = Describe(model);
    return absl::OkStatus();
  });
}

}  // namespace fixpoint::server
