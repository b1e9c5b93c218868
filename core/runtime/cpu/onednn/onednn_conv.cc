// Conv via oneDNN convolution_forward. The constant weights are reordered
// once, at creation, into the layout the chosen implementation prefers and are
// owned by the kernel. Activations: a blocked input is read as given (or
// reordered to what the implementation wants); a blocked dst chosen by oneDNN
// is written directly as the output's layout (see Layout in kernel.h).
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

struct ConvShape {
  Dims src, weights_user, weights, dst;  // weights: oneDNN grouped form when group > 1
  int64_t group = 1;
  bool has_bias = false;
  Window window;
};

absl::StatusOr<ConvShape> ParseConv(const KernelContext& ctx) {
  const ir::Node& node = ctx.node;
  if (ctx.input_infos.size() < 2 || ctx.input_infos[0].name.empty() ||
      ctx.input_infos[1].name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(node.Describe(), ": needs X and W"));
  }
  ConvShape s;
  s.src = ToDims(ctx.input_infos[0].shape);
  s.weights_user = ToDims(ctx.input_infos[1].shape);
  s.dst = ToDims(ctx.output_infos[0].shape);
  const size_t rank = s.src.size();
  if (rank < 3 || rank > 5 || s.weights_user.size() != rank || s.dst.size() != rank) {
    return Unsupported(node, "only 1-3 spatial dims with matching X/W/Y ranks");
  }
  FP_ASSIGN_OR_RETURN(s.group, node.GetInt("group", 1));
  const int64_t m = s.weights_user[0];
  if (s.group < 1 || s.src[1] != s.group * s.weights_user[1] || m % s.group != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(node.Describe(), ": channels do not match group ", s.group));
  }
  s.has_bias = ctx.input_infos.size() > 2 && !ctx.input_infos[2].name.empty();
  if (s.has_bias && ctx.input_infos[2].shape.NumElements() != m) {
    return absl::InvalidArgumentError(absl::StrCat(node.Describe(), ": bias size != M"));
  }
  const std::vector<int64_t> in_sp(s.src.begin() + 2, s.src.end());
  const std::vector<int64_t> out_sp(s.dst.begin() + 2, s.dst.end());
  const std::vector<int64_t> ker(s.weights_user.begin() + 2, s.weights_user.end());
  FP_ASSIGN_OR_RETURN(s.window, ParseWindow(node, in_sp, out_sp, ker));
  s.weights = s.weights_user;
  if (s.group > 1) {
    s.weights = {s.group, m / s.group};
    s.weights.insert(s.weights.end(), s.weights_user.begin() + 1, s.weights_user.end());
  }
  return s;
}

// On AVX-512, channel counts that fill 16-lane blocks run faster in nChw16c
// (oneDNN's direct jit kernels) than in the nhwc brgconv that `any` picks:
// 8 % over resnet_small's 3x3 convs, 20 % on its 1x1s, and 2x on a first
// layer of <= 4 channels read as plain NCHW (measured single-threaded at batch
// 64). All such convs choosing nChw16c keeps the residual adds between them in
// one layout.
bool UseNChw16c(const ConvShape& s) {
  const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
  const bool avx512 = isa == dnnl::cpu_isa::avx512_core || isa == dnnl::cpu_isa::avx512_core_vnni ||
                      isa == dnnl::cpu_isa::avx512_core_bf16 ||
                      isa == dnnl::cpu_isa::avx512_core_amx;
  return avx512 && s.src.size() == 4 && s.group == 1 && s.dst[1] % 16 == 0 &&
         (s.src[1] % 16 == 0 || s.src[1] <= 4);
}

Desc AnyDesc(const Dims& dims) {
  return Desc(dims, dnnl::memory::data_type::f32, dnnl::memory::format_tag::any);
}

dnnl::convolution_forward::primitive_desc MakeConvPd(const ConvShape& s, ConvLayout layout,
                                                     const dnnl::post_ops& post_ops) {
  const bool blocked = layout == ConvLayout::kBlocked;
  Desc src = blocked ? AnyDesc(s.src) : PlainDesc(s.src);
  Desc dst = blocked ? AnyDesc(s.dst) : PlainDesc(s.dst);
  if (blocked && UseNChw16c(s)) {
    src = s.src[1] <= 4 ? PlainDesc(s.src) : LayoutDesc(s.src, Layout::kNChw16c);
    dst = LayoutDesc(s.dst, Layout::kNChw16c);
  }
  const Desc weights = AnyDesc(s.weights);
  const Desc bias = s.has_bias ? PlainDesc({s.dst[1]}) : Desc();
  const dnnl::convolution_forward::desc desc(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src, weights,
      bias, dst, s.window.strides, s.window.DnnlDilations(), s.window.pad_begin,
      s.window.pad_end);
  dnnl::primitive_attr attr = UserScratchpadAttr();
  attr.set_post_ops(post_ops);
  return dnnl::convolution_forward::primitive_desc(desc, attr, CpuEngine());
}

