#include "tests/unit/runtime/onednn/kernel_test_util.h"

#include <cmath>
#include <cstdlib>
#include <memory>

#include "absl/strings/str_cat.h"
#include "core/runtime/fused_activation.h"
#include "core/runtime/kernel_registry.h"

namespace fixpoint::runtime::onednn_test {
namespace {

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

// The reference kernel, with a fused activation applied after it as the
// engine does (core/runtime/session_bind.cc).
absl::StatusOr<std::unique_ptr<Kernel>> ReferenceKernel(const KernelContext& ctx) {
  KernelFactory ref = FindReferenceKernel(ctx.node.op_type);
  if (ref == nullptr) return absl::NotFoundError("no reference kernel");
  if (!HasFusedActivation(ctx.node)) return ref(ctx);
  ir::Node plain = ctx.node;
  StripFusedActivation(plain);
  KernelContext plain_ctx{plain, ctx.input_infos, ctx.output_infos, ctx.constants, ctx.opset};
  auto inner = ref(plain_ctx);
  if (!inner.ok()) return inner.status();
  return WrapWithFusedActivation(ctx.node, std::move(*inner));
}


}  // namespace

KernelCase& KernelCase::Input(ir::Tensor t, bool is_constant) {
  node.inputs.push_back(absl::StrCat("in", inputs.size()));
  inputs.push_back(std::move(t));
  constant.resize(inputs.size() - 1);
  constant.push_back(is_constant);
  return *this;
}

KernelCase& KernelCase::AbsentInput() {
  node.inputs.push_back("");
  inputs.emplace_back();
  constant.resize(inputs.size(), false);
  return *this;
}

KernelCase& KernelCase::Output(ir::Shape shape) {
  node.outputs.push_back(absl::StrCat("out", output_shapes.size()));
  output_shapes.push_back(std::move(shape));
  return *this;
}

KernelContext KernelCase::Context() const {
  KernelContext ctx{node, {}, {}, {}, 13};
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].empty()) {
      ctx.input_infos.push_back(ir::ValueInfo{});
      ctx.constants.push_back(nullptr);
      continue;
    }
    ctx.input_infos.push_back(ir::ValueInfo{node.inputs[i], inputs[i].dtype(), inputs[i].shape()});
    const bool is_const = i < constant.size() && constant[i];
    ctx.constants.push_back(is_const ? &inputs[i] : nullptr);
  }
  for (size_t i = 0; i < output_shapes.size(); ++i) {
    ctx.output_infos.push_back(ir::ValueInfo{node.outputs[i], ir::DType::kF32, output_shapes[i]});
  }
  return ctx;
}

KernelCase MakeCase(const std::string& op_type) {
  KernelCase c;
  c.node = ir::Node{std::string("n"), op_type, {}, {}, {}};
  return c;
}

absl::StatusOr<std::vector<ir::Tensor>> RunKernel(KernelFactory factory, const KernelCase& c,
                                                  std::string* impl) {
  if (factory == nullptr) return absl::NotFoundError("no factory");
  const KernelContext ctx = c.Context();
  absl::StatusOr<std::unique_ptr<Kernel>> kernel = factory(ctx);
  if (!kernel.ok()) return kernel.status();
  if (impl != nullptr) *impl = (*kernel)->Impl();
  std::vector<ir::TensorView> in_views;
  for (const ir::Tensor& t : c.inputs) {
    in_views.push_back(t.empty() ? ir::TensorView{} : t.view());
  }
  std::vector<ir::Tensor> outputs;
  std::vector<ir::TensorView> out_views;
  for (const ir::ValueInfo& info : ctx.output_infos) outputs.emplace_back(info.dtype, info.shape);
  for (ir::Tensor& t : outputs) {
    // Garbage, so a kernel that leaves elements unwritten is caught.
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.NumElements(); ++i) p[i] = 12345.0f;
    out_views.push_back(t.view());
  }
  const size_t scratch_bytes = (*kernel)->ScratchBytes();
  std::unique_ptr<void, FreeDeleter> scratch(
      scratch_bytes == 0 ? nullptr : std::aligned_alloc(64, (scratch_bytes + 63) / 64 * 64));
  absl::Status status = (*kernel)->Run(KernelArgs{in_views, out_views, scratch.get()});
  if (!status.ok()) return status;
  return outputs;
}

absl::StatusOr<std::vector<ir::Tensor>> RunReference(const KernelCase& c) {
  return RunKernel(&ReferenceKernel, c);
}

::testing::AssertionResult AllClose(const ir::Tensor& actual, const ir::Tensor& expected) {
  if (actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure() << "shape " << actual.shape().ToString() << " vs "
                                         << expected.shape().ToString();
  }
  const float* a = actual.data<float>();
  const float* e = expected.data<float>();
  int64_t bad = 0, first = -1;
  for (int64_t i = 0; i < actual.NumElements(); ++i) {
    const bool both_nan = std::isnan(a[i]) && std::isnan(e[i]);
    const bool same_inf = std::isinf(e[i]) && a[i] == e[i];
    if (both_nan || same_inf) continue;
    if (!(std::fabs(a[i] - e[i]) <= 1e-4f * (1.0f + std::fabs(e[i])))) {
      if (first < 0) first = i;
      ++bad;
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << bad << " of " << actual.NumElements()
                                       << " elements differ; first at " << first << ": "
                                       << a[first] << " vs reference " << e[first];
}

::testing::AssertionResult MatchesReference(const KernelCase& c) {
  std::string impl;
  auto fast = RunKernel(FindOneDnnKernel(c.node.op_type), c, &impl);
  if (!fast.ok()) return ::testing::AssertionFailure() << "oneDNN: " << fast.status();
  auto ref = RunReference(c);
  if (!ref.ok()) return ::testing::AssertionFailure() << "reference: " << ref.status();
  for (size_t i = 0; i < ref->size(); ++i) {
    ::testing::AssertionResult r = AllClose((*fast)[i], (*ref)[i]);
    if (!r) return r << " (output " << i << ", impl " << impl << ")";
  }
  return ::testing::AssertionSuccess();
}

ir::Tensor Random(ir::Shape shape, std::mt19937& rng, float lo, float hi) {
  ir::Tensor t(ir::DType::kF32, std::move(shape));
  std::uniform_real_distribution<float> dist(lo, hi);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.NumElements(); ++i) p[i] = dist(rng);
  return t;
}

}  // namespace fixpoint::runtime::onednn_test
