#include <gtest/gtest.h>

#include <string>

#include "core/ir/shape_inference.h"
#include "core/runtime/kernel_registry.h"
#include "tests/unit/runtime/ref/ref_test_util.h"

namespace fixpoint::runtime::ref::testing {
namespace {

TEST(RefOpTableTest, EverySupportedOpHasAReferenceKernel) {
  for (absl::string_view op : ir::SupportedOps()) {
    EXPECT_NE(FindReferenceKernel(op), nullptr) << op;
  }
}

TEST(RefOpTableTest, UnknownOpsHaveNone) {
  EXPECT_EQ(FindReferenceKernel("NoSuchOp"), nullptr);
  EXPECT_EQ(FindReferenceKernel(""), nullptr);
  EXPECT_EQ(FindReferenceKernel("relu"), nullptr);  // case-sensitive
  EXPECT_EQ(FindReferenceKernel("Zzz"), nullptr);
}

TEST(RefOpTableTest, KernelsReportRefImpl) {
  auto k = CreateRef(MakeNode("Relu"), {F32({2}, {1, -1})}, {{DType::kF32, {2}}});
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ((*k)->Impl(), "ref");
}

TEST(RefOpTableTest, MalformedNodeIsInvalidArgumentNamingTheNode) {
  auto k = CreateRef(MakeNode("Softmax", {{"axis", int64_t{5}}}), {F32({2}, {1, 2})},
                     {{DType::kF32, {2}}});
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(k.status().message()).find("Softmax 'n'"), std::string::npos) << k.status();
}

}  // namespace
}  // namespace fixpoint::runtime::ref::testing
