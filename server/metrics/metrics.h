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
#include <span>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace fixpoint::server {

// Identifies one served model version in labels.
struct VersionLabels {
  std::string model;
  std::string version;    // decimal
  std::string precision;  // "fp32" / "int8"
};

class Metrics;

// One version's request-path series, resolved once (Metrics::ForVersion):
// updating them takes no label lookups, only Metrics' mutex for the
// counters and the histogram's own. Once the version's series are deleted
// (Metrics::OnVersionDeleted) every call is a no-op, so that a request still
// in flight on a deleted version neither touches freed series nor recreates
// them. Copyable; the Metrics it came from must outlive it. Thread-safe.
class VersionMetrics {
 public:
  VersionMetrics() = default;  // records nothing

  // fixpoint_inference_requests_in_flight += delta.
  void AddInFlight(int64_t delta) const;
  // One answered request: requests_total{code} + 1, its duration observed,
  // and in-flight - 1 when `was_in_flight`.
  void RecordRequest(absl::string_view code, double seconds, bool was_in_flight) const;
  // One executed batch of `batch_size` items and the queue time of each of
  // its requests.
  void RecordBatch(int64_t batch_size, std::span<const double> queue_seconds) const;

  struct Series;  // opaque: defined in metrics.cc

 private:
  friend class Metrics;
  VersionMetrics(Metrics* metrics, std::shared_ptr<Series> series)
      : metrics_(metrics), series_(std::move(series)) {}
  Metrics* metrics_ = nullptr;
  std::shared_ptr<Series> series_;
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
  // The series of `v` (created at zero like OnVersionLoaded's) as a handle
  // for the request path: fixpoint_inference_requests_total{model,version,
  // precision,code} (`code` the gRPC code name, "OK", "INVALID_ARGUMENT",
  // ...), fixpoint_inference_request_duration_seconds, the batcher's
  // fixpoint_inference_queue_duration_seconds and fixpoint_inference_batch_size
  // histograms, and the fixpoint_inference_requests_in_flight gauge.
  VersionMetrics ForVersion(const VersionLabels& v);

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
  friend class VersionMetrics;
  struct Families;
  std::unique_ptr<Families> f_;
};

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_METRICS_METRICS_H_
