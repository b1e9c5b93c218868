// Quantization of constant operands: weights to int8 (symmetric per channel,
// per tensor, or power-of-two as the DPU wants) and biases to int32 at the
// scale input_scale * weight_scale (ONNX Runtime's QDQ conventions).
// Pure functions; thread-safe.
#ifndef FIXPOINT_CORE_QUANT_WEIGHT_QUANT_H_
#define FIXPOINT_CORE_QUANT_WEIGHT_QUANT_H_

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/ir/tensor.h"

namespace fixpoint::quant {

enum class WeightScheme {
  // scale[c] = max|w_c| / 127 (ScaleZeroPoint symmetric), zero point 0.
  kSymmetricPerChannel,
  kSymmetricPerTensor,
  // One power-of-two scale 2^-fix_pos: NonOverflowFixPos of [min, max] ...
  kPof2NonOverflow,
  // ... or MinDiffsFixPos from there, by the exact squared error.
  kPof2MinDiffs,
};

struct QuantizedWeight {
  ir::Tensor values;           // i8, the weight's shape
  std::vector<float> scales;   // one per channel along `axis`, or one
  int axis = 0;                // meaningful when scales.size() > 1
  std::optional<int> fix_pos;  // power-of-two schemes
};

// Quantizes f32 `weight` with round-half-even QuantizeLinear semantics.
// `axis` is the output-channel axis (used by kSymmetricPerChannel only; a
// rank-0 weight is quantized per tensor). An all-zero channel gets scale 1.
// INVALID_ARGUMENT if the weight is not f32, axis is out of range, or a value
// is not finite.
absl::StatusOr<QuantizedWeight> QuantizeWeight(const ir::Tensor& weight, int axis,
                                               WeightScheme scheme);

// Quantized weights kept across quantizations of the same float values
// (the quantizer rewrites a model twice when it corrects biases, and
// quantizes the weights ahead, while it calibrates): a hit needs the same
// name, axis, scheme, dtype and shape, and the same 64-bit hash of the
// values (absl::Hash, 64 bits, not cryptographic), so a changed weight is
// quantized again unless the hashes of two different weights of one name
// and shape collide, which no exact check catches. The
// values are not copied: that copy was 3 of seed_cnn's 7 ms to quantize its
// FC weight on a fresh thread. Thread-compatible.
class WeightQuantCache {
 public:
  // QuantizeWeight(weight, axis, scheme), or the cached result for `name`
  // when that was computed from the same values. The result stays valid
  // until the next call for `name` or the cache's end.
  absl::StatusOr<const QuantizedWeight*> Quantize(const std::string& name,
                                                  const ir::Tensor& weight, int axis,
                                                  WeightScheme scheme);

 private:
  struct Entry {
    ir::DType dtype = ir::DType::kF32;
    ir::Shape shape;
    size_t hash = 0;  // of the values' bytes
    int axis = 0;
    WeightScheme scheme = WeightScheme::kSymmetricPerChannel;
    QuantizedWeight quantized;
  };
  std::map<std::string, Entry> entries_;
};

struct QuantizedBias {
  ir::Tensor values;          // i32, the bias's shape
  std::vector<float> scales;  // scale[c] = float(input_scale * weight_scale[c])
};

// b_q[c] = saturate_int32(round_half_even(b[c] / scale[c])), the scale a
// float product as ONNX Runtime computes it. `weight_scales` has one entry or
// one per bias element. INVALID_ARGUMENT if the bias is not a 1-D f32 tensor,
// the sizes disagree or a value is not finite.
absl::StatusOr<QuantizedBias> QuantizeBias(const ir::Tensor& bias, float input_scale,
                                           std::span<const float> weight_scales);

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_WEIGHT_QUANT_H_
