// BatchNormalization (inference) via oneDNN batch_normalization_forward with
// use_global_stats | use_scale | use_shift: scale, B, mean and var are read
// from the call's inputs, so they need not be constants.
#include <string>

#include "absl/strings/str_cat.h"
#include "core/runtime/cpu/onednn/onednn_kernels.h"
#include "core/runtime/cpu/onednn/onednn_util.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::onednn {
namespace {

KernelOr BuildBatchNorm(const KernelContext& ctx, float epsilon) {
  const Layout layout = ctx.InputLayout(0);
  const Desc data = LayoutDesc(ToDims(ctx.input_infos[0].shape), layout);
  const Desc channel = PlainDesc({ctx.input_infos[0].shape[1]});
  const auto flags = dnnl::normalization_flags::use_global_stats |
                     dnnl::normalization_flags::use_scale |
                     dnnl::normalization_flags::use_shift;
  const dnnl::batch_normalization_forward::desc desc(dnnl::prop_kind::forward_inference, data,
                                                     epsilon, flags);
  const dnnl::batch_normalization_forward::primitive_desc pd(desc, UserScratchpadAttr(),
                                                             CpuEngine());
  SequenceBuilder builder(ctx.node);
  builder.AddStep(dnnl::batch_normalization_forward(pd), pd,
                  {Binding::Input(DNNL_ARG_SRC, 0, data), Binding::Input(DNNL_ARG_SCALE, 1, channel),
                   Binding::Input(DNNL_ARG_SHIFT, 2, channel),
                   Binding::Input(DNNL_ARG_MEAN, 3, channel),
                   Binding::Input(DNNL_ARG_VARIANCE, 4, channel),
                   Binding::Output(DNNL_ARG_DST, 0, data)});
  return std::move(builder).Build(ImplName(pd), {layout});
}

KernelOr CreateBatchNormUnguarded(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(RequireF32(ctx));
  if (ctx.input_infos.size() != 5) return Unsupported(ctx.node, "expects 5 inputs");
  for (const ir::ValueInfo& in : ctx.input_infos) {
    if (in.name.empty()) return Unsupported(ctx.node, "an input is absent");
  }
  const ir::Shape& x = ctx.input_infos[0].shape;
  if (x.rank() < 2 || x.rank() > 5) return Unsupported(ctx.node, "X rank not in [2, 5]");
  if (ctx.InputLayout(0) != Layout::kPlain && x.rank() != 4) {
    return Unsupported(ctx.node, "blocked layout needs rank 4");
  }
  for (int i = 1; i < 5; ++i) {
    if (ctx.InputLayout(i) != Layout::kPlain) return Unsupported(ctx.node, "blocked parameters");
  }
  for (int i = 1; i < 5; ++i) {
    if (ctx.input_infos[i].shape.NumElements() != x[1]) {
      return absl::InvalidArgumentError(
          absl::StrCat(ctx.node.Describe(), ": input ", i, " does not have C elements"));
    }
  }
  FP_ASSIGN_OR_RETURN(int64_t training, ctx.node.GetInt("training_mode", 0));
  if (training != 0) return Unsupported(ctx.node, "training_mode");
  if (ctx.output_infos.size() > 1) {
    for (size_t i = 1; i < ctx.output_infos.size(); ++i) {
      if (!ctx.output_infos[i].name.empty()) return Unsupported(ctx.node, "extra outputs");
    }
  }
  FP_ASSIGN_OR_RETURN(float epsilon, ctx.node.GetFloat("epsilon", 1e-5f));
  return BuildBatchNorm(ctx, epsilon);
}

}  // namespace

KernelOr CreateBatchNorm(const KernelContext& ctx) {
  return CatchDnnl(ctx.node.Describe(), Stage::kCreate,
                   [&] { return CreateBatchNormUnguarded(ctx); });
}

}  // namespace fixpoint::runtime::onednn
