#include "server/metrics/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace fixpoint::server {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;
using prometheus::Labels;

// Latency buckets, 50 µs .. 10 s, roughly exponential on the 1-2.5-5 steps
// dashboards (and Prometheus' own client defaults) use, so that bucket edges
// read as round numbers in PromQL and Apdex thresholds.
Histogram::BucketBoundaries LatencyBuckets() {
  return {50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3,
          50e-3, 100e-3, 250e-3, 500e-3, 1.0,  2.5,    5.0,  10.0};
}

// Executed batch sizes: 1, 2, 4, ..., 256.
Histogram::BucketBoundaries BatchBuckets() {
  Histogram::BucketBoundaries b;
  for (double v = 1; v <= 256; v *= 2) b.push_back(v);
  return b;
}

// Jobs take seconds to hours: 1 s .. ~2.8 h.
Histogram::BucketBoundaries JobBuckets() {
  return {1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
}

// The job states of core/jobs/scheduler.h, each present from construction.
constexpr const char* kJobStates[] = {"QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"};

// prometheus-cpp 1.0 leaves a family without series out of Collect(), so a
// family would only appear with its first series (a version loaded, a job
// finished). This registry reports every declared family from construction:
// its HELP and TYPE lines, and samples once it has series. Families come out
// in declaration order.
class DeclaringRegistry : public prometheus::Registry {
 public:
  // Only before the registry is shared (the Metrics constructor).
  void Declare(const std::string& name, const std::string& help, prometheus::MetricType type) {
    prometheus::MetricFamily f;
    f.name = name;
    f.help = help;
    f.type = type;
    declared_.push_back(std::move(f));
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> collected = prometheus::Registry::Collect();
    std::vector<prometheus::MetricFamily> out;
    out.reserve(declared_.size());
    for (const prometheus::MetricFamily& d : declared_) {
      out.push_back(d);
      for (prometheus::MetricFamily& c : collected) {
        if (c.name == d.name) out.back().metric = std::move(c.metric);
      }
    }
    return out;
  }

 private:
  std::vector<prometheus::MetricFamily> declared_;
};

template <typename T>
Family<T>& Declare(DeclaringRegistry& registry, const char* name, const char* help) {
  registry.Declare(name, help, T::metric_type);
  return prometheus::detail::Builder<T>().Name(name).Help(help).Register(registry);
}

Labels VersionLabelSet(const VersionLabels& v) {
  return {{"model", v.model}, {"version", v.version}, {"precision", v.precision}};
}

}  // namespace

// Every series that carries one version's labels, so that a deleted
// version's series can be removed together. Shared with the VersionMetrics
// handles; the pointers are only used under Families::mu and while
// `removed` is false.
struct VersionMetrics::Series {
  std::map<std::string, Counter*> requests_by_code;
  Counter* ok_requests = nullptr;  // requests_by_code["OK"]
  Histogram* request_duration = nullptr;
  Histogram* queue_duration = nullptr;
  Histogram* batch_size = nullptr;
  Gauge* in_flight = nullptr;
  Gauge* artifact_bytes = nullptr;
  // Accuracy gauges labelled with this version, by family.
  std::vector<std::pair<Family<Gauge>*, Gauge*>> quality;
  Labels labels;  // model, version, precision (once the request series exist)
  bool removed = false;
};

struct Metrics::Families {
  using VersionSeries = VersionMetrics::Series;

  explicit Families(std::shared_ptr<DeclaringRegistry> r)
      : registry(r),
        requests(Declare<Counter>(*r, "fixpoint_inference_requests_total",
                                  "Inference requests by model version and gRPC status code.")),
        request_duration(
            Declare<Histogram>(*r, "fixpoint_inference_request_duration_seconds",
                               "Time from receiving an inference request to its response.")),
        queue_duration(
            Declare<Histogram>(*r, "fixpoint_inference_queue_duration_seconds",
                               "Time an inference request waited in the batcher's queue.")),
        batch_size(Declare<Histogram>(*r, "fixpoint_inference_batch_size",
                                      "Items per executed batch (after dynamic batching).")),
        in_flight(Declare<Gauge>(*r, "fixpoint_inference_requests_in_flight",
                                 "Inference requests accepted and not yet answered.")),
        jobs(Declare<Gauge>(*r, "fixpoint_jobs", "Jobs by state.")),
        jobs_total(Declare<Counter>(*r, "fixpoint_jobs_total",
                                    "Jobs that reached a final state, by kind and state.")),
        job_duration(Declare<Histogram>(*r, "fixpoint_job_duration_seconds",
                                        "Run time of finished jobs, by kind.")),
        accuracy(Declare<Gauge>(*r, "fixpoint_model_accuracy",
                                "Top-1 accuracy (0..1) of a model version on an evaluation "
                                "dataset.")),
        accuracy_drop(Declare<Gauge>(*r, "fixpoint_model_accuracy_drop",
                                     "Top-1 accuracy of the float parent minus that of this "
                                     "int8 version (ratio).")),
        top1_agreement(Declare<Gauge>(*r, "fixpoint_model_top1_agreement",
                                      "Share of evaluation items where the int8 version and its "
                                      "float parent predict the same class.")),
        artifact_bytes(Declare<Gauge>(*r, "fixpoint_artifact_bytes",
                                      "Size of a model version's model.onnx in bytes.")) {
    for (const char* state : kJobStates) jobs.Add({{"state", state}});
  }

