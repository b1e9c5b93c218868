// The explicit list of op types with a oneDNN fp32 kernel.
#include <utility>

#include "core/runtime/cpu/onednn/onednn_kernels.h"
#include "core/runtime/kernel_registry.h"

namespace fixpoint::runtime {
namespace {

using namespace onednn;  // NOLINT(build/namespaces): the table names factories.

constexpr std::pair<const char*, KernelFactory> kOneDnnKernels[] = {
    {"Conv", &CreateConv},
    {"Gemm", &CreateGemm},
    {"MatMul", &CreateMatMul},
    {"MaxPool", &CreatePool},
    {"AveragePool", &CreatePool},
    {"GlobalAveragePool", &CreatePool},
    {"GlobalMaxPool", &CreatePool},
    {"Relu", &CreateEltwise},
    {"LeakyRelu", &CreateEltwise},
    {"Sigmoid", &CreateEltwise},
    {"Tanh", &CreateEltwise},
    {"Exp", &CreateEltwise},
    {"Clip", &CreateEltwise},
    {"HardSigmoid", &CreateEltwise},
    {"HardSwish", &CreateEltwise},
    {"Elu", &CreateEltwise},
    {"Abs", &CreateEltwise},
    {"Sqrt", &CreateEltwise},
    {"Neg", &CreateEltwise},
    {"Add", &CreateBinary},
    {"Sub", &CreateBinary},
    {"Mul", &CreateBinary},
    {"Div", &CreateBinary},
    {"Min", &CreateBinary},
    {"Max", &CreateBinary},
    {"Softmax", &CreateSoftmax},
    {"LogSoftmax", &CreateSoftmax},
    {"BatchNormalization", &CreateBatchNorm},
};

}  // namespace

KernelFactory FindOneDnnKernel(absl::string_view op_type) {
  for (const auto& [name, factory] : kOneDnnKernels) {
    if (op_type == name) return factory;
  }
  return nullptr;
}

}  // namespace fixpoint::runtime
