// Softmax and LogSoftmax via oneDNN softmax_v2 (accurate / log algorithms) on
// any axis; coerce_2d (pre-opset-13 semantics) reshapes to 2-D first.
#include <string>

#include "absl/strings/str_cat.h"
#include "core/runtime/cpu/onednn/onednn_kernels.h"
#include "core/runtime/cpu/onednn/onednn_util.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::onednn {
namespace {

KernelOr BuildSoftmax(const KernelContext& ctx, const Dims& dims, int axis) {
  const Desc data = PlainDesc(dims);
  const dnnl::algorithm alg = ctx.node.op_type == "LogSoftmax"
                                  ? dnnl::algorithm::softmax_log
                                  : dnnl::algorithm::softmax_accurate;
  const dnnl::softmax_v2_forward::desc desc(dnnl::prop_kind::forward_inference, alg, data, data,
                                            axis);
  const dnnl::softmax_v2_forward::primitive_desc pd(desc, UserScratchpadAttr(), CpuEngine());
  SequenceBuilder builder(ctx.node);
  builder.AddStep(dnnl::softmax_v2_forward(pd), pd,
                  {Binding::Input(DNNL_ARG_SRC, 0, data), Binding::Output(DNNL_ARG_DST, 0, data)});
  return std::move(builder).Build(ImplName(pd));
}

KernelOr CreateSoftmaxUnguarded(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(RequireF32(ctx));
  if (ctx.input_infos.size() != 1 || ctx.input_infos[0].name.empty()) {
    return Unsupported(ctx.node, "expects one input");
  }
  const ir::Shape& shape = ctx.input_infos[0].shape;
  const int rank = shape.rank();
  if (rank < 1 || rank > DNNL_MAX_NDIMS) return Unsupported(ctx.node, "rank");
  FP_ASSIGN_OR_RETURN(int64_t coerce_2d, ctx.node.GetInt("coerce_2d", 0));
  FP_ASSIGN_OR_RETURN(int64_t axis, ctx.node.GetInt("axis", coerce_2d != 0 ? 1 : -1));
  if (axis < -rank || axis >= rank) {
    return absl::InvalidArgumentError(
        absl::StrCat(ctx.node.Describe(), ": axis ", axis, " out of range"));
  }
  if (axis < 0) axis += rank;
  Dims dims = ToDims(shape);
  if (coerce_2d != 0) {
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < rank; ++i) (i < axis ? outer : inner) *= shape[i];
    dims = {outer, inner};
    axis = 1;
  }
  return BuildSoftmax(ctx, dims, static_cast<int>(axis));
}

}  // namespace

KernelOr CreateSoftmax(const KernelContext& ctx) {
  return CatchDnnl(ctx.node.Describe(), Stage::kCreate,
                   [&] { return CreateSoftmaxUnguarded(ctx); });
}

}  // namespace fixpoint::runtime::onednn
