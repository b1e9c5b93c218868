// fixpoint.v1.QuantizationService: Quantize validates the request and
// queues a "quantize" job at once; jobs are read, cancelled and watched
// (a server stream of JobEvents) through the Scheduler; GetReport reads a
// version's manifest from the store. Thread-safe.
#ifndef FIXPOINT_SERVER_SERVICES_QUANTIZATION_SERVICE_H_
#define FIXPOINT_SERVER_SERVICES_QUANTIZATION_SERVICE_H_

#include "core/jobs/scheduler.h"
#include "core/store/artifact_store.h"
#include "fixpoint/v1/quantization.grpc.pb.h"
#include "server/auth.h"
#include "server/work_pool.h"

namespace fixpoint::server {

class QuantizationService final : public v1::QuantizationService::CallbackService {
 public:
  QuantizationService(store::ArtifactStore* store, jobs::Scheduler* scheduler, WorkPool* pool,
                      const TokenAuth* auth);

  grpc::ServerUnaryReactor* Quantize(grpc::CallbackServerContext* context,
                                     const v1::QuantizeRequest* request,
                                     v1::Job* response) override;
  grpc::ServerUnaryReactor* GetJob(grpc::CallbackServerContext* context,
                                   const v1::GetJobRequest* request, v1::Job* response) override;
  grpc::ServerUnaryReactor* ListJobs(grpc::CallbackServerContext* context,
                                     const v1::ListJobsRequest* request,
                                     v1::ListJobsResponse* response) override;
  grpc::ServerUnaryReactor* CancelJob(grpc::CallbackServerContext* context,
                                      const v1::CancelJobRequest* request,
                                      v1::Job* response) override;
  grpc::ServerWriteReactor<v1::JobEvent>* WatchJob(grpc::CallbackServerContext* context,
                                                   const v1::WatchJobRequest* request) override;
  grpc::ServerUnaryReactor* GetReport(grpc::CallbackServerContext* context,
                                      const v1::GetReportRequest* request,
                                      v1::Report* response) override;

 private:
  class WatchReactor;
  store::ArtifactStore* const store_;
  jobs::Scheduler* const scheduler_;
  WorkPool* const pool_;
  const TokenAuth* const auth_;
};

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_SERVICES_QUANTIZATION_SERVICE_H_
