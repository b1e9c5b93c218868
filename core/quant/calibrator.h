// Calibration methods of the quantizer behind one interface. A Calibrator
// watches the float values of one tensor, batch by batch, and then proposes
// the range to quantize that tensor with. Every method streams: it keeps a
// bounded summary (min/max, or a fixed-size histogram), never the values.
// Calibrators are thread-compatible: use one per tensor per thread, or guard
// it; const methods may run concurrently. Summaries of disjoint batches
// merge (Merge), so that several threads can calibrate one tensor.
#ifndef FIXPOINT_CORE_QUANT_CALIBRATOR_H_
#define FIXPOINT_CORE_QUANT_CALIBRATOR_H_

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fixpoint::quant {

// The calibrated range of one tensor. Symmetric methods return [-a, a];
// asymmetric ones [lo, hi], which need not include 0 (minmax and percentile
// stay within the observed [min, max]; entropy and mse return a window
// already widened to 0); ScaleZeroPoint widens it. Power-of-two methods also
// set fix_pos (real = q * 2^-fix_pos) and return [-127, 127] * 2^-fix_pos,
// so that the symmetric ScaleZeroPoint of the range is exactly 2^-fix_pos.
struct TensorRange {
  float min = 0.0f;
  float max = 0.0f;
  std::optional<int> fix_pos;

  friend bool operator==(const TensorRange&, const TensorRange&) = default;
};

struct CalibratorOptions {
  // minmax, moving-average-minmax, percentile, entropy, mse: return a range
  // symmetric around 0 (for s8 activations, e.g. TensorRT or the DPU).
  // Power-of-two methods are always symmetric and ignore it.
  bool symmetric = false;
  // percentile: fraction of values to keep, in (0, 100]. Symmetric: of |x|;
  // asymmetric: (100 - percentile) / 2 percent is cut from each tail.
  double percentile = 99.99;
  // percentile, entropy, mse: at least this many histogram bins cover
  // [0, max|x|] (see histogram.h: 2 * num_bins per side over a power-of-two
  // range, so between num_bins and 2 * num_bins). Even, in [256, 8192];
  // entropy and mse cost O(num_bins^2) once, in Range().
  int num_bins = 2048;
  // moving-average-minmax: min += c * (batch_min - min), c in (0, 1].
  double averaging_constant = 0.01;

  friend bool operator==(const CalibratorOptions&, const CalibratorOptions&) = default;
};

// Observes one tensor's values and proposes its quantization range.
class Calibrator {
 public:
  virtual ~Calibrator() = default;

  // Folds one batch of the tensor's values (any shape, flattened) into the
  // summary. An empty batch is a no-op. INVALID_ARGUMENT naming the method
  // and the offending index if a value is NaN or infinite; the summary is
  // then left unchanged.
  virtual absl::Status Observe(std::span<const float> values) = 0;

  // The range for everything observed so far; may be called repeatedly.
  // FAILED_PRECONDITION if nothing was observed.
  virtual absl::StatusOr<TensorRange> Range() const = 0;

  // Folds in everything `other` observed, for data-parallel calibration:
  // `other` is a calibrator of the same method and options that saw a
  // disjoint set of batches. Afterwards Range() is what one calibrator that
  // saw both sets would return (histogram counts and extremes exactly; sums
  // that pof2-mindiffs keeps up to the order of double additions, so merge
  // in a fixed order to reproduce results). `other` may have seen nothing.
  // INVALID_ARGUMENT if `other` is another method or has other options;
  // UNIMPLEMENTED where the range depends on the order of the batches
  // (DependsOnBatches: moving-average-minmax). On error, unchanged.
  virtual absl::Status Merge(const Calibrator& other) = 0;

  // The registry name, e.g. "entropy".
  virtual std::string Method() const = 0;

  // True if the range depends on how the values were split into batches
  // (moving-average-minmax averages per batch), so that callers must keep
  // the batch size they were asked for.
  virtual bool DependsOnBatches() const { return false; }
};

// A new calibrator for `method` (one of CalibrationMethods()).
// INVALID_ARGUMENT for an unknown method (the message lists the known ones)
// or options out of range for that method.
absl::StatusOr<std::unique_ptr<Calibrator>> CreateCalibrator(absl::string_view method,
                                                             const CalibratorOptions& options);

// Registered method names, in registry order: "minmax",
// "moving-average-minmax", "percentile", "entropy", "mse",
// "pof2-nonoverflow", "pof2-mindiffs".
std::vector<std::string> CalibrationMethods();

// OK if every value is finite, else INVALID_ARGUMENT
// "<method> calibration: value <v> at index <i> of the batch is not finite".
// For calibrator implementations.
absl::Status CheckFinite(absl::string_view method, std::span<const float> values);

// INVALID_ARGUMENT "<method> calibration: cannot merge a <other's method>
// calibrator with other options" (Merge's error). For implementations.
absl::Status MergeMismatchError(absl::string_view method, const Calibrator& other);

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_CALIBRATOR_H_
