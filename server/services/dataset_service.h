// fixpoint.v1.DatasetService: calibration / evaluation dataset uploads
// (client streams of images then labels chunks) validated by parsing them
// whole, stored by content hash in the ArtifactStore. Thread-safe.
#ifndef FIXPOINT_SERVER_SERVICES_DATASET_SERVICE_H_
#define FIXPOINT_SERVER_SERVICES_DATASET_SERVICE_H_

#include <cstdint>

#include "core/store/artifact_store.h"
#include "fixpoint/v1/datasets.grpc.pb.h"
#include "server/auth.h"
#include "server/work_pool.h"

namespace fixpoint::server {

class DatasetService final : public v1::DatasetService::CallbackService {
 public:
  DatasetService(store::ArtifactStore* store, WorkPool* pool, const TokenAuth* auth,
                 int64_t max_upload_bytes);

  grpc::ServerReadReactor<v1::UploadDatasetRequest>* UploadDataset(
      grpc::CallbackServerContext* context, v1::Dataset* response) override;
  grpc::ServerUnaryReactor* ListDatasets(grpc::CallbackServerContext* context,
                                         const v1::ListDatasetsRequest* request,
                                         v1::ListDatasetsResponse* response) override;

 private:
  class Upload;
  store::ArtifactStore* const store_;
  WorkPool* const pool_;
  const TokenAuth* const auth_;
  const int64_t max_upload_bytes_;
};

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_SERVICES_DATASET_SERVICE_H_
