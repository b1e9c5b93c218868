// Rewrites a prepared float graph into ONNX Runtime's QDQ form, given the
// activation plan and the parameters chosen for each quantized tensor:
//   activation T:  T -> QuantizeLinear `T/QuantizeLinear` -> T_quantized
//                    -> DequantizeLinear `T/DequantizeLinear` -> T_dequantized,
//                  read by every active consumer (others keep reading T);
//   weight W:      initializer W_quantized (i8) + W_scale + W_zero_point ->
//                  DequantizeLinear `W/DequantizeLinear` (axis) -> W_dequantized;
//   bias B:        B_quantized (i32) at scale s_in * s_w, zero point 0 ->
//                  DequantizeLinear (axis 0) -> B_dequantized.
// Names get a numeric suffix only when taken. Pure; thread-safe.
#ifndef FIXPOINT_CORE_QUANT_QDQ_INSERT_H_
#define FIXPOINT_CORE_QUANT_QDQ_INSERT_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "core/ir/graph.h"
#include "core/quant/calibrator.h"
#include "core/quant/quant_params.h"
#include "core/quant/quant_plan.h"
#include "core/quant/weight_quant.h"

namespace fixpoint::quant {

// How activations are quantized.
enum class ActivationScheme {
  kAsymmetricU8,  // ScaleZeroPoint asymmetric; u8 zero point (ORT's QUInt8)
  kSymmetricS8,   // ScaleZeroPoint symmetric; i8 zero point 0
  kPof2,          // 2^-fix_pos from a pof2 calibrator; i8 zero point 0
};

// One quantized activation: a row of the manifest's tensor table.
struct ActivationQuant {
  std::string name;
  QuantParams params;
  ir::DType zero_point_dtype = ir::DType::kU8;
  std::optional<int> fix_pos;  // kPof2
  float min = 0.0f;            // calibrated range (the root's when shared)
  float max = 0.0f;
  std::string params_from;  // the tensor whose parameters this one shares, or ""
};

// Parameters for every quantized tensor of `plan` from the calibrated ranges
// of plan.calibrated. INVALID_ARGUMENT if a range is missing or invalid, or if
// kPof2 is asked for ranges without fix_pos (a non-pof2 method).
absl::StatusOr<std::map<std::string, ActivationQuant>> ChooseActivationParams(
    const ActivationPlan& plan, const std::map<std::string, TensorRange>& ranges,
    ActivationScheme scheme);

struct QdqOptions {
  // Weights of active Conv (axis 0), Gemm (axis 0 with transB=1, else 1) and
  // MatMul with a constant B (its last axis).
  WeightScheme weights = WeightScheme::kSymmetricPerChannel;
  // Biases of Conv/Gemm as int32 (when the node's input 0 and weight are
  // quantized; a Gemm only with alpha = beta = 1 and a 1-D C).
  bool quantize_bias = true;
  // Optional: quantized weights reused across calls (see WeightQuantCache).
  WeightQuantCache* weight_cache = nullptr;
};

// Quantizes into options.weight_cache (required) the weights InsertQdq with
// these options will quantize, the active nodes' constant f32 weights. Needs
// no activation parameters, so it can run while the model is calibrated;
// InsertQdq then finds them in the cache. Errors as InsertQdq's for a weight
// that cannot be quantized. The cache must not be used elsewhere meanwhile.
absl::Status QuantizeWeightsInto(const ir::Graph& prepared, const ActivationPlan& plan,
                                 const QdqOptions& options);

// The QDQ graph: `prepared` (value_info inferred) with Q/DQ inserted for
// every tensor of `plan` (parameters from `activations`) and for the weights
// of its active nodes; original weights nothing reads any more are dropped.
// Shapes are re-inferred and the result verified. INVALID_ARGUMENT if a
// planned tensor has no parameters or a weight cannot be quantized (naming
// the node).
absl::StatusOr<ir::Graph> InsertQdq(const ir::Graph& prepared, const ActivationPlan& plan,
                                    const std::map<std::string, ActivationQuant>& activations,
                                    const QdqOptions& options);

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_QDQ_INSERT_H_
