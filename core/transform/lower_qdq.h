// Lowers ONNX QDQ patterns to integer ops (docs/IR_OPS.md) so that quantized
// models run int8 kernels instead of fp32 between DequantizeLinear and
// QuantizeLinear:
//   DQ(x_q) -> Conv(DQ(w_q), [DQ(b_q) | float b]) [fused act] -> Q(y)
//     => QLinearConv(x_q, .., w_q, .., y_scale, y_zp, b_q) writing Q's output
//   DQ(a_q) -> Gemm(transA=0, alpha=1, beta=1, DQ(w_q), bias) [-> Q]
//     => QGemm (f32 output when no single Q reads the Gemm)
//   DQ(x_q, s, z) -> MaxPool | Flatten | Reshape | Squeeze | Unsqueeze ->
//   Q(s, z) (same parameters) => the op on x_q directly.
//   DQ(a_q) + DQ(b_q) [fused act] -> Q  (equal shapes) => QLinearAdd
//   QLinearConv (f32 out, [fused act]) -> BatchNormalization -> Q
//     => QLinearConv with w_scale * a and post_shift b (a > 0 with an act)
// Preconditions for a match: per-tensor activation scales and zero points
// and weight parameters are initializers; weight zero points are 0 (oneDNN's
// int8 kernels need symmetric weights); a DQ'd bias has scale x_s * w_s
// (within 1e-6 relative); the fused activation, if any, is Relu, LeakyRelu
// or Clip. Anything else is left as is (it runs in fp32 between DQ and Q).
// DequantizeLinear nodes and initializers left without readers are removed.
// Thread-compatible.
#ifndef FIXPOINT_CORE_TRANSFORM_LOWER_QDQ_H_
#define FIXPOINT_CORE_TRANSFORM_LOWER_QDQ_H_

#include "absl/status/status.h"
#include "core/ir/graph.h"

namespace fixpoint::transform {

struct LowerQdqStats {
  int convs = 0;
  int gemms = 0;
  int pass_through = 0;
  int batchnorms = 0;  // BN between a QLinearConv and a Q folded into it
  int adds = 0;
};

// Rewrites in place; outputs equal the QDQ graph's up to int8 rounding of
// the (already quantized) computation. `stats` gets the counts if set.
absl::Status LowerQdqToIntegerOps(ir::Graph& graph, LowerQdqStats* stats = nullptr);

}  // namespace fixpoint::transform

#endif  // FIXPOINT_CORE_TRANSFORM_LOWER_QDQ_H_
