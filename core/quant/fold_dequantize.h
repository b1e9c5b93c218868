// Folds DequantizeLinear nodes of constants (int8 weights, int32 biases) into
// f32 initializers. The result computes the same values (the arithmetic of
// the reference DequantizeLinear, f32(q - zero_point) * scale), but its
// Conv/Gemm weights are constants again, so the runtime binds its fast fp32
// kernels instead of the reference ones for non-constant weights: the QDQ
// simulation of a whole calibration set runs several times faster.
// Thread-compatible (mutates the graph passed in).
#ifndef FIXPOINT_CORE_QUANT_FOLD_DEQUANTIZE_H_
#define FIXPOINT_CORE_QUANT_FOLD_DEQUANTIZE_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/ir/graph.h"
#include "core/ir/tensor.h"

namespace fixpoint::quant {

// Replaces every DequantizeLinear whose inputs are all initializers (i8, u8
// or i32 values; a scalar or 1-D f32 scale along `axis`, default 1) and whose
// output is not a graph output by an f32 initializer of that output's name.
// Initializers nothing reads any more are dropped. INVALID_ARGUMENT for a
// malformed constant DequantizeLinear (the graph is then unchanged).
absl::Status FoldConstantDequantize(ir::Graph& graph);

// The f32 values FoldConstantDequantize would put in place of `node`, a
// DequantizeLinear of `graph` whose inputs are all initializers;
// INVALID_ARGUMENT otherwise or for malformed operands.
absl::StatusOr<ir::Tensor> DequantizeConstant(const ir::Graph& graph, const ir::Node& node);

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_FOLD_DEQUANTIZE_H_
