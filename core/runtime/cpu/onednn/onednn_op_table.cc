// The explicit list of op types with a oneDNN fp32 kernel.

#include "absl/strings/str_cat.h"
#include "core/runtime/cpu/onednn/onednn_kernels.h"
#include "core/runtime/cpu/onednn/onednn_util.h"
#include "core/runtime/kernel_registry.h"

namespace fixpoint::runtime {
namespace {

using namespace onednn;  // NOLINT(build/namespaces): the table names factories.

struct OneDnnOp {
  const char* name;
  KernelFactory factory;
  bool reads_blocked;  // layout-aware (see kernel_registry.h)
};

constexpr OneDnnOp kOneDnnKernels[] = {
    {"Conv", &CreateConv, true},
    {"Gemm", &CreateGemm, false},
    {"MatMul", &CreateMatMul, false},
    {"MaxPool", &CreatePool, true},
    {"AveragePool", &CreatePool, true},
    {"GlobalAveragePool", &CreatePool, true},
    {"GlobalMaxPool", &CreatePool, true},
    {"Relu", &CreateEltwise, true},
    {"LeakyRelu", &CreateEltwise, true},
    {"Sigmoid", &CreateEltwise, true},
    {"Tanh", &CreateEltwise, true},
    {"Exp", &CreateEltwise, true},
    {"Clip", &CreateEltwise, true},
    {"HardSigmoid", &CreateEltwise, true},
    {"HardSwish", &CreateEltwise, true},
    {"Elu", &CreateEltwise, true},
    {"Abs", &CreateEltwise, true},
    {"Sqrt", &CreateEltwise, true},
    {"Neg", &CreateEltwise, true},
    {"Add", &CreateBinary, true},
    {"Sub", &CreateBinary, true},
    {"Mul", &CreateBinary, true},
    {"Div", &CreateBinary, true},
    {"Min", &CreateBinary, true},
    {"Max", &CreateBinary, true},
    {"Softmax", &CreateSoftmax, false},
    {"LogSoftmax", &CreateSoftmax, false},
    {"BatchNormalization", &CreateBatchNorm, true},
    {"QLinearConv", &CreateQLinearConv, true},
    {"QGemm", &CreateQGemm, false},
    {"QLinearAdd", &CreateQLinearAdd, true},
    {"QuantizeLinear", &CreateQuantizeLinear, true},
    {"DequantizeLinear", &CreateDequantizeLinear, true},
};

}  // namespace

KernelFactory FindOneDnnKernel(absl::string_view op_type) {
  for (const OneDnnOp& op : kOneDnnKernels) {
    if (op_type == op.name) return op.factory;
  }
  return nullptr;
}

std::string OneDnnVersion() {
  const dnnl::version_t* v = dnnl::version();
  return absl::StrCat(v->major, ".", v->minor, ".", v->patch);
}

bool OneDnnReadsBlockedLayouts(absl::string_view op_type) {
  for (const OneDnnOp& op : kOneDnnKernels) {
    if (op_type == op.name) return op.reads_blocked;
  }
  return false;
}

absl::StatusOr<std::unique_ptr<Kernel>> MakeToPlainKernel(const ir::Node& node,
                                                         const ir::ValueInfo& info,
                                                         Layout from) {
  return CreateToPlainReorder(node, info, from);
}

}  // namespace fixpoint::runtime
