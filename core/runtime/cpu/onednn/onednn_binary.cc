// Add Sub Mul Div Min Max via oneDNN binary. oneDNN broadcasts only src1, so
// a broadcast first operand is swapped to second place for commutative ops;
// any other two-sided broadcast goes to the reference kernel. A fused
// activation (`fused_activation`, e.g. a residual Add+Relu) is a post-op.
#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/runtime/cpu/onednn/onednn_kernels.h"
#include "core/runtime/cpu/onednn/onednn_util.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::onednn {
namespace {

constexpr size_t kMaxRank = DNNL_MAX_NDIMS;

struct BinaryOp {
  const char* name;
  dnnl::algorithm alg;
  bool commutative;
};

constexpr BinaryOp kBinaryOps[] = {
    {"Add", dnnl::algorithm::binary_add, true},  {"Sub", dnnl::algorithm::binary_sub, false},
    {"Mul", dnnl::algorithm::binary_mul, true},  {"Div", dnnl::algorithm::binary_div, false},
    {"Min", dnnl::algorithm::binary_min, true},  {"Max", dnnl::algorithm::binary_max, true},
};

// `shape` padded with leading 1s to `rank` (at least 1).
Dims PadTo(const ir::Shape& shape, size_t rank) {
  Dims d(shape.dims().begin(), shape.dims().end());
  d.insert(d.begin(), rank - d.size(), 1);
  return d;
}

KernelOr BuildBinary(const KernelContext& ctx, dnnl::algorithm alg, const Dims& src0,
                     const Dims& src1, const Dims& dst_dims, bool swapped, Layout layout) {
  const Desc a = LayoutDesc(src0, layout), b = LayoutDesc(src1, layout),
             dst = LayoutDesc(dst_dims, layout);
  dnnl::post_ops post_ops;
  FP_RETURN_IF_ERROR(AppendFusedActivation(ctx.node, post_ops));
  dnnl::primitive_attr attr = UserScratchpadAttr();
  attr.set_post_ops(post_ops);
  const dnnl::binary::primitive_desc pd(dnnl::binary::desc(alg, a, b, dst), attr, CpuEngine());
  SequenceBuilder builder(ctx.node);
  builder.AddStep(dnnl::binary(pd), pd,
                  {Binding::Input(DNNL_ARG_SRC_0, swapped ? 1 : 0, a),
                   Binding::Input(DNNL_ARG_SRC_1, swapped ? 0 : 1, b),
                   Binding::Output(DNNL_ARG_DST, 0, dst)});
  return std::move(builder).Build(ImplName(pd), {layout});
}

KernelOr CreateBinaryUnguarded(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(RequireF32(ctx));
  const BinaryOp* op = nullptr;
  for (const BinaryOp& o : kBinaryOps) {
    if (ctx.node.op_type == o.name) op = &o;
  }
  if (op == nullptr) return Unsupported(ctx.node, "not a binary op");
  if (ctx.input_infos.size() != 2 || ctx.input_infos[0].name.empty() ||
      ctx.input_infos[1].name.empty()) {
    return Unsupported(ctx.node, "expects exactly two inputs");
  }
  const size_t rank = std::max<size_t>(1, ctx.output_infos[0].shape.rank());
  if (rank > kMaxRank || ctx.input_infos[0].shape.rank() > static_cast<int>(rank) ||
      ctx.input_infos[1].shape.rank() > static_cast<int>(rank)) {
    return Unsupported(ctx.node, "rank");
  }
  Dims a = PadTo(ctx.input_infos[0].shape, rank);
  Dims b = PadTo(ctx.input_infos[1].shape, rank);
  const Dims dst = PadTo(ctx.output_infos[0].shape, rank);
  const bool swap = a != dst;
  if (swap) {
    if (b != dst) return Unsupported(ctx.node, "both operands broadcast");
    if (!op->commutative) return Unsupported(ctx.node, "first operand broadcasts");
    std::swap(a, b);
  }
  for (size_t i = 0; i < rank; ++i) {
    if (b[i] != dst[i] && b[i] != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(ctx.node.Describe(), ": operands do not broadcast to the output"));
    }
  }
  // Non-plain operands: both in the same layout, no broadcasting, and no
  // channel padding (oneDNN 2.6's binary writes past a padded nChw8c dst on
  // AVX-512; see OneDnnLayoutTest).
  const Layout layout = ctx.InputLayout(0);
  if (ctx.InputLayout(1) != layout ||
      (layout != Layout::kPlain && (a != dst || b != dst || rank != 4))) {
    return Unsupported(ctx.node, "non-plain operands need equal shapes and layouts");
  }
  if (PhysicalBytes(layout, ctx.output_infos[0].shape, ir::DType::kF32) !=
      PhysicalBytes(Layout::kPlain, ctx.output_infos[0].shape, ir::DType::kF32)) {
    return Unsupported(ctx.node, "padded channel blocks");
  }
  return BuildBinary(ctx, op->alg, a, b, dst, swap, layout);
}

}  // namespace

KernelOr CreateBinary(const KernelContext& ctx) {
  return CatchDnnl(ctx.node.Describe(), Stage::kCreate,
                   [&] { return CreateBinaryUnguarded(ctx); });
}

}  // namespace fixpoint::runtime::onednn
