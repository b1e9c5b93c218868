// Fixpointd: the whole server assembled from a validated ServerConfig —
// store, metrics, model manager, job scheduler, services, the gRPC server
// (with health and reflection) and the /metrics exposer — and its
// lifecycle: Start, then Shutdown (readiness false, drain in-flight RPCs and
// jobs within a deadline, stop). main.cc only parses flags and waits for a
// signal. Thread-compatible: call Start and Shutdown from one thread.
#ifndef FIXPOINT_SERVER_FIXPOINTD_H_
#define FIXPOINT_SERVER_FIXPOINTD_H_

#include <grpcpp/grpcpp.h>

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/config.h"

namespace prometheus {
class Exposer;
}

namespace fixpoint::store {
class ArtifactStore;
}
namespace fixpoint::jobs {
class Scheduler;
}

namespace fixpoint::server {

class Metrics;
class ModelManager;
class WorkPool;
class TokenAuth;
class Readiness;
class ModelService;
class DatasetService;
class QuantizationService;
class InferenceService;

class Fixpointd {
 public:
  // Opens the store, restores the accuracy gauges from its manifests, loads
  // the served versions, recovers jobs, and starts listening. Ready when it
  // returns. Errors name the failing step (bad TLS files, a busy port, ...).
  static absl::StatusOr<std::unique_ptr<Fixpointd>> Start(const ServerConfig& config);
  ~Fixpointd();

  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }  // 0 when disabled

  // Readiness false (ServerReady, grpc.health.v1), then in-flight RPCs and
  // running jobs get until now + `deadline`; interrupted jobs are re-queued
  // for the next start. Idempotent.
  void Shutdown(absl::Duration deadline);

 private:
  Fixpointd();
  absl::Status Init(const ServerConfig& config);

  ServerConfig config_;
  std::unique_ptr<store::ArtifactStore> store_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<Readiness> readiness_;
  std::unique_ptr<TokenAuth> auth_;
  std::unique_ptr<ModelManager> manager_;
  std::unique_ptr<WorkPool> pool_;
  std::unique_ptr<jobs::Scheduler> scheduler_;
  std::unique_ptr<ModelService> model_service_;
  std::unique_ptr<DatasetService> dataset_service_;
  std::unique_ptr<QuantizationService> quantization_service_;
  std::unique_ptr<InferenceService> inference_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int grpc_port_ = 0;
  int metrics_port_ = 0;
  bool shut_down_ = false;
};

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_FIXPOINTD_H_
