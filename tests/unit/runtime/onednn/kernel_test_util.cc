#include "tests/unit/runtime/onednn/kernel_test_util.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
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
  if (!HasFusedActivation(ctx.node) || IsIntegerOp(ctx.node.op_type)) return ref(ctx);
  ir::Node plain = ctx.node;
  StripFusedActivation(plain);
  KernelContext plain_ctx{plain, ctx.input_infos, ctx.output_infos, ctx.constants, ctx.opset,
                            ctx.input_layouts};
  auto inner = ref(plain_ctx);
  if (!inner.ok()) return inner.status();
  return WrapWithFusedActivation(ctx.node, std::move(*inner));
}

using AlignedFloats = std::unique_ptr<float, FreeDeleter>;

AlignedFloats AllocFloats(size_t bytes) {
  return AlignedFloats(static_cast<float*>(std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64)));
}

// Calls fn(n, c, h, w, plain_index) for every element of a rank-4 shape.
template <typename Fn>
void ForEachNchw(const ir::Shape& s, Fn fn) {
  int64_t i = 0;
  for (int64_t n = 0; n < s[0]; ++n)
    for (int64_t c = 0; c < s[1]; ++c)
      for (int64_t h = 0; h < s[2]; ++h)
        for (int64_t w = 0; w < s[3]; ++w) fn(n, c, h, w, i++);
}

// `plain` laid out in `layout`, channel padding zero.
AlignedFloats ToLayout(const ir::Tensor& plain, Layout layout) {
  const size_t bytes = PhysicalBytes(layout, plain.shape(), plain.dtype());
  AlignedFloats out = AllocFloats(bytes);
  std::memset(out.get(), 0, bytes);
  const float* src = plain.data<float>();
  ForEachNchw(plain.shape(), [&](int64_t n, int64_t c, int64_t h, int64_t w, int64_t i) {
    out.get()[LayoutOffset(layout, plain.shape(), n, c, h, w)] = src[i];
  });
  return out;
}

}  // namespace

absl::StatusOr<ir::Tensor> PlainFromLayout(const float* data, Layout layout,
                                           const ir::Shape& shape, ir::DType dtype) {
  ir::Tensor plain(dtype, shape);
  if (layout == Layout::kPlain) {
    std::memcpy(plain.raw(), data, plain.ByteSize());
    return plain;
  }
  if (shape.rank() != 4) return absl::InternalError("non-plain output of rank != 4");
  const size_t elem = ir::DTypeSize(dtype);
  const size_t count = PhysicalBytes(layout, shape, dtype) / elem;
  std::vector<bool> real(count, false);
  const auto* src = reinterpret_cast<const std::byte*>(data);
  auto* dst = static_cast<std::byte*>(plain.raw());
  ForEachNchw(shape, [&](int64_t n, int64_t c, int64_t h, int64_t w, int64_t i) {
    const int64_t at = LayoutOffset(layout, shape, n, c, h, w);
    std::memcpy(dst + i * elem, src + at * elem, elem);
    real[at] = true;
  });
  for (size_t i = 0; i < count && dtype == ir::DType::kF32; ++i) {
    if (!real[i] && data[i] != 0.0f) {
      return absl::InternalError(absl::StrCat("channel padding at float ", i, " is ", data[i]));
    }
  }
  return plain;
}

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

KernelCase& KernelCase::Output(ir::Shape shape, ir::DType dtype) {
  node.outputs.push_back(absl::StrCat("out", output_shapes.size()));
  output_shapes.push_back(std::move(shape));
  output_dtypes.push_back(dtype);
  return *this;
}

KernelContext KernelCase::Context() const {
  KernelContext ctx{node, {}, {}, {}, 13, input_layouts};
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
    const ir::DType dtype = i < output_dtypes.size() ? output_dtypes[i] : ir::DType::kF32;
    ctx.output_infos.push_back(ir::ValueInfo{node.outputs[i], dtype, output_shapes[i]});
  }
  return ctx;
}

