// LoadedVersion: one model version ready to serve — its compiled
// runtime::Session (fp32, or int8 kernels lowered from the QDQ graph), its
// DynamicBatcher, and the metadata KServe reports (inputs and outputs with
// -1 for dynamic dimensions). Immutable once created; shared as
// std::shared_ptr<const LoadedVersion> so that unloading never breaks a
// request in flight. Thread-safe.
#ifndef FIXPOINT_SERVER_SERVING_LOADED_VERSION_H_
#define FIXPOINT_SERVER_SERVING_LOADED_VERSION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/ir/graph.h"
#include "core/runtime/session.h"
#include "core/store/artifact_store.h"
#include "server/metrics/metrics.h"
#include "server/serving/dynamic_batcher.h"

namespace fixpoint::server {

struct LoadOptions {
  runtime::SessionOptions session;
  BatcherOptions batcher;
  // One run with zeros at batch 1 and at the maximum batch before READY, so
  // the first requests do not pay for kernel binding.
  bool warmup = true;
};

// "fp32" / "int8" (the metrics' precision label).
absl::string_view PrecisionLabel(store::Precision precision);

class LoadedVersion {
 public:
  // Compiles `graph` (the imported model.onnx of `info`), warms it up,
  // starts its batcher and creates the version's metric series at zero
  // (metrics.OnVersionLoaded). `metrics` must outlive the version. Errors
  // of compilation or warm-up, prefixed "model 'm' version 2: ".
  static absl::StatusOr<std::unique_ptr<LoadedVersion>> Create(const store::VersionInfo& info,
                                                               ir::Graph graph,
                                                               const LoadOptions& options,
                                                               Metrics& metrics);
  // Stops the batcher: queued requests run to completion first.
  ~LoadedVersion();

  const store::VersionInfo& info() const { return info_; }
  const std::string& model() const { return info_.model; }
  int64_t version() const { return info_.version; }
  const VersionLabels& labels() const { return labels_; }
  // This version's request-path metric series.
  const VersionMetrics& metrics() const { return metrics_; }
  // The graph's inputs and outputs (kDynamicDim = -1 where dynamic).
  const std::vector<ir::ValueInfo>& inputs() const { return session_->graph().inputs; }
  const std::vector<ir::ValueInfo>& outputs() const { return session_->graph().outputs; }
  const runtime::Session& session() const { return *session_; }
  // Submit is thread-safe, hence callable through a const version.
  DynamicBatcher& batcher() const { return *batcher_; }

 private:
  LoadedVersion(store::VersionInfo info, std::shared_ptr<const runtime::Session> session);

  const store::VersionInfo info_;
  const VersionLabels labels_;
  const std::shared_ptr<const runtime::Session> session_;
  VersionMetrics metrics_;  // set once by Create
  std::unique_ptr<DynamicBatcher> batcher_;
};

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_SERVING_LOADED_VERSION_H_
