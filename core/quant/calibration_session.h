// What the quantization job drives: one calibration method applied to many
// tensors, `Observe(tensor_name, batch)` as batches flow through the float
// model, then `Ranges()`. Holds one Calibrator per tensor name (created on
// first sight), so memory is bounded per tensor, not per batch.
// Thread-compatible: to feed tensors from several threads, guard the session,
// or give each thread its own session and tensors, or its own session and
// batches, merged afterwards (Merge).
#ifndef FIXPOINT_CORE_QUANT_CALIBRATION_SESSION_H_
#define FIXPOINT_CORE_QUANT_CALIBRATION_SESSION_H_

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/quant/calibrator.h"

namespace fixpoint::quant {

class CalibrationSession {
 public:
  // INVALID_ARGUMENT for an unknown method or bad options (checked here, so
  // that a job fails before it runs the model).
  static absl::StatusOr<std::unique_ptr<CalibrationSession>> Create(
      absl::string_view method, const CalibratorOptions& options);

  // Feeds one batch of `tensor`'s values to its calibrator. Errors carry the
  // tensor name: "tensor 'conv1': entropy calibration: value nan at ...".
  absl::Status Observe(absl::string_view tensor, std::span<const float> values);

  // Folds in `other`, a session of the same method and options that saw a
  // disjoint set of batches: per tensor, Calibrator::Merge (a tensor only
  // `other` saw is taken over). Merging sessions in a fixed order makes the
  // ranges reproducible (see Calibrator::Merge). INVALID_ARGUMENT for
  // another method or options; UNIMPLEMENTED if depends_on_batches(). On
  // error this session may hold some of `other`'s tensors merged.
  absl::Status Merge(CalibrationSession&& other);

  // The range of every observed tensor, by name, computed on up to one
  // thread per core. FAILED_PRECONDITION naming the tensor if one has seen
  // only empty batches, or if no tensor was observed at all.
  absl::StatusOr<std::map<std::string, TensorRange>> Ranges() const;

  const std::string& method() const { return method_; }
  // Calibrator::DependsOnBatches of the method.
  bool depends_on_batches() const { return depends_on_batches_; }

 private:
  CalibrationSession(std::string method, const CalibratorOptions& options,
                     bool depends_on_batches)
      : method_(std::move(method)), options_(options), depends_on_batches_(depends_on_batches) {}

  const std::string method_;
  const CalibratorOptions options_;
  const bool depends_on_batches_;
  // std::map: deterministic order for artifacts and reports.
  std::map<std::string, std::unique_ptr<Calibrator>, std::less<>> calibrators_;
};

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_CALIBRATION_SESSION_H_