// The constant weights in the layout `pd` wants, reordered once.
dnnl::memory ReorderWeights(const dnnl::convolution_forward::primitive_desc& pd,
                            const ConvShape& s, const ir::Tensor& weights) {
  dnnl::memory user(PlainDesc(s.weights), CpuEngine(), const_cast<void*>(weights.raw()));
  dnnl::memory packed(pd.weights_desc(), CpuEngine());
  dnnl::stream stream(CpuEngine());
  dnnl::reorder(user, packed).execute(stream, user, packed);
  stream.wait();
  return packed;
}

// Whether `desc` lays out `dims` byte-for-byte as `layout` does: equal, or
// one channel in plain vs channels-last (a first layer's grey image).
bool SameBytes(const Desc& desc, Layout layout, const Dims& dims) {
  if (desc == LayoutDesc(dims, layout)) return true;
  const std::optional<Layout> other = LayoutOfDesc(desc, dims);
  const auto plain_or_nhwc = [](Layout l) { return l == Layout::kPlain || l == Layout::kNhwc; };
  return other && dims.size() == 4 && dims[1] == 1 && plain_or_nhwc(*other) &&
         plain_or_nhwc(layout);
}

// Adds a reorder from `from` to `to` (for activations; user scratchpad).
void AddReorder(SequenceBuilder& builder, Binding from, Binding to) {
  const dnnl::reorder::primitive_desc pd(CpuEngine(), from.desc, CpuEngine(), to.desc,
                                         UserScratchpadAttr());
  from.arg = DNNL_ARG_FROM;
  to.arg = DNNL_ARG_TO;
  builder.AddStep(dnnl::reorder(pd), pd, {std::move(from), std::move(to)});
}

KernelOr BuildConv(const KernelContext& ctx, const ConvShape& s, ConvLayout layout,
                   const dnnl::post_ops& post_ops) {
  const auto pd = MakeConvPd(s, layout, post_ops);
  SequenceBuilder builder(ctx.node);
  const Desc src_given = LayoutDesc(s.src, ctx.InputLayout(0));
  Binding src = Binding::Input(DNNL_ARG_SRC, 0, src_given);
  if (SameBytes(pd.src_desc(), ctx.InputLayout(0), s.src)) {
    src.desc = pd.src_desc();
  } else {
    src = Binding::Scratch(DNNL_ARG_SRC, builder.ReserveBuffer(pd.src_desc()), pd.src_desc());
    AddReorder(builder, Binding::Input(0, 0, src_given), src);
  }
  // A dst layout that other kernels can read is written directly; any other
  // goes through scratch and is reordered to plain.
  const std::optional<Layout> dst_layout = LayoutOfDesc(pd.dst_desc(), s.dst);
  Binding dst = Binding::Output(DNNL_ARG_DST, 0, pd.dst_desc());
  if (!dst_layout) {
    dst = Binding::Scratch(DNNL_ARG_DST, builder.ReserveBuffer(pd.dst_desc()), pd.dst_desc());
  }
  std::vector<Binding> args = {
      src, dst, Binding::Owned(DNNL_ARG_WEIGHTS, ReorderWeights(pd, s, *ctx.constants[1]))};
  if (s.has_bias) args.push_back(Binding::Input(DNNL_ARG_BIAS, 2, PlainDesc({s.dst[1]})));
  builder.AddStep(dnnl::convolution_forward(pd), pd, std::move(args));
  if (!dst_layout) AddReorder(builder, dst, Binding::Output(0, 0, PlainDesc(s.dst)));
  return std::move(builder).Build(ImplName(pd), {dst_layout.value_or(Layout::kPlain)});
}

}  // namespace

// Measured on seed_cnn's shapes (see the report in OneDnnConvTest's
// DISABLED_BenchmarkSeedCnnShapes): letting oneDNN pick blocked activations
// and paying the two reorders is faster than computing on NCHW at batch 1 and
// 64 alike, because with NCHW only the im2col+GEMM implementation applies.
// When `any` resolves to plain layouts anyway no reorder is added.
ConvLayout PreferredConvLayout(const KernelContext& ctx) {
  (void)ctx;
  return ConvLayout::kBlocked;
}

KernelOr CreateConvWithLayout(const KernelContext& ctx, ConvLayout layout) {
  return CatchDnnl(ctx.node.Describe(), Stage::kCreate, [&]() -> KernelOr {
    FP_RETURN_IF_ERROR(RequireF32(ctx));
    FP_ASSIGN_OR_RETURN(ConvShape s, ParseConv(ctx));
    if (ctx.constants.size() < 2 || ctx.constants[1] == nullptr) {
      return Unsupported(ctx.node, "weights are not constant");
    }
    dnnl::post_ops post_ops;
    FP_RETURN_IF_ERROR(AppendFusedActivation(ctx.node, post_ops));
    return BuildConv(ctx, s, layout, post_ops);
  });
}

KernelOr CreateConv(const KernelContext& ctx) {
  return CreateConvWithLayout(ctx, PreferredConvLayout(ctx));
}

}  // namespace fixpoint::runtime::onednn
