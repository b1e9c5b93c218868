// A quantized artifact on disk: a directory holding `model.onnx` (the
// standard ONNX QDQ model) and `manifest.json` (how it was made: source,
// method, scheme, calibration dataset sha256 and size, library versions,
// the per-tensor scale / zero point / fix_pos table, and the accuracy report
// when one was measured). Written once, atomically: the directory appears
// complete or not at all, and an existing one is never overwritten
// (artifacts are immutable). Thread-compatible.
#ifndef FIXPOINT_CORE_QUANT_ARTIFACT_H_
#define FIXPOINT_CORE_QUANT_ARTIFACT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/quant/layer_report.h"
#include "core/quant/quantizer.h"

namespace fixpoint::quant {

inline constexpr char kArtifactModelFile[] = "model.onnx";
inline constexpr char kArtifactManifestFile[] = "manifest.json";

// Float vs int8 on a labelled evaluation set.
struct AccuracyReport {
  std::string dataset;
  std::string dataset_sha256;
  int64_t images = 0;
  double fp32_top1 = 0;
  double int8_top1 = 0;
  double top1_agreement = 0;
  double top1_drop_pp() const { return 100 * (fp32_top1 - int8_top1); }
};

struct Manifest {
  std::string source_model;
  std::string source_sha256;
  std::string parent_version;  // empty outside the store
  std::string method;
  std::string scheme;  // e.g. "u8-asym-act/s8-per-channel-weights", "pof2"
  std::string calib_dataset;
  std::string calib_sha256;
  int64_t calib_images = 0;
  double calib_seconds = 0;
  std::string fixpoint_version;
  std::string onednn_version;
  std::string created_utc;  // ISO 8601
  std::vector<QuantizedTensorInfo> tensors;
  // Empirical bias correction: the mode asked for ("off", "on", "auto") and
  // what it did (manifests without the key read as "off").
  std::string bias_correction_mode = "off";
  BiasCorrectionReport bias_correction;
  std::optional<AccuracyReport> accuracy;
  // Nodes the accuracy-aware mode kept in fp32, and whether its goal held.
  std::vector<std::string> float_nodes;
  std::optional<double> max_drop_pp;  // the goal, when the mode ran
  bool goal_met = false;
  // Per-layer error, worst first (empty when not measured).
  std::vector<LayerError> layers;
};

// The scheme string of `options` as written to manifests.
std::string SchemeName(const QuantizeOptions& options);

// manifest.json text (stable key order) and back. ParseManifest returns
// INVALID_ARGUMENT saying which key is missing or malformed.
std::string ManifestToJson(const Manifest& manifest);
absl::StatusOr<Manifest> ParseManifest(const std::string& json);

// Writes `graph` (exported as ONNX, opset 13) and `manifest` into `dir`,
// via a sibling temporary directory renamed into place. ALREADY_EXISTS if
// `dir` exists; the error of the failing step otherwise (nothing is left
// behind).
absl::Status WriteArtifact(const std::string& dir, const ir::Graph& graph,
                           const Manifest& manifest);

// Reads `dir`/manifest.json.
absl::StatusOr<Manifest> ReadManifest(const std::string& dir);

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_ARTIFACT_H_
