// Quantization arithmetic shared by calibration, scale planning and the
// kernels' reference checks: scale/zero-point from a calibrated range (ONNX
// Runtime conventions), QuantizeLinear/DequantizeLinear on one value (ONNX
// semantics, round half to even), and the Vitis AI / DPU power-of-two
// position ("fix_pos") rules. Pure functions; thread-safe.
#ifndef FIXPOINT_CORE_QUANT_QUANT_PARAMS_H_
#define FIXPOINT_CORE_QUANT_QUANT_PARAMS_H_

#include <cstdint>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"

namespace fixpoint::quant {

// Per-tensor affine parameters: real = (q - zero_point) * scale, with q
// saturated to [qmin, qmax].
struct QuantParams {
  float scale = 1.0f;
  int32_t zero_point = 0;
  int32_t qmin = -128;
  int32_t qmax = 127;

  friend bool operator==(const QuantParams&, const QuantParams&) = default;
};

// Parameters for a calibrated range [min, max], as ONNX Runtime's
// compute_scale_zp does it:
//  - the range is first widened to include 0 (min <= 0 <= max);
//  - symmetric (s8): absmax = max(|min|, |max|), scale = absmax / 127,
//    zero_point = 0, saturation [-128, 127] (QuantizeLinear's int8 range; the
//    scale uses 127 so that +-absmax map to +-127);
//  - asymmetric (u8): scale = (max - min) / 255,
//    zero_point = round_half_even(-min / scale), saturation [0, 255];
//  - a scale below FLT_MIN (e.g. an all-zero range) becomes scale 1, zp 0.
// The scale is computed in double and rounded to float once.
// INVALID_ARGUMENT if min or max is not finite or min > max.
absl::StatusOr<QuantParams> ScaleZeroPoint(float min, float max, bool symmetric);

// Round half to even (banker's rounding), independent of the FP environment.
double RoundHalfEven(double x);

// ONNX QuantizeLinear on one value: saturate(round_half_even(x / scale) +
// zero_point) to [qmin, qmax]; x / scale is computed in float as ONNX's
// reference does. NaN maps to zero_point (ONNX leaves it undefined).
int32_t QuantizeValue(float x, const QuantParams& params);

// ONNX DequantizeLinear on one value: (q - zero_point) * scale.
float DequantizeValue(int32_t q, const QuantParams& params);

// --- Vitis AI / DPU power-of-two positions -------------------------------
// real = q * 2^-fix_pos, q in [-128, 127]; fix_pos is the number of
// fractional bits and lies in [kMinFixPos, kMaxFixPos].
inline constexpr int kMinFixPos = -128;
inline constexpr int kMaxFixPos = 127;
// Vitis "min-diffs" tries the non-overflow position and the next four finer
// ones (pos_range = 5).
inline constexpr int kMinDiffsCandidates = 5;

// 2^-fix_pos, exact (double, so that every fix_pos in range is finite).
double FixPosToScale(int fix_pos);

// round(-log2(scale)) clamped to [kMinFixPos, kMaxFixPos], as vai_q_onnx
// derives FixNeuron's `pos` from a scale; exact for powers of two.
// INVALID_ARGUMENT unless scale is finite and > 0.
absl::StatusOr<int> ScaleToFixPos(double scale);

// Symmetric int8 parameters for a position: scale 2^-fix_pos, zp 0,
// saturation [-128, 127]. fix_pos must lie in [-127, 127] so that the scale
// is a finite, exact float (2^-127 is subnormal but exact).
QuantParams Pof2Params(int fix_pos);

// Vitis "non-overflow" position for an observed [min, max]: the largest p
// with max * 2^p <= 127.5 and min * 2^p >= -128.5 (the 0.5 guard: nothing
// rounds beyond the int8 grid by more than half a step), clamped to
// [kMinFixPos, kMaxFixPos]; an all-zero range gives kMaxFixPos. Computed
// exactly (no log2 rounding at the boundaries). Inputs must be finite.
int NonOverflowFixPos(float min, float max);

// Vitis "min-diffs": evaluates squared_error(p) for p = start_pos,
// start_pos + 1, ..., start_pos + kMinDiffsCandidates - 1 (stopping at
// kMaxFixPos) and returns the p with the smallest error; ties keep the
// coarser (smaller) p, as Vitis's strict `<` does.
int MinDiffsFixPos(int start_pos, absl::FunctionRef<double(int fix_pos)> squared_error);

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_QUANT_PARAMS_H_
