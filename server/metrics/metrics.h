// Metrics: every Prometheus family fixpointd exports, owned here and
// injected into the services, the batcher and the job wiring (no globals).
// Names follow Prometheus conventions (base units: seconds, bytes; ratios
// in 0..1). Per-version series exist at zero from the moment a version
// loads (OnVersionLoaded), so dashboards never see a missing series.
// Thread-safe (prometheus-cpp metrics are atomic; the series maps are
// guarded by a mutex).
#ifndef FIXPOINT_SERVER_METRICS_METRICS_H_
#define FIXPOINT_SERVER_METRICS_METRICS_H_

#include <prometheus/registry.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace fixpoint::server {

// Identifies one served model version in labels.
struct VersionLabels {
  std::string model;
  std::string version;    // decimal
  std::string precision;  // "fp32" / "int8"
};

class Metrics {
 public:
  Metrics();
  ~Metrics();

  // The registry to hand to a prometheus::Exposer (a complete type here, so
  // that it converts to the Exposer's weak_ptr<Collectable>).
  std::shared_ptr<prometheus::Registry> registry() const;

  // Creates this version's request (code "OK"), duration, queue, batch,
  // in-flight and artifact-size series at zero.
  void OnVersionLoaded(const VersionLabels& v, int64_t artifact_bytes);
  // fixpoint_inference_requests_total{model,version,precision,code} and
  // fixpoint_inference_request_duration_seconds{model,version,precision}.
  // `code` is the gRPC code name ("OK", "INVALID_ARGUMENT", ...).
  void RecordRequest(const VersionLabels& v, absl::string_view code, double seconds);
  // fixpoint_inference_queue_duration_seconds (time in the batcher's queue).
  void RecordQueueTime(const VersionLabels& v, double seconds);
  // fixpoint_inference_batch_size (histogram of executed batch sizes).
  void RecordBatch(const VersionLabels& v, int64_t batch_size);
  // fixpoint_inference_requests_in_flight (gauge).
  void AddInFlight(const VersionLabels& v, int64_t delta);

  // fixpoint_jobs{state} (gauge, every state present) and
  // fixpoint_job_duration_seconds{kind} (histogram).
  void SetJobCounts(const std::map<std::string, int64_t>& count_by_state);
  void RecordJobDuration(absl::string_view kind, double seconds);
  // fixpoint_jobs_total{kind,state} (counter of jobs reaching a final state).
  void CountFinishedJob(absl::string_view kind, absl::string_view state);

  // Accuracy of a quantized version against its float parent on `dataset`
  // (the eval dataset's name): fixpoint_model_accuracy{model,version,
  // precision,dataset} for both precisions (fp32 is labelled with the parent
  // version), fixpoint_model_accuracy_drop{model,version,dataset} (fp32 - int8,
  // ratio), fixpoint_model_top1_agreement{model,version,dataset}.
  void SetAccuracy(const std::string& model, const std::string& int8_version,
                   const std::string& fp32_version, const std::string& dataset, double fp32_top1,
                   double int8_top1, double top1_agreement);
  // Removes every series of a deleted version.
  void OnVersionDeleted(const std::string& model, const std::string& version);

 private:
  struct Families;
  std::unique_ptr<Families> f_;
};

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_METRICS_METRICS_H_