  // The series of `v`, created (at zero) on first use.
  VersionSeries& SeriesOf(const VersionLabels& v) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return *SharedSeriesOf(v.model, v.version, &v);
  }

  // The series of (model, version), created on first use; `v`, when given,
  // creates the request-path series (at zero) as well.
  const std::shared_ptr<VersionSeries>& SharedSeriesOf(const std::string& model,
                                                       const std::string& version,
                                                       const VersionLabels* v)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::shared_ptr<VersionSeries>& shared = by_version[{model, version}];
    if (shared == nullptr) shared = std::make_shared<VersionSeries>();
    VersionSeries& s = *shared;
    if (v != nullptr && s.request_duration == nullptr) {
      const Labels labels = VersionLabelSet(*v);
      s.labels = labels;
      s.request_duration = &request_duration.Add(labels, LatencyBuckets());
      s.queue_duration = &queue_duration.Add(labels, LatencyBuckets());
      s.batch_size = &batch_size.Add(labels, BatchBuckets());
      s.in_flight = &in_flight.Add(labels);
    }
    return shared;
  }

  Counter& RequestsOf(const VersionLabels& v, absl::string_view code)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    VersionSeries& s = SeriesOf(v);
    auto it = s.requests_by_code.find(std::string(code));
    if (it != s.requests_by_code.end()) return *it->second;
    Labels labels = VersionLabelSet(v);
    labels["code"] = std::string(code);
    Counter* c = &requests.Add(labels);
    s.requests_by_code.emplace(std::string(code), c);
    if (code == "OK") s.ok_requests = c;
    return *c;
  }

  // A gauge labelled with (model, version) kept with that version's series.
  Gauge& QualityGauge(Family<Gauge>& family, const std::string& model, const std::string& version,
                      Labels labels) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    labels["model"] = model;
    labels["version"] = version;
    const bool existed = family.Has(labels);
    Gauge& g = family.Add(labels);
    if (!existed) SharedSeriesOf(model, version, nullptr)->quality.emplace_back(&family, &g);
    return g;
  }

  std::shared_ptr<prometheus::Registry> registry;
  Family<Counter>& requests;
  Family<Histogram>& request_duration;
  Family<Histogram>& queue_duration;
  Family<Histogram>& batch_size;
  Family<Gauge>& in_flight;
  Family<Gauge>& jobs;
  Family<Counter>& jobs_total;
  Family<Histogram>& job_duration;
  Family<Gauge>& accuracy;
  Family<Gauge>& accuracy_drop;
  Family<Gauge>& top1_agreement;
  Family<Gauge>& artifact_bytes;

  absl::Mutex mu;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<VersionSeries>> by_version
      ABSL_GUARDED_BY(mu);
};

Metrics::Metrics() : f_(std::make_unique<Families>(std::make_shared<DeclaringRegistry>())) {}

Metrics::~Metrics() = default;

std::shared_ptr<prometheus::Registry> Metrics::registry() const { return f_->registry; }

void Metrics::OnVersionLoaded(const VersionLabels& v, int64_t artifact_bytes) {
  absl::MutexLock lock(&f_->mu);
  f_->RequestsOf(v, "OK");
  Families::VersionSeries& s = f_->SeriesOf(v);
  if (s.artifact_bytes == nullptr) {
    s.artifact_bytes = &f_->artifact_bytes.Add({{"model", v.model}, {"version", v.version}});
  }
  s.artifact_bytes->Set(static_cast<double>(artifact_bytes));
}

