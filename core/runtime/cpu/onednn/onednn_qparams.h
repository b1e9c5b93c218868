// Shared parameter handling of the oneDNN int8 kernels (QLinearConv, QGemm):
// constant scales and zero points turned into oneDNN output scales, zero
// point attributes and activation post-ops, and the no-VNNI exactness rule.
// oneDNN computes v = oscale[c] * (acc_s32 + bias_s32[c]), then the post-ops
// (in output units), then + dst zero point, rounding to nearest even with
// saturation: the reference kernels' order (ref_qlinear.cc).
#ifndef FIXPOINT_CORE_RUNTIME_CPU_ONEDNN_ONEDNN_QPARAMS_H_
#define FIXPOINT_CORE_RUNTIME_CPU_ONEDNN_ONEDNN_QPARAMS_H_

#include <cstdint>
#include <vector>

#include "core/runtime/cpu/onednn/onednn_kernels.h"
#include "core/runtime/cpu/onednn/onednn_util.h"

namespace fixpoint::runtime::onednn {

// Input positions of an integer op's operands (-1: the op has none).
struct QInputs {
  int x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, bias;
  int post_shift = -1;  // QLinearConv's per-channel shift after the activation
};

struct QParams {
  std::vector<float> oscale;  // per output channel (or one)
  int32_t x_zp = 0, y_zp = 0;
  bool int_out = false;  // y_scale present
  float y_scale = 1.0f;
  std::vector<float> shift;  // post_shift / y_scale per channel, or empty
};

// ctx.constants[i] if present, else nullptr.
const ir::Tensor* Constant(const KernelContext& ctx, int i);
// Element i of an i8/u8/i32 tensor.
int32_t IntAt(const ir::Tensor& t, int64_t i);
// UNIMPLEMENTED unless every parameter is constant and weights symmetric.
absl::StatusOr<QParams> ReadQParams(const KernelContext& ctx, const QInputs& in,
                                    int64_t channels);
// UNIMPLEMENTED where oneDNN would not be exact: without VNNI, s8 sources or
// weights outside [-64, 63] (a saturating 16-bit step; see the research
// notes and OneDnnQConvTest under ONEDNN_MAX_CPU_ISA=AVX2).
absl::Status CheckNoSaturation(const KernelContext& ctx, const QInputs& in);
// Output scales (per channel along `channel_dim` of dst), zero points and
// the fused activation (Relu, LeakyRelu, Clip) as post-ops, then q.shift as
// a binary-add post-op over `shift_dims` (one value per channel). When a
// shift is present `*shift_arg` gets the execution argument to bind it to.
absl::StatusOr<dnnl::primitive_attr> QuantAttr(const ir::Node& node, const QParams& q,
                                               int channel_dim, const Dims& shift_dims = {},
                                               int* shift_arg = nullptr);

}  // namespace fixpoint::runtime::onednn

#endif  // FIXPOINT_CORE_RUNTIME_CPU_ONEDNN_ONEDNN_QPARAMS_H_
