// QLinearConv via oneDNN's int8 convolution (parameters: onednn_qparams.h),
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
#include "core/runtime/cpu/onednn/onednn_qparams.h"
#include "core/runtime/cpu/onednn/onednn_util.h"
#include "core/runtime/cpu/onednn/onednn_window.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::onednn {
namespace {

enum Input { kX, kXScale, kXZp, kW, kWScale, kWZp, kYScale, kYZp, kBias, kPostShift };
constexpr QInputs kConvInputs{kX,    kXScale, kXZp, kW,   kWScale,
                              kWZp, kYScale, kYZp, kBias, kPostShift};

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
  FP_ASSIGN_OR_RETURN(QParams q, ReadQParams(ctx, kConvInputs, m));
  FP_RETURN_IF_ERROR(CheckNoSaturation(ctx, kConvInputs));
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
  int shift_arg = 0;
  FP_ASSIGN_OR_RETURN(dnnl::primitive_attr attr,
                      QuantAttr(ctx.node, q, /*channel_dim=*/1, Dims{1, m, 1, 1}, &shift_arg));
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
  if (!q.shift.empty()) {
    dnnl::memory shift(Desc({1, m, 1, 1}, dt::f32, tag::abcd), CpuEngine());
    std::copy(q.shift.begin(), q.shift.end(), static_cast<float*>(shift.get_data_handle()));
    args.push_back(Binding::Owned(shift_arg, shift));
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
