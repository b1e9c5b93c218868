// The "quantize" job kind: a float model version from the store plus a
// stored calibration dataset in, a new immutable int8 version of the same
// model out (written through ArtifactStore, so it appears only complete).
// Params and result travel as JSON (the scheduler persists them). A job
// re-run after a crash first looks for a version it already committed, so
// an interruption between commit and "succeeded" never duplicates it.
// Thread-safe: the handler may run on several workers at once.
#ifndef FIXPOINT_CORE_JOBS_QUANTIZE_JOB_H_
#define FIXPOINT_CORE_JOBS_QUANTIZE_JOB_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/jobs/scheduler.h"
#include "core/quant/artifact.h"
#include "core/store/artifact_store.h"

namespace fixpoint::jobs {

inline constexpr char kQuantizeJobKind[] = "quantize";

struct QuantizeJobParams {
  std::string model;
  int64_t version = 0;  // 0: latest float version
  std::string calib_dataset;  // store::ArtifactStore::GetDataset id
  int64_t calib_images = 1000;
  std::string method = "minmax";
  std::string eval_dataset;  // optional, labelled
  int64_t eval_images = 0;   // 0: all
  bool symmetric_activations = false;
  bool per_tensor_weights = false;
  double percentile = 99.99;
  std::vector<std::string> exclude_nodes;
  std::vector<std::string> exclude_op_types;
  double max_drop_pp = -1;  // >= 0: accuracy-aware mode
  double time_budget_s = 300;
  std::string label;  // set on the new version when non-empty
  int64_t layer_report_images = 500;
  int threads = 0;    // per calibration run; 0 = all
};

struct QuantizeJobResult {
  std::string model;
  int64_t version = 0;         // the new int8 version
  int64_t parent_version = 0;  // the float version it came from
};

std::string QuantizeJobParamsToJson(const QuantizeJobParams& p);
// INVALID_ARGUMENT naming the bad key.
absl::StatusOr<QuantizeJobParams> ParseQuantizeJobParams(const std::string& json);
std::string QuantizeJobResultToJson(const QuantizeJobResult& r);
absl::StatusOr<QuantizeJobResult> ParseQuantizeJobResult(const std::string& json);

// Checks what can be checked before queueing (model, version, datasets,
// method, options), so that Quantize fails at once with NOT_FOUND /
// INVALID_ARGUMENT instead of a failed job later. Returns `p` with the
// version resolved.
absl::StatusOr<QuantizeJobParams> ValidateQuantizeJob(const store::ArtifactStore& store,
                                                      QuantizeJobParams p);

// Called after the new version is committed (for metrics and the model
// manager). May be empty.
using VersionCommitted =
    std::function<void(const store::VersionInfo& version, const quant::Manifest& manifest)>;

// The handler to register under kQuantizeJobKind. `store` must outlive it.
JobHandler MakeQuantizeJobHandler(store::ArtifactStore* store, VersionCommitted on_committed);

}  // namespace fixpoint::jobs

#endif  // FIXPOINT_CORE_JOBS_QUANTIZE_JOB_H_
