// How far a quantized graph's outputs are from its float graph's, as one
// number: the SQNR of all f32 outputs together, 10·log10(Σ f² / Σ (q − f)²)
// in dB. Bias correction uses it on the calibration images to decide whether
// the correction helps a given model. Thread-compatible.
#ifndef FIXPOINT_CORE_QUANT_OUTPUT_ERROR_H_
#define FIXPOINT_CORE_QUANT_OUTPUT_ERROR_H_

#include <span>

#include "absl/status/statusor.h"
#include "core/ir/graph.h"

namespace fixpoint::quant {

// Σ f² and Σ (q − f)² accumulated over the f32 tensors of pairs of output
// lists (f: the float graph's, q: a quantized graph's, same order).
class OutputSqnr {
 public:
  // INVALID_ARGUMENT if the lists differ in length, or an f32 reference
  // output and its counterpart differ in type or element count.
  absl::Status Add(std::span<const ir::Tensor> reference, std::span<const ir::Tensor> quantized);
  // 10·log10(Σ f² / Σ (q − f)²) in dB; +inf while the noise is 0.
  double Db() const;

 private:
  double signal_ = 0;
  double noise_ = 0;
};

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_OUTPUT_ERROR_H_
