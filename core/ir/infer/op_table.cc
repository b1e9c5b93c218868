// The supported op set: one row per op (docs/IR_OPS.md), sorted by op type.
// Adding an op = one row here + its inference function.
#include <algorithm>
#include <iterator>

#include "core/ir/infer/infer_ops.h"

namespace fixpoint::ir::infer {
namespace {

constexpr int kV = kVariadic;

// op_type, min/max inputs, min/max outputs, inference.
constexpr OpSpec kOps[] = {
    {"Abs", 1, 1, 1, 1, InferUnary},
    {"Add", 2, 2, 1, 1, InferBroadcastSameType},
    {"And", 2, 2, 1, 1, InferLogical},
    {"ArgMax", 1, 1, 1, 1, InferArgReduce},
    {"ArgMin", 1, 1, 1, 1, InferArgReduce},
    {"AveragePool", 1, 1, 1, 1, InferPool},
    {"BatchNormalization", 5, 5, 1, 1, InferBatchNorm},
    {"Cast", 1, 1, 1, 1, InferCast},
    {"Ceil", 1, 1, 1, 1, InferUnary},
    {"Clip", 1, 1, 1, 1, InferClip},
    {"Concat", 1, kV, 1, 1, InferConcat},
    {"ConstantOfShape", 0, 0, 1, 1, InferConstantOfShape},
    {"Conv", 2, 3, 1, 1, InferConv},
    {"ConvTranspose", 2, 3, 1, 1, InferConvTranspose},
    {"Cos", 1, 1, 1, 1, InferUnary},
    {"DepthToSpace", 1, 1, 1, 1, InferDepthToSpace},
    {"DequantizeLinear", 2, 3, 1, 1, InferDequantizeLinear},
    {"Div", 2, 2, 1, 1, InferBroadcastSameType},
    {"Dropout", 1, 3, 1, 2, InferDropout},
    {"Elu", 1, 1, 1, 1, InferUnary},
    {"Equal", 2, 2, 1, 1, InferCompare},
    {"Erf", 1, 1, 1, 1, InferUnary},
    {"Exp", 1, 1, 1, 1, InferUnary},
    {"Expand", 1, 1, 1, 1, InferExpand},
    {"Flatten", 1, 1, 1, 1, InferFlatten},
    {"Floor", 1, 1, 1, 1, InferUnary},
    {"Gather", 2, 2, 1, 1, InferGather},
    {"Gemm", 2, 3, 1, 1, InferGemm},
    {"GlobalAveragePool", 1, 1, 1, 1, InferGlobalPool},
    {"GlobalMaxPool", 1, 1, 1, 1, InferGlobalPool},
    {"Greater", 2, 2, 1, 1, InferCompare},
    {"GreaterOrEqual", 2, 2, 1, 1, InferCompare},
    {"HardSigmoid", 1, 1, 1, 1, InferUnary},
    {"HardSwish", 1, 1, 1, 1, InferUnary},
    {"Hardmax", 1, 1, 1, 1, InferSoftmax},
    {"Identity", 1, 1, 1, 1, InferUnary},
    {"InstanceNormalization", 3, 3, 1, 1, InferInstanceNorm},
    {"LRN", 1, 1, 1, 1, InferLRN},
    {"LeakyRelu", 1, 1, 1, 1, InferUnary},
    {"Less", 2, 2, 1, 1, InferCompare},
    {"LessOrEqual", 2, 2, 1, 1, InferCompare},
    {"Log", 1, 1, 1, 1, InferUnary},
    {"LogSoftmax", 1, 1, 1, 1, InferSoftmax},
    {"MatMul", 2, 2, 1, 1, InferMatMul},
    {"Max", 1, kV, 1, 1, InferBroadcastSameType},
    {"MaxPool", 1, 1, 1, 2, InferPool},
    {"Mean", 1, kV, 1, 1, InferBroadcastSameType},
    {"Min", 1, kV, 1, 1, InferBroadcastSameType},
    {"Mul", 2, 2, 1, 1, InferBroadcastSameType},
    {"Neg", 1, 1, 1, 1, InferUnary},
    {"Not", 1, 1, 1, 1, InferNot},
    {"Or", 2, 2, 1, 1, InferLogical},
    {"PRelu", 2, 2, 1, 1, InferPRelu},
    {"Pad", 1, 1, 1, 1, InferPad},
    {"Pow", 2, 2, 1, 1, InferPow},
    {"QGemm", 6, 9, 1, 1, InferQGemm},
    {"QLinearAdd", 8, 8, 1, 1, InferQLinearAdd},
    {"QLinearConv", 6, 10, 1, 1, InferQLinearConv},
    {"QuantizeLinear", 2, 3, 1, 1, InferQuantizeLinear},
    {"Reciprocal", 1, 1, 1, 1, InferUnary},
    {"ReduceL1", 1, 1, 1, 1, InferReduce},
    {"ReduceL2", 1, 1, 1, 1, InferReduce},
    {"ReduceLogSumExp", 1, 1, 1, 1, InferReduce},
    {"ReduceMax", 1, 1, 1, 1, InferReduce},
    {"ReduceMean", 1, 1, 1, 1, InferReduce},
    {"ReduceMin", 1, 1, 1, 1, InferReduce},
    {"ReduceProd", 1, 1, 1, 1, InferReduce},
    {"ReduceSum", 1, 1, 1, 1, InferReduce},
    {"ReduceSumSquare", 1, 1, 1, 1, InferReduce},
    {"Relu", 1, 1, 1, 1, InferUnary},
    {"Reshape", 1, 1, 1, 1, InferReshape},
    {"Resize", 1, 1, 1, 1, InferResize},
    {"Selu", 1, 1, 1, 1, InferUnary},
    {"Shape", 1, 1, 1, 1, InferShapeOp},
    {"Sigmoid", 1, 1, 1, 1, InferUnary},
    {"Sign", 1, 1, 1, 1, InferUnary},
    {"Sin", 1, 1, 1, 1, InferUnary},
    {"Size", 1, 1, 1, 1, InferSize},
    {"Slice", 1, 1, 1, 1, InferSlice},
    {"Softmax", 1, 1, 1, 1, InferSoftmax},
    {"Softplus", 1, 1, 1, 1, InferUnary},
    {"Softsign", 1, 1, 1, 1, InferUnary},
    {"SpaceToDepth", 1, 1, 1, 1, InferSpaceToDepth},
    {"Split", 1, 1, 1, kV, InferSplit},
    {"Sqrt", 1, 1, 1, 1, InferUnary},
    {"Squeeze", 1, 1, 1, 1, InferSqueeze},
    {"Sub", 2, 2, 1, 1, InferBroadcastSameType},
    {"Sum", 1, kV, 1, 1, InferBroadcastSameType},
    {"Tanh", 1, 1, 1, 1, InferUnary},
    {"Tile", 1, 1, 1, 1, InferTile},
    {"Transpose", 1, 1, 1, 1, InferTranspose},
    {"Unsqueeze", 1, 1, 1, 1, InferUnsqueeze},
    {"Where", 3, 3, 1, 1, InferWhere},
    {"Xor", 2, 2, 1, 1, InferLogical},
};

constexpr bool IsStrictlySorted() {
  for (size_t i = 1; i < std::size(kOps); ++i) {
    if (kOps[i - 1].op_type.compare(kOps[i].op_type) >= 0) return false;
  }
  return true;
}
// FindOpSpec binary-searches the table.
static_assert(IsStrictlySorted(), "kOps must be sorted by op_type without duplicates");

}  // namespace

absl::Span<const OpSpec> OpTable() { return absl::MakeConstSpan(kOps); }

const OpSpec* FindOpSpec(absl::string_view op_type) {
  const OpSpec* end = std::end(kOps);
  const OpSpec* it = std::lower_bound(
      std::begin(kOps), end, op_type,
      [](const OpSpec& spec, absl::string_view key) { return spec.op_type < key; });
  return (it != end && it->op_type == op_type) ? it : nullptr;
}

int PresentInputCount(const Node& node) {
  int n = static_cast<int>(node.inputs.size());
  while (n > 0 && node.inputs[n - 1].empty()) --n;
  return n;
}

absl::Status CheckArity(const Node& node, const OpSpec& spec) {
  auto range = [](int lo, int hi) {
    if (lo == hi) return absl::StrCat(lo);
    return hi == kVariadic ? absl::StrCat("at least ", lo) : absl::StrCat(lo, " to ", hi);
  };
  const int n_in = PresentInputCount(node);
  if (n_in < spec.min_inputs || n_in > spec.max_inputs) {
    return Invalid(node, "has ", n_in, " inputs, expected ",
                   range(spec.min_inputs, spec.max_inputs));
  }
  for (int i = 0; i < spec.min_inputs; ++i) {
    if (!node.HasInput(i)) return Invalid(node, "required input ", i, " is absent");
  }
  const int n_out = static_cast<int>(node.outputs.size());
  if (n_out < spec.min_outputs || n_out > spec.max_outputs) {
    return Invalid(node, "has ", n_out, " outputs, expected ",
                   range(spec.min_outputs, spec.max_outputs));
  }
  return absl::OkStatus();
}

}  // namespace fixpoint::ir::infer
