// Reference Softmax, LogSoftmax and Hardmax (f32) along `axis` (opset-13
// semantics), or over the 2-D coercion at `axis` when `coerce_2d`=1 (opset < 13
// models; default axis 1 there). Exponential sums accumulate in double.
#include <cmath>
#include <limits>
#include <string>

#include "core/runtime/cpu/ref/ref_kernels.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::ref {
namespace {

enum class Kind { kSoftmax, kLogSoftmax, kHardmax };

struct SoftmaxGeometry {
  int64_t outer = 1, n = 1, inner = 1;
  Kind kind = Kind::kSoftmax;
};

// One softmax row of n elements at stride s.
void SoftmaxRow(const float* x, float* y, int64_t n, int64_t s, Kind kind) {
  double mx = -std::numeric_limits<double>::infinity();
  int64_t arg = 0;
  for (int64_t j = 0; j < n; ++j) {
    if (x[j * s] > mx) {
      mx = x[j * s];
      arg = j;
    }
  }
  if (kind == Kind::kHardmax) {
    for (int64_t j = 0; j < n; ++j) y[j * s] = j == arg ? 1.0f : 0.0f;
    return;
  }
  double sum = 0;
  for (int64_t j = 0; j < n; ++j) sum += std::exp(x[j * s] - mx);
  if (kind == Kind::kLogSoftmax) {
    const double lse = mx + std::log(sum);
    for (int64_t j = 0; j < n; ++j) y[j * s] = static_cast<float>(x[j * s] - lse);
  } else {
    for (int64_t j = 0; j < n; ++j) y[j * s] = static_cast<float>(std::exp(x[j * s] - mx) / sum);
  }
}

}  // namespace

KernelOr CreateSoftmax(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 1, 1));
  FP_RETURN_IF_ERROR(CheckInputDType(ctx, 0, ir::DType::kF32));
  const ir::Shape& x = ctx.input_infos[0].shape;
  if (ctx.output_infos[0].shape != x) return InvalidArg(ctx, "output shape must match input");
  FP_ASSIGN_OR_RETURN(const int64_t coerce, ctx.node.GetInt("coerce_2d", 0));
  FP_ASSIGN_OR_RETURN(const int64_t axis_attr, ctx.node.GetInt("axis", coerce ? 1 : -1));
  FP_ASSIGN_OR_RETURN(const int axis, NormalizeAxis(ctx, axis_attr, x.rank()));
  SoftmaxGeometry g;
  const std::string& op = ctx.node.op_type;
  g.kind =
      op == "LogSoftmax" ? Kind::kLogSoftmax : (op == "Hardmax" ? Kind::kHardmax : Kind::kSoftmax);
  g.outer = Product(x.dims(), 0, axis);
  g.n = coerce ? Product(x.dims(), axis, x.rank()) : x.dim(axis);
  g.inner = coerce ? 1 : Product(x.dims(), axis + 1, x.rank());
  return MakeKernel([g](const KernelArgs& args) {
    const float* x = args.inputs[0].As<const float>();
    float* y = args.outputs[0].As<float>();
    for (int64_t o = 0; o < g.outer; ++o) {
      for (int64_t i = 0; i < g.inner; ++i) {
        const int64_t base = o * g.n * g.inner + i;
        SoftmaxRow(x + base, y + base, g.n, g.inner, g.kind);
      }
    }
    return absl::OkStatus();
  });
}

}  // namespace fixpoint::runtime::ref
