#include "core/ir/shape_inference.h"

#include "absl/strings/str_cat.h"
#include "core/ir/dim_math.h"
#include "core/ir/infer/infer_ops.h"
#include "core/util/status_macros.h"

namespace fixpoint::ir {
namespace {

// The InferContext of `node` from the values inferred so far.
absl::StatusOr<InferContext> MakeContext(const Graph& graph, const Node& node,
                                         const absl::flat_hash_map<std::string, ValueInfo>& known) {
  InferContext ctx;
  ctx.opset = graph.opset;
  for (const std::string& in : node.inputs) {
    if (in.empty()) {
      ctx.inputs.push_back(nullptr);
      ctx.constants.push_back(nullptr);
      continue;
    }
    auto it = known.find(in);
    if (it == known.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(node.Describe(), ": input '", in,
                       "' is not known (not a graph input, initializer or earlier output)"));
    }
    ctx.inputs.push_back(&it->second);
    ctx.constants.push_back(graph.FindInitializer(in));
  }
  return ctx;
}

}  // namespace

absl::StatusOr<std::vector<ValueInfo>> InferNodeOutputs(Node& node, const InferContext& ctx) {
  const infer::OpSpec* spec = infer::FindOpSpec(node.op_type);
  if (spec == nullptr) {
    return absl::UnimplementedError(absl::StrCat(node.Describe(), ": op is not supported"));
  }
  FP_RETURN_IF_ERROR(infer::CheckArity(node, *spec));
  for (int i = 0; i < static_cast<int>(node.inputs.size()); ++i) {
    if (node.HasInput(i) && infer::OptionalInput(ctx, i) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(node.Describe(), ": input ", i, " ('",
                                                     node.inputs[i], "') has no known type"));
    }
    if (const ValueInfo* in = infer::OptionalInput(ctx, i)) {
      FP_RETURN_IF_ERROR(CheckElementCount(
          in->shape,
          absl::StrCat(node.Describe(), ": input ", i, " ('", node.inputs[i], "') shape")));
    }
  }
  FP_ASSIGN_OR_RETURN(std::vector<ValueInfo> outputs, spec->infer(node, ctx));
  if (outputs.size() < node.outputs.size()) {
    return absl::InternalError(absl::StrCat(node.Describe(), ": inference produced ",
                                            outputs.size(), " outputs for ", node.outputs.size()));
  }
  // Optional outputs the node does not list (e.g. MaxPool Indices) are dropped.
  outputs.resize(node.outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    outputs[i].name = node.outputs[i];
    FP_RETURN_IF_ERROR(CheckElementCount(
        outputs[i].shape,
        absl::StrCat(node.Describe(), ": output ", i, " ('", node.outputs[i], "') shape")));
  }
  return outputs;
}

absl::Status InferShapes(Graph& graph) {
  // Built aside so that graph.value_info is untouched on failure.
  absl::flat_hash_map<std::string, ValueInfo> known;
  for (const ValueInfo& in : graph.inputs) {
    FP_RETURN_IF_ERROR(
        CheckElementCount(in.shape, absl::StrCat("graph input '", in.name, "' shape")));
    known[in.name] = in;
  }
  for (const auto& [name, tensor] : graph.initializers) {
    FP_RETURN_IF_ERROR(
        CheckElementCount(tensor.shape(), absl::StrCat("initializer '", name, "' shape")));
    known[name] = ValueInfo{name, tensor.dtype(), tensor.shape()};
  }
  for (Node& node : graph.nodes) {
    FP_ASSIGN_OR_RETURN(InferContext ctx, MakeContext(graph, node, known));
    FP_ASSIGN_OR_RETURN(std::vector<ValueInfo> outputs, InferNodeOutputs(node, ctx));
    for (ValueInfo& out : outputs) {
      if (!out.name.empty()) known[out.name] = std::move(out);
    }
  }
  graph.value_info = std::move(known);
  return absl::OkStatus();
}

bool IsSupportedOp(absl::string_view op_type) { return infer::FindOpSpec(op_type) != nullptr; }

std::vector<absl::string_view> SupportedOps() {
  std::vector<absl::string_view> ops;
  for (const infer::OpSpec& spec : infer::OpTable()) ops.push_back(spec.op_type);
  return ops;
}

}  // namespace fixpoint::ir