KernelCase MakeCase(const std::string& op_type) {
  KernelCase c;
  c.node = ir::Node{std::string("n"), op_type, {}, {}, {}};
  return c;
}

absl::StatusOr<std::vector<ir::Tensor>> RunKernel(AnyFactory factory, const KernelCase& c,
                                                  std::string* impl) {
  const KernelContext ctx = c.Context();
  absl::StatusOr<std::unique_ptr<Kernel>> kernel = factory(ctx);
  if (!kernel.ok()) return kernel.status();
  if (impl != nullptr) *impl = (*kernel)->Impl();
  std::vector<AlignedFloats> in_buffers;
  std::vector<ir::TensorView> in_views;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const ir::Tensor& t = c.inputs[i];
    if (t.empty()) {
      in_views.push_back(ir::TensorView{});
    } else if (ctx.InputLayout(i) == Layout::kPlain) {
      in_views.push_back(t.view());
    } else {
      in_buffers.push_back(ToLayout(t, ctx.InputLayout(i)));
      in_views.push_back(ir::TensorView{t.dtype(), t.shape(), in_buffers.back().get()});
    }
  }
  std::vector<AlignedFloats> out_buffers;
  std::vector<ir::TensorView> out_views;
  for (size_t i = 0; i < ctx.output_infos.size(); ++i) {
    const ir::ValueInfo& info = ctx.output_infos[i];
    const size_t bytes = PhysicalBytes((*kernel)->OutputLayout(i), info.shape, info.dtype);
    out_buffers.push_back(AllocFloats(bytes));
    // Garbage, so a kernel that leaves elements (or padding) unwritten is caught.
    float* p = out_buffers.back().get();
    for (size_t k = 0; k < bytes / sizeof(float); ++k) p[k] = 12345.0f;
    out_views.push_back(ir::TensorView{info.dtype, info.shape, p});
  }
  const size_t scratch_bytes = (*kernel)->ScratchBytes();
  std::unique_ptr<void, FreeDeleter> scratch(
      scratch_bytes == 0 ? nullptr : std::aligned_alloc(64, (scratch_bytes + 63) / 64 * 64));
  absl::Status status = (*kernel)->Run(KernelArgs{in_views, out_views, scratch.get()});
  if (!status.ok()) return status;
  std::vector<ir::Tensor> outputs;
  for (size_t i = 0; i < ctx.output_infos.size(); ++i) {
    auto plain = PlainFromLayout(out_buffers[i].get(), (*kernel)->OutputLayout(i),
                                 ctx.output_infos[i].shape, ctx.output_infos[i].dtype);
    if (!plain.ok()) return plain.status();
    outputs.push_back(std::move(*plain));
  }
  return outputs;
}

int64_t LayoutOffset(Layout layout, const ir::Shape& shape, int64_t n, int64_t c, int64_t h,
                     int64_t w) {
  const int64_t C = shape[1], H = shape[2], W = shape[3];
  switch (layout) {
    case Layout::kPlain: return ((n * C + c) * H + h) * W + w;
    case Layout::kNhwc: return ((n * H + h) * W + w) * C + c;
    case Layout::kNChw8c:
    case Layout::kNChw16c: {
      const int64_t b = layout == Layout::kNChw8c ? 8 : 16;
      const int64_t blocks = (C + b - 1) / b;
      return (((n * blocks + c / b) * H + h) * W + w) * b + c % b;
    }
  }
  return -1;
}

absl::StatusOr<std::vector<ir::Tensor>> RunReference(const KernelCase& c) {
  KernelCase plain = c;  // the reference reads plain inputs only
  plain.input_layouts.clear();
  return RunKernel(&ReferenceKernel, plain);
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
  KernelFactory factory = FindOneDnnKernel(c.node.op_type);
  if (factory == nullptr) return ::testing::AssertionFailure() << "no oneDNN kernel";
  auto fast = RunKernel(factory, c, &impl);
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
