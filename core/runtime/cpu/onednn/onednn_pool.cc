// MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool via oneDNN
// pooling_v2 (which has dilations); MaxPool also on u8/s8. ceil_mode becomes extra end padding
// computed from the output shape.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/runtime/cpu/onednn/onednn_kernels.h"
#include "core/runtime/cpu/onednn/onednn_util.h"
#include "core/runtime/cpu/onednn/onednn_window.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::onednn {
namespace {

struct PoolConfig {
  dnnl::algorithm alg;
  Window window;
  Dims pad_end;  // what oneDNN gets (node's end pads, extended for ceil_mode)
};

// Window of a global pool: the whole spatial extent.
Window GlobalWindow(const std::vector<int64_t>& in_sp) {
  Window w;
  w.kernel = in_sp;
  w.strides.assign(in_sp.size(), 1);
  w.dilations.assign(in_sp.size(), 1);
  w.pad_begin.assign(in_sp.size(), 0);
  w.pad_end.assign(in_sp.size(), 0);
  return w;
}

absl::StatusOr<PoolConfig> ParsePool(const KernelContext& ctx, const Dims& src,
                                     const Dims& dst) {
  const ir::Node& node = ctx.node;
  const std::string& op = node.op_type;
  const std::vector<int64_t> in_sp(src.begin() + 2, src.end());
  const std::vector<int64_t> out_sp(dst.begin() + 2, dst.end());
  PoolConfig c;
  c.alg = op == "MaxPool" || op == "GlobalMaxPool" ? dnnl::algorithm::pooling_max
                                                   : dnnl::algorithm::pooling_avg_exclude_padding;
  if (op == "GlobalAveragePool" || op == "GlobalMaxPool") {
    c.window = GlobalWindow(in_sp);
    c.pad_end = c.window.pad_end;
    return c;
  }
  if (!node.HasAttr("kernel_shape")) {
    return absl::InvalidArgumentError(absl::StrCat(node.Describe(), ": no kernel_shape"));
  }
  FP_ASSIGN_OR_RETURN(c.window, ParseWindow(node, in_sp, out_sp, {}));
  if (op == "AveragePool" && c.window.dilations != std::vector<int64_t>(in_sp.size(), 1)) {
    return Unsupported(node, "dilated AveragePool");  // opset 19; not in the IR's op set
  }
  FP_ASSIGN_OR_RETURN(int64_t include_pad, node.GetInt("count_include_pad", 0));
  if (op == "AveragePool" && include_pad != 0) {
    c.alg = dnnl::algorithm::pooling_avg_include_padding;
  }
  const std::vector<int64_t> needed = EndPadForOutput(c.window, in_sp, out_sp);
  c.pad_end = c.window.pad_end;
  for (size_t i = 0; i < in_sp.size(); ++i) {
    // The last window must see at least one real element.
    if ((out_sp[i] - 1) * c.window.strides[i] - c.window.pad_begin[i] >= in_sp[i]) {
      return Unsupported(node, "a window lies entirely in the padding");
    }
    if (needed[i] <= c.pad_end[i]) continue;
    // ceil_mode: windows overhanging the end padding. ONNX does not count the
    // overhang as padding (count_include_pad), oneDNN would.
    if (c.alg == dnnl::algorithm::pooling_avg_include_padding) {
      return Unsupported(node, "ceil_mode overhang with count_include_pad");
    }
    c.pad_end[i] = needed[i];
  }
  return c;
}

KernelOr BuildPool(const KernelContext& ctx, const Dims& src_dims, const Dims& dst_dims,
                   const PoolConfig& c, dnnl::memory::data_type dt) {
  // A blocked src keeps its layout for dst (plain stays plain).
  const Layout layout = ctx.InputLayout(0);
  if (layout != Layout::kPlain && src_dims.size() != 4) {
    return Unsupported(ctx.node, "blocked layout needs rank 4");
  }
  const Desc src = LayoutDesc(src_dims, layout, dt), dst = LayoutDesc(dst_dims, layout, dt);
  const dnnl::pooling_v2_forward::desc desc(dnnl::prop_kind::forward_inference, c.alg, src, dst,
                                            c.window.strides, c.window.kernel,
                                            c.window.DnnlDilations(), c.window.pad_begin,
                                            c.pad_end);
  const dnnl::pooling_v2_forward::primitive_desc pd(desc, UserScratchpadAttr(), CpuEngine());
  SequenceBuilder builder(ctx.node);
  builder.AddStep(dnnl::pooling_v2_forward(pd), pd,
                  {Binding::Input(DNNL_ARG_SRC, 0, src), Binding::Output(DNNL_ARG_DST, 0, dst)});
  return std::move(builder).Build(ImplName(pd), {layout});
}

// f32 for every pool; u8/s8 for MaxPool (exact on quantized values, which
// the QDQ lowering feeds it).
absl::StatusOr<dnnl::memory::data_type> PoolType(const KernelContext& ctx) {
  const ir::DType t = ctx.input_infos.empty() ? ir::DType::kF32 : ctx.input_infos[0].dtype;
  const bool int8 = t == ir::DType::kU8 || t == ir::DType::kI8;
  if (!int8 || ctx.node.op_type != "MaxPool") {
    FP_RETURN_IF_ERROR(RequireF32(ctx));
    return dnnl::memory::data_type::f32;
  }
  if (ctx.output_infos[0].dtype != t || !ctx.input_infos[0].shape.IsStatic()) {
    return Unsupported(ctx.node, "output dtype or shape");
  }
  return *DnnlType(t);
}

KernelOr CreatePoolUnguarded(const KernelContext& ctx) {
  FP_ASSIGN_OR_RETURN(dnnl::memory::data_type dt, PoolType(ctx));
  if (ctx.input_infos.empty() || ctx.input_infos[0].name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(ctx.node.Describe(), ": no input"));
  }
  if (ctx.output_infos.size() > 1 && !ctx.output_infos[1].name.empty()) {
    return Unsupported(ctx.node, "MaxPool indices output");
  }
  const Dims src = ToDims(ctx.input_infos[0].shape);
  const Dims dst = ToDims(ctx.output_infos[0].shape);
  if (src.size() < 3 || src.size() > 5 || dst.size() != src.size()) {
    return Unsupported(ctx.node, "only 1-3 spatial dims");
  }
  FP_ASSIGN_OR_RETURN(PoolConfig config, ParsePool(ctx, src, dst));
  return BuildPool(ctx, src, dst, config, dt);
}

}  // namespace

KernelOr CreatePool(const KernelContext& ctx) {
  return CatchDnnl(ctx.node.Describe(), Stage::kCreate,
                   [&] { return CreatePoolUnguarded(ctx); });
}

}  // namespace fixpoint::runtime::onednn