VersionMetrics Metrics::ForVersion(const VersionLabels& v) {
  absl::MutexLock lock(&f_->mu);
  f_->RequestsOf(v, "OK");
  return VersionMetrics(this, f_->SharedSeriesOf(v.model, v.version, &v));
}

void VersionMetrics::AddInFlight(int64_t delta) const {
  if (series_ == nullptr) return;
  absl::MutexLock lock(&metrics_->f_->mu);
  if (!series_->removed) series_->in_flight->Increment(static_cast<double>(delta));
}

void VersionMetrics::RecordRequest(absl::string_view code, double seconds,
                                   bool was_in_flight) const {
  if (series_ == nullptr) return;
  Metrics::Families& f = *metrics_->f_;
  absl::MutexLock lock(&f.mu);
  Series& s = *series_;
  if (s.removed) return;
  if (was_in_flight) s.in_flight->Decrement();
  Counter* requests = code == "OK" ? s.ok_requests : nullptr;
  if (requests == nullptr) {
    auto it = s.requests_by_code.find(std::string(code));
    if (it != s.requests_by_code.end()) requests = it->second;
  }
  if (requests == nullptr) {
    // A code this version has not answered with yet: one label lookup.
    Labels labels = s.labels;
    labels["code"] = std::string(code);
    requests = &f.requests.Add(labels);
    s.requests_by_code.emplace(std::string(code), requests);
  }
  requests->Increment();
  s.request_duration->Observe(seconds);
}

void VersionMetrics::RecordBatch(int64_t batch_size, std::span<const double> queue_seconds) const {
  if (series_ == nullptr) return;
  absl::MutexLock lock(&metrics_->f_->mu);
  const Series& s = *series_;
  if (s.removed) return;
  s.batch_size->Observe(static_cast<double>(batch_size));
  for (double seconds : queue_seconds) s.queue_duration->Observe(seconds);
}

void Metrics::SetJobCounts(const std::map<std::string, int64_t>& count_by_state) {
  absl::MutexLock lock(&f_->mu);
  // States missing from the map have no jobs: every state is set each time.
  for (const char* state : kJobStates) f_->jobs.Add({{"state", state}}).Set(0);
  for (const auto& [state, count] : count_by_state) {
    f_->jobs.Add({{"state", state}}).Set(static_cast<double>(count));
  }
}

void Metrics::RecordJobDuration(absl::string_view kind, double seconds) {
  absl::MutexLock lock(&f_->mu);
  f_->job_duration.Add({{"kind", std::string(kind)}}, JobBuckets()).Observe(seconds);
}

void Metrics::CountFinishedJob(absl::string_view kind, absl::string_view state) {
  absl::MutexLock lock(&f_->mu);
  f_->jobs_total.Add({{"kind", std::string(kind)}, {"state", std::string(state)}}).Increment();
}

void Metrics::SetAccuracy(const std::string& model, const std::string& int8_version,
                          const std::string& fp32_version, const std::string& dataset,
                          double fp32_top1, double int8_top1, double top1_agreement) {
  absl::MutexLock lock(&f_->mu);
  f_->QualityGauge(f_->accuracy, model, fp32_version, {{"precision", "fp32"}, {"dataset", dataset}})
      .Set(fp32_top1);
  f_->QualityGauge(f_->accuracy, model, int8_version, {{"precision", "int8"}, {"dataset", dataset}})
      .Set(int8_top1);
  f_->QualityGauge(f_->accuracy_drop, model, int8_version, {{"dataset", dataset}})
      .Set(fp32_top1 - int8_top1);
  f_->QualityGauge(f_->top1_agreement, model, int8_version, {{"dataset", dataset}})
      .Set(top1_agreement);
}

void Metrics::OnVersionDeleted(const std::string& model, const std::string& version) {
  absl::MutexLock lock(&f_->mu);
  auto it = f_->by_version.find({model, version});
  if (it == f_->by_version.end()) return;
  Families::VersionSeries& s = *it->second;
  s.removed = true;  // handles still held stop recording
  for (auto& [code, counter] : s.requests_by_code) f_->requests.Remove(counter);
  if (s.request_duration != nullptr) {
    f_->request_duration.Remove(s.request_duration);
    f_->queue_duration.Remove(s.queue_duration);
    f_->batch_size.Remove(s.batch_size);
    f_->in_flight.Remove(s.in_flight);
  }
  if (s.artifact_bytes != nullptr) f_->artifact_bytes.Remove(s.artifact_bytes);
  for (auto& [family, gauge] : s.quality) family->Remove(gauge);
  f_->by_version.erase(it);
}

}  // namespace fixpoint::server
