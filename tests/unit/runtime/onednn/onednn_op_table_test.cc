// The oneDNN op table: which op types have a kernel, and Impl() naming.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "core/runtime/kernel_registry.h"
#include "tests/unit/runtime/onednn/kernel_test_util.h"

namespace fixpoint::runtime::onednn_test {
namespace {

TEST(OneDnnOpTableTest, ListsTheImplementedOps) {
  for (const char* op :
       {"Conv", "Gemm", "MatMul", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
        "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Exp", "Clip", "HardSigmoid", "HardSwish", "Elu",
        "Abs", "Sqrt", "Neg", "Add", "Sub", "Mul", "Div", "Min", "Max", "Softmax",
        "LogSoftmax", "BatchNormalization"}) {
    EXPECT_NE(FindOneDnnKernel(op), nullptr) << op;
  }
  // Log stays on the reference kernel: oneDNN 2.6 gives log(1) = -1.4e-6,
  // outside the ONNX backend tolerance.
  for (const char* op : {"Reshape", "Concat", "Pow", "Hardmax", "Log", "", "conv"}) {
    EXPECT_EQ(FindOneDnnKernel(op), nullptr) << op;
  }
}

TEST(OneDnnOpTableTest, ImplNamesTheOneDnnImplementation) {
  std::mt19937 rng(71);
  KernelCase c = MakeCase("Relu");
  c.Input(Random(ir::Shape{4, 8}, rng)).Output(ir::Shape{4, 8});
  std::string impl;
  ASSERT_TRUE(RunKernel(FindOneDnnKernel("Relu"), c, &impl).ok());
  EXPECT_EQ(impl.rfind("onednn:", 0), 0u) << impl;
}

}  // namespace
}  // namespace fixpoint::runtime::onednn_test
