// Test helpers for the oneDNN kernels: a node with concrete inputs
// (`KernelCase`), running a kernel factory on it, and comparing a oneDNN
// kernel against the reference kernel. Thread-compatible.
#ifndef FIXPOINT_TESTS_UNIT_RUNTIME_ONEDNN_KERNEL_TEST_UTIL_H_
#define FIXPOINT_TESTS_UNIT_RUNTIME_ONEDNN_KERNEL_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "core/ir/graph.h"
#include "core/runtime/kernel.h"

namespace fixpoint::runtime::onednn_test {

// One node bound to concrete inputs. An empty (default) tensor is an absent
// optional input.
struct KernelCase {
  ir::Node node;
  std::vector<ir::Tensor> inputs;
  std::vector<bool> constant;  // per input; missing entries mean false
  std::vector<ir::Shape> output_shapes;
  std::vector<ir::DType> output_dtypes;  // parallel to output_shapes
  // Layout each input is handed to the kernel in (missing = kPlain);
  // RunKernel converts the plain tensors in `inputs` accordingly.
  std::vector<Layout> input_layouts;

  // Convenience: adds input i (named "in<i>").
  KernelCase& Input(ir::Tensor t, bool is_constant = false);
  KernelCase& AbsentInput();
  KernelCase& Output(ir::Shape shape, ir::DType dtype = ir::DType::kF32);

  // A context referring to this case (valid while the case lives).
  KernelContext Context() const;
};

// A case for `op_type` (node named "n").
KernelCase MakeCase(const std::string& op_type);

// Creates a kernel with `factory` and runs it once on the case's inputs.
// `impl` receives Kernel::Impl() when not null. Outputs the kernel writes in
// a non-plain layout are converted back to plain (by index arithmetic, not by
// oneDNN); INTERNAL if a blocked output's channel padding is not zero.
using AnyFactory = absl::FunctionRef<absl::StatusOr<std::unique_ptr<Kernel>>(const KernelContext&)>;
absl::StatusOr<std::vector<ir::Tensor>> RunKernel(AnyFactory factory, const KernelCase& c,
                                                  std::string* impl = nullptr);
// Runs the reference kernel for the case.
absl::StatusOr<std::vector<ir::Tensor>> RunReference(const KernelCase& c);

// `data` (a value of `shape` and `dtype` in `layout`) as a plain tensor;
// INTERNAL when f32 blocked channel padding is not zero.
absl::StatusOr<ir::Tensor> PlainFromLayout(const float* data, Layout layout,
                                           const ir::Shape& shape,
                                           ir::DType dtype = ir::DType::kF32);

// The element offset of (n, c, h, w) of an [N, C, H, W] value in `layout`.
int64_t LayoutOffset(Layout layout, const ir::Shape& shape, int64_t n, int64_t c, int64_t h,
                     int64_t w);

// Elementwise |a - b| <= 1e-4 * (1 + |b|) (b is the reference), same shapes.
::testing::AssertionResult AllClose(const ir::Tensor& actual, const ir::Tensor& expected);
// Runs the oneDNN kernel for the op and the reference, and compares outputs.
// Fails when the oneDNN factory refuses the case.
::testing::AssertionResult MatchesReference(const KernelCase& c);

// Uniform random f32 tensor in [lo, hi).
ir::Tensor Random(ir::Shape shape, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f);

}  // namespace fixpoint::runtime::onednn_test

#endif  // FIXPOINT_TESTS_UNIT_RUNTIME_ONEDNN_KERNEL_TEST_UTIL_H_
