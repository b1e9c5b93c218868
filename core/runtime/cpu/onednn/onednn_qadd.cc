// QLinearAdd (the residual add of a quantized ResNet) as a oneDNN int8
// binary add: dst = (a_scale/y_scale)·a + (b_scale/y_scale)·b, then post-ops
// shift by the zero points and clamp for the fused Relu/Clip (LeakyRelu goes
// to the reference kernel); the conversion to u8/s8 rounds to nearest even
// and saturates. The reference computes the same sum in a
// different float order, so results agree within 1 LSB (OneDnnQAddTest).
// Layout-aware: both inputs in one layout (nhwc from the int8 convs).
#include <string>

#include "absl/strings/str_cat.h"
#include "core/runtime/cpu/onednn/onednn_kernels.h"
#include "core/runtime/cpu/onednn/onednn_qparams.h"
#include "core/runtime/cpu/onednn/onednn_util.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::onednn {
namespace {

KernelOr Build(const KernelContext& ctx) {
  const ir::ValueInfo& a = ctx.input_infos[0];
  const ir::ValueInfo& b = ctx.input_infos[3];
  const ir::ValueInfo& y = ctx.output_infos[0];
  if (a.shape != b.shape || a.shape != y.shape || !a.shape.IsStatic()) {
    return Unsupported(ctx.node, "needs equal static shapes");
  }
  for (int i : {1, 2, 4, 5, 6, 7}) {
    if (Constant(ctx, i) == nullptr || Constant(ctx, i)->NumElements() != 1) {
      return Unsupported(ctx.node, "needs constant per-tensor parameters");
    }
  }
  const auto a_dt = DnnlType(a.dtype), b_dt = DnnlType(b.dtype), y_dt = DnnlType(y.dtype);
  const Layout layout = ctx.InputLayout(0);
  if (!a_dt || !b_dt || !y_dt || ctx.InputLayout(3) != layout ||
      (layout != Layout::kPlain && a.shape.rank() != 4)) {
    return Unsupported(ctx.node, "dtypes or layouts");
  }
  if (PhysicalBytes(layout, a.shape, a.dtype) != PhysicalBytes(Layout::kPlain, a.shape, a.dtype)) {
    return Unsupported(ctx.node, "padded channel blocks");  // see onednn_binary.cc
  }
  const float sa = Constant(ctx, 1)->data<float>()[0], sb = Constant(ctx, 4)->data<float>()[0];
  const float sy = Constant(ctx, 6)->data<float>()[0];
  const int32_t za = IntAt(*Constant(ctx, 2), 0), zb = IntAt(*Constant(ctx, 5), 0);
  const int32_t zy = IntAt(*Constant(ctx, 7), 0);
  FP_ASSIGN_OR_RETURN(std::string act, ctx.node.GetString("fused_activation", ""));
  FP_ASSIGN_OR_RETURN(float alpha, ctx.node.GetFloat("fused_alpha", 0.0f));  // Clip min
  FP_ASSIGN_OR_RETURN(float beta, ctx.node.GetFloat("fused_beta", 0.0f));
  // One shift (zero points of a, b and y) and at most one clamp: with y's
  // zero point z >= 0 steps, relu(v) + z = max(v + z, z) and clip(v, lo, hi)
  // + z = clip(v + z, lo + z, hi + z). (Two eltwise_linear post-ops in one
  // binary went wrong in oneDNN 2.6's jit:uni binary: the second reused the
  // first one's shift — caught by OneDnnQAddTest.)
  const float shift =
      static_cast<float>(zy) - (sa * static_cast<float>(za) + sb * static_cast<float>(zb)) / sy;
  dnnl::post_ops ops;
  ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, 1.0f, shift);
  const float z = static_cast<float>(zy);
  if (act == "Relu") {
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, z, 3.0e38f);
  } else if (act == "Clip") {
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, alpha / sy + z, beta / sy + z);
  } else if (!act.empty()) {
    return Unsupported(ctx.node, absl::StrCat("fused ", act, " on QLinearAdd"));
  }
  dnnl::primitive_attr attr = UserScratchpadAttr();
  attr.set_scales(DNNL_ARG_SRC_0, 0, {sa / sy});
  attr.set_scales(DNNL_ARG_SRC_1, 0, {sb / sy});
  attr.set_post_ops(ops);
  const Dims dims = layout == Layout::kPlain ? Dims{a.shape.NumElements()} : ToDims(a.shape);
  const Desc da = LayoutDesc(dims, layout, *a_dt), db = LayoutDesc(dims, layout, *b_dt);
  const Desc dy = LayoutDesc(dims, layout, *y_dt);
  const dnnl::binary::primitive_desc pd(
      dnnl::binary::desc(dnnl::algorithm::binary_add, da, db, dy), attr, CpuEngine());
  SequenceBuilder builder(ctx.node);
  builder.AddStep(dnnl::binary(pd), pd,
                  {Binding::Input(DNNL_ARG_SRC_0, 0, da), Binding::Input(DNNL_ARG_SRC_1, 3, db),
                   Binding::Output(DNNL_ARG_DST, 0, dy)});
  return std::move(builder).Build(ImplName(pd), {layout});
}

}  // namespace

KernelOr CreateQLinearAdd(const KernelContext& ctx) {
  return CatchDnnl(ctx.node.Describe(), Stage::kCreate, [&] { return Build(ctx); });
}

}  // namespace fixpoint::runtime::onednn
