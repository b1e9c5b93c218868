// Shared parameter handling of the oneDNN int8 kernels (QLinearConv, QGemm).
#include "core/runtime/cpu/onednn/onednn_qparams.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::onednn {

const ir::Tensor* Constant(const KernelContext& ctx, int i) {
  return i < static_cast<int>(ctx.constants.size()) ? ctx.constants[i] : nullptr;
}

int32_t IntAt(const ir::Tensor& t, int64_t i) {
  if (t.dtype() == ir::DType::kU8) return t.data<uint8_t>()[i];
  if (t.dtype() == ir::DType::kI8) return t.data<int8_t>()[i];
  return t.data<int32_t>()[i];
}

absl::StatusOr<QParams> ReadQParams(const KernelContext& ctx, const QInputs& in, int64_t m) {
  for (int i : {in.x_scale, in.x_zp, in.w, in.w_scale, in.w_zp}) {
    if (Constant(ctx, i) == nullptr) return Unsupported(ctx.node, "non-constant parameters");
  }
  QParams p;
  p.int_out = ctx.node.HasInput(in.y_scale);
  if (p.int_out && (Constant(ctx, in.y_scale) == nullptr || Constant(ctx, in.y_zp) == nullptr)) {
    return Unsupported(ctx.node, "non-constant output parameters");
  }
  if (ctx.node.HasInput(in.bias) && Constant(ctx, in.bias) == nullptr) {
    return Unsupported(ctx.node, "non-constant bias");
  }
  const ir::Tensor& ws = *Constant(ctx, in.w_scale);
  const ir::Tensor& wzp = *Constant(ctx, in.w_zp);
  for (int64_t i = 0; i < wzp.NumElements(); ++i) {
    if (IntAt(wzp, i) != 0) return Unsupported(ctx.node, "asymmetric weights");
  }
  const float xs = Constant(ctx, in.x_scale)->data<float>()[0];
  const float ys = p.int_out ? Constant(ctx, in.y_scale)->data<float>()[0] : 1.0f;
  for (int64_t c = 0; c < m; ++c) {
    const float w = ws.data<float>()[ws.NumElements() == 1 ? 0 : c];
    p.oscale.push_back(p.int_out ? xs * w / ys : xs * w);
  }
  p.x_zp = IntAt(*Constant(ctx, in.x_zp), 0);
  if (p.int_out) p.y_zp = IntAt(*Constant(ctx, in.y_zp), 0);
  p.y_scale = ys;
  if (in.post_shift >= 0 && ctx.node.HasInput(in.post_shift)) {
    const ir::Tensor* shift = Constant(ctx, in.post_shift);
    if (shift == nullptr || shift->NumElements() != m) {
      return Unsupported(ctx.node, "post_shift must be a constant with one value per channel");
    }
    for (int64_t c = 0; c < m; ++c) p.shift.push_back(shift->data<float>()[c] / ys);
  }
  return p;
}

// Without VNNI, u8 x s8 pairs are summed in a saturating 16-bit step: only
// u8 sources with 7-bit weights are exact there (see the research notes on
// AVX2; s8 sources differ even with 7-bit weights, measured in
// OneDnnQConvTest under ONEDNN_MAX_CPU_ISA=AVX2).
absl::Status CheckNoSaturation(const KernelContext& ctx, const QInputs& in) {
  if (HasInt8DotProduct()) return absl::OkStatus();
  if (ctx.input_infos[in.x].dtype != ir::DType::kU8) {
    return Unsupported(ctx.node, "s8 sources are not exact on a CPU without VNNI");
  }
  const ir::Tensor& w = *Constant(ctx, in.w);
  for (int64_t i = 0; i < w.NumElements(); ++i) {
    const int v = w.data<int8_t>()[i];
    if (v < -64 || v > 63) {
      return Unsupported(ctx.node,
                         "8-bit weights would saturate oneDNN's 16-bit step on a CPU without "
                         "VNNI; quantize with reduced-range (7-bit) weights");
    }
  }
  return absl::OkStatus();
}

namespace {

absl::Status AppendQActivation(const ir::Node& node, float y_scale, dnnl::post_ops& ops) {
  FP_ASSIGN_OR_RETURN(std::string act, node.GetString("fused_activation", ""));
  FP_ASSIGN_OR_RETURN(float alpha, node.GetFloat("fused_alpha", 0.0f));
  FP_ASSIGN_OR_RETURN(float beta, node.GetFloat("fused_beta", 0.0f));
  if (act.empty()) return absl::OkStatus();
  if (act == "Relu") {
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
  } else if (act == "LeakyRelu") {
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, alpha, 0.0f);
  } else if (act == "Clip") {
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, alpha / y_scale, beta / y_scale);
  } else {
    return Unsupported(node, absl::StrCat("fused ", act, " on an integer op"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<dnnl::primitive_attr> QuantAttr(const ir::Node& node, const QParams& q,
                                               int channel_dim, const Dims& shift_dims,
                                               int* shift_arg) {
  dnnl::primitive_attr attr = UserScratchpadAttr();
  attr.set_output_scales(q.oscale.size() > 1 ? 1 << channel_dim : 0, q.oscale);
  if (q.x_zp != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {q.x_zp});
  if (q.y_zp != 0) attr.set_zero_points(DNNL_ARG_DST, 0, {q.y_zp});
  dnnl::post_ops ops;
  FP_RETURN_IF_ERROR(AppendQActivation(node, q.y_scale, ops));
  if (!q.shift.empty()) {
    if (shift_arg == nullptr) return Unsupported(node, "post_shift");
    *shift_arg = DNNL_ARG_ATTR_MULTIPLE_POST_OP(ops.len()) | DNNL_ARG_SRC_1;
    ops.append_binary(dnnl::algorithm::binary_add,
                      Desc(shift_dims, dnnl::memory::data_type::f32, dnnl::memory::format_tag::abcd));
  }
  attr.set_post_ops(ops);
  return attr;
}

}  // namespace fixpoint::runtime::onednn
