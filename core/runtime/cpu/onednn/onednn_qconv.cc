// QLinearConv via oneDNN's int8 convolution. oneDNN computes, per output
// channel m: v = oscale[m] * (acc_s32 + bias_s32[m]); post-ops (the fused
// activation, in output units); + dst zero point; round to nearest even and
// saturate — the order of the reference kernel (ref_qlinear.cc), with
// oscale[m] = x_scale * w_scale[m] / y_scale (without y_scale: the f32 output
// x_scale * w_scale[m] * acc). The source zero point is an attribute (oneDNN
// compensates it). Weights are reordered once, at creation.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/runtime/cpu/onednn/onednn_kernels.h"
#include "core/runtime/cpu/onednn/onednn_util.h"
#include "core/runtime/cpu/onednn/onednn_window.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::onednn {
namespace {

enum Input { kX, kXScale, kXZp, kW, kWScale, kWZp, kYScale, kYZp, kBias };

const ir::Tensor* Constant(const KernelContext& ctx, int i) {
  return i < static_cast<int>(ctx.constants.size()) ? ctx.constants[i] : nullptr;
}

int32_t IntAt(const ir::Tensor& t, int64_t i) {
  if (t.dtype() == ir::DType::kU8) return t.data<uint8_t>()[i];
  if (t.dtype() == ir::DType::kI8) return t.data<int8_t>()[i];
  return t.data<int32_t>()[i];
}

// Scales, zero points and post-ops from the constant parameters.
struct QParams {
  std::vector<float> oscale;
  int32_t x_zp = 0, y_zp = 0;
  bool int_out = false;
};

absl::StatusOr<QParams> ReadParams(const KernelContext& ctx, int64_t m) {
  for (int i : {kXScale, kXZp, kW, kWScale, kWZp}) {
    if (Constant(ctx, i) == nullptr) return Unsupported(ctx.node, "non-constant parameters");
  }
  QParams p;
  p.int_out = ctx.node.HasInput(kYScale);
  if (p.int_out && (Constant(ctx, kYScale) == nullptr || Constant(ctx, kYZp) == nullptr)) {
    return Unsupported(ctx.node, "non-constant output parameters");
  }
  if (ctx.node.HasInput(kBias) && Constant(ctx, kBias) == nullptr) {
    return Unsupported(ctx.node, "non-constant bias");
  }
  const ir::Tensor& ws = *Constant(ctx, kWScale);
  const ir::Tensor& wzp = *Constant(ctx, kWZp);
  for (int64_t i = 0; i < wzp.NumElements(); ++i) {
    if (IntAt(wzp, i) != 0) return Unsupported(ctx.node, "asymmetric weights");
  }
  const float xs = Constant(ctx, kXScale)->data<float>()[0];
  const float ys = p.int_out ? Constant(ctx, kYScale)->data<float>()[0] : 1.0f;
  for (int64_t c = 0; c < m; ++c) {
    const float w = ws.data<float>()[ws.NumElements() == 1 ? 0 : c];
    p.oscale.push_back(p.int_out ? xs * w / ys : xs * w);
  }
  p.x_zp = IntAt(*Constant(ctx, kXZp), 0);
  if (p.int_out) p.y_zp = IntAt(*Constant(ctx, kYZp), 0);
  return p;
}

// Without VNNI, u8 x s8 pairs are summed in a saturating 16-bit step: only
// u8 sources with 7-bit weights are exact there (see the research notes on
// AVX2; s8 sources differ even with 7-bit weights, measured in
// OneDnnQConvTest under ONEDNN_MAX_CPU_ISA=AVX2).
absl::Status CheckNoSaturation(const KernelContext& ctx) {
  if (HasInt8DotProduct()) return absl::OkStatus();
  if (ctx.input_infos[kX].dtype != ir::DType::kU8) {
    return Unsupported(ctx.node, "s8 sources are not exact on a CPU without VNNI");
  }
  const ir::Tensor& w = *Constant(ctx, kW);
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

absl::Status AppendActivation(const ir::Node& node, float y_scale, dnnl::post_ops& ops) {
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

KernelOr Build(const KernelContext& ctx) {
  const ir::ValueInfo& x = ctx.input_infos[kX];
  const ir::ValueInfo& y = ctx.output_infos[0];
  if (x.shape.rank() != 4 || !x.shape.IsStatic()) return Unsupported(ctx.node, "only 2-D");
  const auto x_dt = DnnlType(x.dtype), y_dt = DnnlType(y.dtype);
  if (!x_dt || !y_dt || ctx.input_infos[kW].dtype != ir::DType::kI8) {
    return Unsupported(ctx.node, "dtypes");
  }
  const Dims src = ToDims(x.shape), dst = ToDims(y.shape);
  const Dims w_user = ToDims(ctx.input_infos[kW].shape);
  FP_ASSIGN_OR_RETURN(int64_t group, ctx.node.GetInt("group", 1));
  const int64_t m = w_user[0];
  Dims w = w_user;
  if (group > 1) {
    w = {group, m / group};
    w.insert(w.end(), w_user.begin() + 1, w_user.end());
  }
  FP_ASSIGN_OR_RETURN(QParams q, ReadParams(ctx, m));
  FP_RETURN_IF_ERROR(CheckNoSaturation(ctx));
  FP_ASSIGN_OR_RETURN(Window win, ParseWindow(ctx.node, {src[2], src[3]}, {dst[2], dst[3]},
                                              {w_user[2], w_user[3]}));
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  const bool has_bias = ctx.node.HasInput(kBias);
  const Desc src_any(src, *x_dt, tag::any), dst_any(dst, *y_dt, tag::any);
  const Desc w_any(w, dt::s8, tag::any);
  const Desc bias = has_bias ? Desc({m}, dt::s32, tag::a) : Desc();
  const dnnl::convolution_forward::desc desc(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_any, w_any,
      bias, dst_any, win.strides, win.DnnlDilations(), win.pad_begin, win.pad_end);
  dnnl::primitive_attr attr = UserScratchpadAttr();
  attr.set_output_scales(q.oscale.size() > 1 ? 1 << 1 : 0, q.oscale);
  if (q.x_zp != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {q.x_zp});
  if (q.y_zp != 0) attr.set_zero_points(DNNL_ARG_DST, 0, {q.y_zp});
  dnnl::post_ops ops;
  const float ys = q.int_out ? Constant(ctx, kYScale)->data<float>()[0] : 1.0f;
  FP_RETURN_IF_ERROR(AppendActivation(ctx.node, ys, ops));
  attr.set_post_ops(ops);
  const dnnl::convolution_forward::primitive_desc pd(desc, attr, CpuEngine());

  SequenceBuilder builder(ctx.node);
  // Weights: reordered once into the implementation's layout (with its
  // compensation buffers, if any).
  const ir::Tensor& w_tensor = *Constant(ctx, kW);
  dnnl::memory w_user_mem(LayoutDesc(w, Layout::kPlain, dt::s8), CpuEngine(),
                          const_cast<void*>(w_tensor.raw()));
  dnnl::memory w_packed(pd.weights_desc(), CpuEngine());
  {
    dnnl::stream stream(CpuEngine());
    dnnl::reorder(w_user_mem, w_packed).execute(stream, w_user_mem, w_packed);
    stream.wait();
  }
  const Desc src_given = LayoutDesc(src, ctx.InputLayout(kX), *x_dt);
  Binding src_b = Binding::Input(DNNL_ARG_SRC, kX, src_given);
  if (pd.src_desc() != src_given) {
    src_b = Binding::Scratch(DNNL_ARG_SRC, builder.ReserveBuffer(pd.src_desc()), pd.src_desc());
    const dnnl::reorder::primitive_desc rpd(CpuEngine(), src_given, CpuEngine(), pd.src_desc(),
                                            UserScratchpadAttr());
    Binding from = Binding::Input(DNNL_ARG_FROM, kX, src_given);
    Binding to = src_b;
    to.arg = DNNL_ARG_TO;
    builder.AddStep(dnnl::reorder(rpd), rpd, {from, to});
  }
  const std::optional<Layout> dst_layout = LayoutOfDesc(pd.dst_desc(), dst);
  Binding dst_b = Binding::Output(DNNL_ARG_DST, 0, pd.dst_desc());
  if (!dst_layout) {
    dst_b = Binding::Scratch(DNNL_ARG_DST, builder.ReserveBuffer(pd.dst_desc()), pd.dst_desc());
  }
  std::vector<Binding> args = {src_b, dst_b, Binding::Owned(DNNL_ARG_WEIGHTS, w_packed)};
  if (has_bias) {
    dnnl::memory b(bias, CpuEngine());
    std::copy_n(Constant(ctx, kBias)->data<int32_t>(), m, static_cast<int32_t*>(b.get_data_handle()));
    args.push_back(Binding::Owned(DNNL_ARG_BIAS, b));
  }
  builder.AddStep(dnnl::convolution_forward(pd), pd, std::move(args));
  if (!dst_layout) {
    const Desc plain = LayoutDesc(dst, Layout::kPlain, *y_dt);
    const dnnl::reorder::primitive_desc rpd(CpuEngine(), pd.dst_desc(), CpuEngine(), plain,
                                            UserScratchpadAttr());
    Binding from = dst_b;
    from.arg = DNNL_ARG_FROM;
    builder.AddStep(dnnl::reorder(rpd), rpd, {from, Binding::Output(DNNL_ARG_TO, 0, plain)});
  }
  return std::move(builder).Build(ImplName(pd), {dst_layout.value_or(Layout::kPlain)});
}

}  // namespace

KernelOr CreateQLinearConv(const KernelContext& ctx) {
  return CatchDnnl(ctx.node.Describe(), Stage::kCreate, [&] { return Build(ctx); });
}

}  // namespace fixpoint::runtime::onednn
