// fixpoint.v1.ModelService: model uploads (client streams), versions and
// labels over the ArtifactStore. Handlers hand their work to a WorkPool and
// never block gRPC's callback threads. Every RPC requires the management
// token when one is configured. Thread-safe.
#ifndef FIXPOINT_SERVER_SERVICES_MODEL_SERVICE_H_
#define FIXPOINT_SERVER_SERVICES_MODEL_SERVICE_H_

#include <cstdint>
#include <functional>
#include <string>

#include "core/store/artifact_store.h"
#include "fixpoint/v1/models.grpc.pb.h"
#include "server/auth.h"
#include "server/work_pool.h"

namespace fixpoint::server {

// What the serving side wants to hear about versions (both may be empty).
// A version's inputs and outputs (KServe datatypes, -1 = dynamic) into `out`.
void FillSignature(const ir::Graph& graph, v1::ModelVersion& out);

struct VersionEvents {
  std::function<void(const store::VersionInfo&)> added;
  std::function<void(const std::string& model, int64_t version)> deleted;
  // Fills a version's inputs and outputs when the serving side knows them
  // (the version is loaded); may be empty.
  std::function<void(v1::ModelVersion&)> describe;
};

class ModelService final : public v1::ModelService::CallbackService {
 public:
  ModelService(store::ArtifactStore* store, WorkPool* pool, const TokenAuth* auth,
               int64_t max_upload_bytes, VersionEvents events);

  grpc::ServerReadReactor<v1::UploadModelRequest>* UploadModel(
      grpc::CallbackServerContext* context, v1::ModelVersion* response) override;
  grpc::ServerUnaryReactor* ListModels(grpc::CallbackServerContext* context,
                                       const v1::ListModelsRequest* request,
                                       v1::ListModelsResponse* response) override;
  grpc::ServerUnaryReactor* GetModel(grpc::CallbackServerContext* context,
                                     const v1::GetModelRequest* request,
                                     v1::Model* response) override;
  grpc::ServerUnaryReactor* DeleteModelVersion(grpc::CallbackServerContext* context,
                                               const v1::DeleteModelVersionRequest* request,
                                               v1::DeleteModelVersionResponse* response) override;
  grpc::ServerUnaryReactor* SetVersionLabel(grpc::CallbackServerContext* context,
                                            const v1::SetVersionLabelRequest* request,
                                            v1::Model* response) override;

  // Validates an uploaded model and returns the ONNX bytes to store:
  // the upload itself for ONNX (after a full import, so unsupported ops and
  // corrupt files are refused here), the exported import for a TF GraphDef.
  // `imported` (optional) receives the imported graph.
  static absl::StatusOr<store::FloatModel> PrepareFloatModel(const v1::UploadModelHeader& header,
                                                             std::string bytes,
                                                             ir::Graph* imported = nullptr);

 private:
  class Upload;
  v1::ModelVersion Describe(const store::VersionInfo& v) const;
  v1::Model Describe(const store::ModelInfo& m) const;
  store::ArtifactStore* const store_;
  WorkPool* const pool_;
  const TokenAuth* const auth_;
  const int64_t max_upload_bytes_;
  const VersionEvents events_;
};

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_SERVICES_MODEL_SERVICE_H_
