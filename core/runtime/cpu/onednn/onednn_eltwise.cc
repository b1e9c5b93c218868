// Elementwise unary ops via oneDNN eltwise_forward on the flattened tensor;
// an op oneDNN 2.6 lacks as one algorithm (HardSigmoid) is a short chain run
// in place on the output.
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/runtime/cpu/onednn/onednn_kernels.h"
#include "core/runtime/cpu/onednn/onednn_util.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::onednn {
namespace {

// The op's alpha/beta in ActivationSteps' convention, with ONNX defaults.
absl::Status ReadParams(const ir::Node& node, float* alpha, float* beta) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  *alpha = 0.0f;
  *beta = 0.0f;
  const std::string& op = node.op_type;
  if (op == "LeakyRelu") {
    FP_ASSIGN_OR_RETURN(*alpha, node.GetFloat("alpha", 0.01f));
  } else if (op == "Elu") {
    FP_ASSIGN_OR_RETURN(*alpha, node.GetFloat("alpha", 1.0f));
  } else if (op == "HardSigmoid") {
    FP_ASSIGN_OR_RETURN(*alpha, node.GetFloat("alpha", 0.2f));
    FP_ASSIGN_OR_RETURN(*beta, node.GetFloat("beta", 0.5f));
  } else if (op == "Clip") {
    FP_ASSIGN_OR_RETURN(*alpha, node.GetFloat("min", -kInf));
    FP_ASSIGN_OR_RETURN(*beta, node.GetFloat("max", kInf));
  }
  return absl::OkStatus();
}

KernelOr BuildEltwise(const KernelContext& ctx, const std::vector<EltwiseStep>& steps) {
  // Plain data is processed as one flat vector, other layouts as they are
  // (oneDNN keeps the padding of a blocked dst zero).
  const Layout layout = ctx.InputLayout(0);
  const Desc data = layout == Layout::kPlain
                        ? PlainDesc({ctx.output_infos[0].shape.NumElements()})
                        : LayoutDesc(ToDims(ctx.output_infos[0].shape), layout);
  SequenceBuilder builder(ctx.node);
  std::string impl;
  for (size_t i = 0; i < steps.size(); ++i) {
    const dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_inference, steps[i].alg,
                                           data, steps[i].alpha, steps[i].beta);
    const dnnl::eltwise_forward::primitive_desc pd(desc, UserScratchpadAttr(), CpuEngine());
    // Later steps run in place on the output.
    Binding src = i == 0 ? Binding::Input(DNNL_ARG_SRC, 0, data)
                         : Binding::Output(DNNL_ARG_SRC, 0, data);
    builder.AddStep(dnnl::eltwise_forward(pd), pd,
                    {std::move(src), Binding::Output(DNNL_ARG_DST, 0, data)});
    if (i == 0) impl = ImplName(pd);
  }
  return std::move(builder).Build(impl, {layout});
}

KernelOr CreateEltwiseUnguarded(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(RequireF32(ctx));
  int present = 0;
  for (const ir::ValueInfo& in : ctx.input_infos) present += in.name.empty() ? 0 : 1;
  if (present != 1 || ctx.input_infos[0].name.empty()) {
    return Unsupported(ctx.node, "expects exactly one input");
  }
  if (ctx.input_infos[0].shape.NumElements() != ctx.output_infos[0].shape.NumElements()) {
    return absl::InvalidArgumentError(
        absl::StrCat(ctx.node.Describe(), ": output size differs from input"));
  }
  float alpha, beta;
  FP_RETURN_IF_ERROR(ReadParams(ctx.node, &alpha, &beta));
  auto steps = ActivationSteps(ctx.node.op_type, alpha, beta);
  if (!steps.ok()) return Unsupported(ctx.node, steps.status().message());
  return BuildEltwise(ctx, *steps);
}

}  // namespace

KernelOr CreateEltwise(const KernelContext& ctx) {
  return CatchDnnl(ctx.node.Describe(), Stage::kCreate,
                   [&] { return CreateEltwiseUnguarded(ctx); });
}

}  // namespace fixpoint::runtime::onednn
