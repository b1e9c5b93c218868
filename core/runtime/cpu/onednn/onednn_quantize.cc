// DequantizeLinear and QuantizeLinear (per tensor, constant scale and zero
// point) as oneDNN reorders. DequantizeLinear is exact. QuantizeLinear is a
// reorder f32 -> u8/s8 with output scale 1/scale and a destination zero
// point: rounds to nearest even and saturates like the reference, but
// multiplies by the reciprocal where the reference divides, so a value
// within an ulp of a rounding tie may land one step away (within 1 LSB;
// OneDnnQuantizeTest). Layout-aware: a non-plain f32 input gives the same
// layout in int8, which the int8 kernels read directly.
#include <string>

#include "absl/strings/str_cat.h"
#include "core/runtime/cpu/onednn/onednn_kernels.h"
#include "core/runtime/cpu/onednn/onednn_qparams.h"
#include "core/runtime/cpu/onednn/onednn_util.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::onednn {
namespace {

KernelOr Build(const KernelContext& ctx) {
  const ir::ValueInfo& x = ctx.input_infos[0];
  const ir::ValueInfo& y = ctx.output_infos[0];
  if (x.dtype != ir::DType::kF32 || !x.shape.IsStatic() || x.shape.NumElements() == 0) {
    return Unsupported(ctx.node, "needs a static, non-empty f32 input");
  }
  const ir::Tensor* scale = Constant(ctx, 1);
  const ir::Tensor* zp = Constant(ctx, 2);
  if (scale == nullptr || zp == nullptr || scale->NumElements() != 1 || zp->NumElements() != 1) {
    return Unsupported(ctx.node, "needs a constant per-tensor scale and zero point");
  }
  const float s = scale->data<float>()[0];
  if (!(s > 0.0f)) return Unsupported(ctx.node, "scale must be positive");
  const auto y_dt = DnnlType(y.dtype);
  if (!y_dt || (y.dtype != ir::DType::kU8 && y.dtype != ir::DType::kI8)) {
    return Unsupported(ctx.node, "output must be u8 or i8");
  }
  const Layout layout = ctx.InputLayout(0);
  if (layout != Layout::kPlain && x.shape.rank() != 4) return Unsupported(ctx.node, "layout rank");
  // Plain data is one flat vector; other layouts keep their shape.
  const Dims dims =
      layout == Layout::kPlain ? Dims{x.shape.NumElements()} : ToDims(x.shape);
  const Desc src = LayoutDesc(dims, layout), dst = LayoutDesc(dims, layout, *y_dt);
  dnnl::primitive_attr attr = UserScratchpadAttr();
  attr.set_output_scales(0, {1.0f / s});
  const int32_t z = IntAt(*zp, 0);
  if (z != 0) attr.set_zero_points(DNNL_ARG_DST, 0, {z});
  const dnnl::reorder::primitive_desc pd(CpuEngine(), src, CpuEngine(), dst, attr);
  SequenceBuilder builder(ctx.node);
  builder.AddStep(dnnl::reorder(pd), pd,
                  {Binding::Input(DNNL_ARG_FROM, 0, src), Binding::Output(DNNL_ARG_TO, 0, dst)});
  return std::move(builder).Build(ImplName(pd), {layout});
}

// DequantizeLinear: reorder u8/s8 -> f32 with output scale `scale` and a
// source zero point; (q - zp) * scale in f32 as the reference computes it.
KernelOr BuildDequantize(const KernelContext& ctx) {
  const ir::ValueInfo& x = ctx.input_infos[0];
  const auto x_dt = DnnlType(x.dtype);
  if (!x_dt || (x.dtype != ir::DType::kU8 && x.dtype != ir::DType::kI8) ||
      !x.shape.IsStatic() || x.shape.NumElements() == 0) {
    return Unsupported(ctx.node, "needs a static, non-empty u8/i8 input");
  }
  const ir::Tensor* scale = Constant(ctx, 1);
  const ir::Tensor* zp = ctx.node.HasInput(2) ? Constant(ctx, 2) : nullptr;
  if (scale == nullptr || scale->NumElements() != 1 ||
      (ctx.node.HasInput(2) && (zp == nullptr || zp->NumElements() != 1))) {
    return Unsupported(ctx.node, "needs a constant per-tensor scale and zero point");
  }
  const Layout layout = ctx.InputLayout(0);
  if (layout != Layout::kPlain && x.shape.rank() != 4) return Unsupported(ctx.node, "layout rank");
  const Dims dims =
      layout == Layout::kPlain ? Dims{x.shape.NumElements()} : ToDims(x.shape);
  const Desc src = LayoutDesc(dims, layout, *x_dt), dst = LayoutDesc(dims, layout);
  dnnl::primitive_attr attr = UserScratchpadAttr();
  attr.set_output_scales(0, {scale->data<float>()[0]});
  const int32_t z = zp ? IntAt(*zp, 0) : 0;
  if (z != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {z});
  const dnnl::reorder::primitive_desc pd(CpuEngine(), src, CpuEngine(), dst, attr);
  SequenceBuilder builder(ctx.node);
  builder.AddStep(dnnl::reorder(pd), pd,
                  {Binding::Input(DNNL_ARG_FROM, 0, src), Binding::Output(DNNL_ARG_TO, 0, dst)});
  return std::move(builder).Build(ImplName(pd), {layout});
}

}  // namespace

KernelOr CreateDequantizeLinear(const KernelContext& ctx) {
  return CatchDnnl(ctx.node.Describe(), Stage::kCreate, [&] { return BuildDequantize(ctx); });
}

KernelOr CreateQuantizeLinear(const KernelContext& ctx) {
  return CatchDnnl(ctx.node.Describe(), Stage::kCreate, [&] { return Build(ctx); });
}

}  // namespace fixpoint::runtime::onednn
