// The reference kernel of every op in docs/IR_OPS.md: an explicit table
// sorted by op type (checked by a unit test), searched by bisection.
#include <algorithm>
#include <iterator>

#include "core/runtime/cpu/ref/ref_kernels.h"
#include "core/runtime/kernel_registry.h"

namespace fixpoint::runtime {
namespace {

struct Entry {
  absl::string_view op_type;
  KernelFactory factory;
};

using namespace ref;  // NOLINT(build/namespaces): the table names factories

constexpr Entry kTable[] = {
    {"Abs", CreateUnary},
    {"Add", CreateBinary},
    {"And", CreateBinary},
    {"ArgMax", CreateArgMinMax},
    {"ArgMin", CreateArgMinMax},
    {"AveragePool", CreatePool},
    {"BatchNormalization", CreateBatchNormalization},
    {"Cast", CreateCast},
    {"Ceil", CreateUnary},
    {"Clip", CreateClip},
    {"Concat", CreateConcat},
    {"ConstantOfShape", CreateConstantOfShape},
    {"Conv", CreateConv},
    {"ConvTranspose", CreateConvTranspose},
    {"Cos", CreateUnary},
    {"DepthToSpace", CreateDepthToSpace},
    {"DequantizeLinear", CreateDequantizeLinear},
    {"Div", CreateBinary},
    {"Dropout", CreateCopy},
    {"Elu", CreateUnary},
    {"Equal", CreateBinary},
    {"Erf", CreateUnary},
    {"Exp", CreateUnary},
    {"Expand", CreateExpand},
    {"Flatten", CreateCopy},
    {"Floor", CreateUnary},
    {"Gather", CreateGather},
    {"Gemm", CreateGemm},
    {"GlobalAveragePool", CreateGlobalPool},
    {"GlobalMaxPool", CreateGlobalPool},
    {"Greater", CreateBinary},
    {"GreaterOrEqual", CreateBinary},
    {"HardSigmoid", CreateUnary},
    {"HardSwish", CreateUnary},
    {"Hardmax", CreateSoftmax},
    {"Identity", CreateCopy},
    {"InstanceNormalization", CreateInstanceNormalization},
    {"LRN", CreateLrn},
    {"LeakyRelu", CreateUnary},
    {"Less", CreateBinary},
    {"LessOrEqual", CreateBinary},
    {"Log", CreateUnary},
    {"LogSoftmax", CreateSoftmax},
    {"MatMul", CreateMatMul},
    {"Max", CreateVariadic},
    {"MaxPool", CreatePool},
    {"Mean", CreateVariadic},
    {"Min", CreateVariadic},
    {"Mul", CreateBinary},
    {"Neg", CreateUnary},
    {"Not", CreateUnary},
    {"Or", CreateBinary},
    {"PRelu", CreatePRelu},
    {"Pad", CreatePad},
    {"Pow", CreateBinary},
    {"QGemm", CreateQGemm},
    {"QLinearAdd", CreateQLinearAdd},
    {"QLinearConv", CreateQLinearConv},
    {"QuantizeLinear", CreateQuantizeLinear},
    {"Reciprocal", CreateUnary},
    {"ReduceL1", CreateReduce},
    {"ReduceL2", CreateReduce},
    {"ReduceLogSumExp", CreateReduce},
    {"ReduceMax", CreateReduce},
    {"ReduceMean", CreateReduce},
    {"ReduceMin", CreateReduce},
    {"ReduceProd", CreateReduce},
    {"ReduceSum", CreateReduce},
    {"ReduceSumSquare", CreateReduce},
    {"Relu", CreateUnary},
    {"Reshape", CreateCopy},
    {"Resize", CreateResize},
    {"Selu", CreateUnary},
    {"Shape", CreateShape},
    {"Sigmoid", CreateUnary},
    {"Sign", CreateUnary},
    {"Sin", CreateUnary},
    {"Size", CreateSize},
    {"Slice", CreateSlice},
    {"Softmax", CreateSoftmax},
    {"Softplus", CreateUnary},
    {"Softsign", CreateUnary},
    {"SpaceToDepth", CreateSpaceToDepth},
    {"Split", CreateSplit},
    {"Sqrt", CreateUnary},
    {"Squeeze", CreateCopy},
    {"Sub", CreateBinary},
    {"Sum", CreateVariadic},
    {"Tanh", CreateUnary},
    {"Tile", CreateTile},
    {"Transpose", CreateTranspose},
    {"Unsqueeze", CreateCopy},
    {"Where", CreateWhere},
    {"Xor", CreateBinary},
};

constexpr bool IsStrictlySorted() {
  for (size_t i = 1; i < std::size(kTable); ++i) {
    if (kTable[i - 1].op_type.compare(kTable[i].op_type) >= 0) return false;
  }
  return true;
}
// FindReferenceKernel bisects the table.
static_assert(IsStrictlySorted(), "kTable must be sorted by op_type without duplicates");

}  // namespace

KernelFactory FindReferenceKernel(absl::string_view op_type) {
  const Entry* end = std::end(kTable);
  const Entry* it =
      std::lower_bound(std::begin(kTable), end, op_type,
                       [](const Entry& e, absl::string_view op) { return e.op_type < op; });
  return it != end && it->op_type == op_type ? it->factory : nullptr;
}

}  // namespace fixpoint::runtime
