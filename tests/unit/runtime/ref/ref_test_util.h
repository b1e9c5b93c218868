// Test helpers for the reference kernels: build a node and a KernelContext by
// hand (explicit output shapes, no shape inference), run the op's reference
// kernel on small tensors and compare with hand-computed values.
#ifndef FIXPOINT_TESTS_UNIT_RUNTIME_REF_REF_TEST_UTIL_H_
#define FIXPOINT_TESTS_UNIT_RUNTIME_REF_REF_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/ir/graph.h"
#include "core/runtime/kernel.h"
#include "core/runtime/kernel_registry.h"

namespace fixpoint::runtime::ref::testing {

using ir::DType;
using ir::Shape;
using ir::Tensor;

template <typename T>
Tensor Make(DType t, Shape shape, const std::vector<T>& values) {
  Tensor out(t, std::move(shape));
  EXPECT_EQ(static_cast<size_t>(out.NumElements()), values.size());
  const size_t bytes = std::min(out.ByteSize(), values.size() * sizeof(T));
  if (bytes > 0) std::memcpy(out.raw(), values.data(), bytes);
  return out;
}
inline Tensor F32(Shape s, const std::vector<float>& v) { return Make(DType::kF32, s, v); }
inline Tensor I64(Shape s, const std::vector<int64_t>& v) { return Make(DType::kI64, s, v); }
inline Tensor I32(Shape s, const std::vector<int32_t>& v) { return Make(DType::kI32, s, v); }
inline Tensor I8(Shape s, const std::vector<int8_t>& v) { return Make(DType::kI8, s, v); }
inline Tensor U8(Shape s, const std::vector<uint8_t>& v) { return Make(DType::kU8, s, v); }
inline Tensor Bool(Shape s, const std::vector<uint8_t>& v) { return Make(DType::kBool, s, v); }
// An absent optional input.
inline Tensor Absent() { return Tensor(); }

struct Out {
  DType dtype;
  Shape shape;
};

inline ir::Node MakeNode(const std::string& op, std::map<std::string, ir::Attribute> attrs = {}) {
  ir::Node n;
  n.name = "n";
  n.op_type = op;
  n.attrs = std::move(attrs);
  return n;
}

// Creates the reference kernel of `node` for `inputs` (an empty Tensor is an
// absent input; inputs flagged in `constant` are also passed as constants).
inline absl::StatusOr<std::unique_ptr<Kernel>> CreateRef(const ir::Node& node,
                                                         const std::vector<Tensor>& inputs,
                                                         const std::vector<Out>& outputs) {
  KernelFactory f = FindReferenceKernel(node.op_type);
  if (f == nullptr) return absl::NotFoundError(node.op_type);
  KernelContext ctx{node, {}, {}, {}, 13, {}};
  for (size_t i = 0; i < inputs.size(); ++i) {
    const bool present = !inputs[i].empty();
    ctx.input_infos.push_back(
        {present ? absl::StrCat("in", i) : "", inputs[i].dtype(), inputs[i].shape()});
    ctx.constants.push_back(present ? &inputs[i] : nullptr);
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    ctx.output_infos.push_back({absl::StrCat("out", i), outputs[i].dtype, outputs[i].shape});
  }
  return f(ctx);
}

// Runs the kernel with outputs and scratch pre-filled with 0xFF garbage (NaN
// for floats) so unwritten elements show.
inline absl::StatusOr<std::vector<Tensor>> RunKernel(const Kernel& k,
                                                     const std::vector<Tensor>& inputs,
                                                     const std::vector<Out>& outputs) {
  std::vector<ir::TensorView> in_views, out_views;
  for (const Tensor& t : inputs) {
    in_views.push_back(t.empty() ? ir::TensorView{} : t.view());
  }
  std::vector<Tensor> outs;
  for (const Out& o : outputs) {
    outs.emplace_back(o.dtype, o.shape);
    std::memset(outs.back().raw(), 0xFF, outs.back().ByteSize());
  }
  for (const Tensor& t : outs) out_views.push_back(t.view());
  const size_t scratch_bytes = k.ScratchBytes();
  std::unique_ptr<void, decltype(&std::free)> scratch(
      std::aligned_alloc(64, (scratch_bytes + 64) / 64 * 64), &std::free);
  std::memset(scratch.get(), 0xFF, scratch_bytes);
  absl::Status s = k.Run(KernelArgs{in_views, out_views, scratch.get()});
  if (!s.ok()) return s;
  return outs;
}

inline absl::StatusOr<std::vector<Tensor>> RunRef(const ir::Node& node,
                                                  const std::vector<Tensor>& inputs,
                                                  const std::vector<Out>& outputs) {
  auto k = CreateRef(node, inputs, outputs);
  if (!k.ok()) return k.status();
  return RunKernel(**k, inputs, outputs);
}

// Single-output convenience: fails the test on error.
inline Tensor Run1(const ir::Node& node, const std::vector<Tensor>& inputs, Out out) {
  auto r = RunRef(node, inputs, {out});
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return Tensor(out.dtype, out.shape);
  return std::move((*r)[0]);
}

inline std::vector<double> Values(const Tensor& t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.NumElements(); ++i) v.push_back(t.GetAsDouble(i));
  return v;
}

// Every element within `tol` of `want` (NaN matches NaN, inf matches inf).
inline void ExpectNear(const Tensor& got, const std::vector<double>& want, double tol = 1e-5) {
  ASSERT_EQ(static_cast<size_t>(got.NumElements()), want.size()) << got.DebugString();
  for (size_t i = 0; i < want.size(); ++i) {
    const double g = got.GetAsDouble(static_cast<int64_t>(i));
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(g)) << "element " << i;
      continue;
    }
    if (g == want[i]) continue;  // also infinities
    EXPECT_NEAR(g, want[i], tol) << "element " << i << " of " << got.DebugString(64);
  }
}

// Exact comparison (integers, bools, exactly representable floats).
inline void ExpectEq(const Tensor& got, const std::vector<double>& want) {
  EXPECT_EQ(Values(got), want) << got.DebugString(64);
}

}  // namespace fixpoint::runtime::ref::testing

#endif  // FIXPOINT_TESTS_UNIT_RUNTIME_REF_REF_TEST_UTIL_H_
