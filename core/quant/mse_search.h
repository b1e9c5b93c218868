// The "mse" clipping search over a Histogram: which threshold t minimises
// the expected quantize-dequantize squared error. Two implementations of
// one contract, like a reference kernel and a fast one:
//  - MseRangeExhaustive: every candidate, each integrated bin by bin
//    (O(bins^2)); the reference the tests hold the fast search to;
//  - MseRange: the same candidates and error model, found by branch and
//    bound with O(levels) prefix-moment evaluations (see mse_search.cc).
// Pure functions; thread-safe.
#ifndef FIXPOINT_CORE_QUANT_MSE_SEARCH_H_
#define FIXPOINT_CORE_QUANT_MSE_SEARCH_H_

#include "absl/status/statusor.h"
#include "core/quant/calibrator.h"
#include "core/quant/histogram.h"

namespace fixpoint::quant {

// Candidates t = k * w (k = 1 ... the bin holding max|x|, the last one
// clamped to max|x|):
//   symmetric:  range [-t, t], s8 parameters from ScaleZeroPoint;
//   asymmetric: range [-t, t] ∩ [min(min, 0), max(max, 0)], u8 parameters.
// The error of a candidate is the exact QuantizeLinear/DequantizeLinear map
// of the float scale and zero point that would be deployed (saturation
// included) integrated over the histogram, values uniform within a bin (the
// bins holding min and max trimmed to [min, max]; a bin trimmed to a point
// is a point mass). The first candidate with the smallest error wins.
// `histogram` must be non-empty with a non-zero range.
absl::StatusOr<TensorRange> MseRangeExhaustive(const Histogram& histogram, bool symmetric);

// Same contract. Differs from MseRangeExhaustive only where two candidates'
// errors agree to about 1e-9 relative (rounding decides such ties).
absl::StatusOr<TensorRange> MseRange(const Histogram& histogram, bool symmetric);

// The error model above for one range, computed the exhaustive way (for
// tests comparing the two searches).
absl::StatusOr<double> MseOfRange(const Histogram& histogram, const TensorRange& range,
                                  bool symmetric);

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_MSE_SEARCH_H_
