// Reference kernels that move bytes without looking at values (so every dtype
// works): Identity, Dropout, Reshape, Flatten, Squeeze, Unsqueeze, Concat,
// Split, Gather; and the shape-derived Shape, Size, ConstantOfShape.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "core/runtime/cpu/ref/ref_kernels.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::ref {

KernelOr CreateCopy(const KernelContext& ctx) {
  const bool dropout = ctx.node.op_type == "Dropout";
  FP_RETURN_IF_ERROR(CheckArity(ctx, 1, dropout ? 3 : 1));
  const ir::ValueInfo& x = ctx.input_infos[0];
  const ir::ValueInfo& y = ctx.output_infos[0];
  if (y.dtype != x.dtype || y.shape.NumElements() != x.shape.NumElements()) {
    return InvalidArg(ctx, "cannot view ", ir::DTypeName(x.dtype), x.shape.ToString(), " as ",
                      ir::DTypeName(y.dtype), y.shape.ToString());
  }
  // An (unused) Dropout mask output is all true at inference.
  const bool mask = dropout && ctx.output_infos.size() > 1;
  return MakeKernel([mask](const KernelArgs& args) {
    const size_t bytes = args.outputs[0].ByteSize();
    if (bytes > 0) std::memcpy(args.outputs[0].data, args.inputs[0].data, bytes);
    if (mask && args.outputs[1].data != nullptr) {
      std::memset(args.outputs[1].data, 1, args.outputs[1].ByteSize());
    }
    return absl::OkStatus();
  });
}

namespace {

// Concat/Split geometry: `outer` blocks, each holding every part's
// `part_bytes[i]` bytes in order.
struct Blocks {
  int64_t outer = 1;
  std::vector<size_t> part_bytes;
};

// Blocks of `parts` joined along `axis` into `whole` (all of dtype t).
absl::StatusOr<Blocks> MakeBlocks(const KernelContext& ctx, const ir::ValueInfo& whole,
                                  const std::vector<ir::ValueInfo>& parts) {
  FP_ASSIGN_OR_RETURN(const int64_t axis_attr, ctx.node.GetInt("axis", 0));
  const int rank = whole.shape.rank();
  FP_ASSIGN_OR_RETURN(const int axis, NormalizeAxis(ctx, axis_attr, rank));
  Blocks b;
  b.outer = Product(whole.shape.dims(), 0, axis);
  const int64_t inner = Product(whole.shape.dims(), axis + 1, rank);
  int64_t total = 0;
  for (const ir::ValueInfo& p : parts) {
    if (p.dtype != whole.dtype || p.shape.rank() != rank) {
      return InvalidArg(ctx, "part ", p.name, " differs in dtype or rank");
    }
    for (int d = 0; d < rank; ++d) {
      if (d != axis && p.shape.dim(d) != whole.shape.dim(d)) {
        return InvalidArg(ctx, "part ", p.shape.ToString(), " does not fit ",
                          whole.shape.ToString());
      }
    }
    total += p.shape.dim(axis);
    b.part_bytes.push_back(static_cast<size_t>(p.shape.dim(axis) * inner) *
                           ir::DTypeSize(whole.dtype));
  }
  if (total != whole.shape.dim(axis)) return InvalidArg(ctx, "parts do not add up along the axis");
  return b;
}

}  // namespace

KernelOr CreateConcat(const KernelContext& ctx) {
  const int n = static_cast<int>(ctx.input_infos.size());
  if (n < 1) return InvalidArg(ctx, "needs at least one input");
  FP_RETURN_IF_ERROR(CheckArity(ctx, n, n));
  FP_ASSIGN_OR_RETURN(const Blocks b, MakeBlocks(ctx, ctx.output_infos[0], ctx.input_infos));
  return MakeKernel([b](const KernelArgs& args) {
    auto* y = static_cast<std::byte*>(args.outputs[0].data);
    for (int64_t o = 0; o < b.outer; ++o) {
      for (size_t i = 0; i < b.part_bytes.size(); ++i) {
        const auto* x = static_cast<const std::byte*>(args.inputs[i].data);
        if (b.part_bytes[i] > 0) std::memcpy(y, x + o * b.part_bytes[i], b.part_bytes[i]);
        y += b.part_bytes[i];
      }
    }
    return absl::OkStatus();
  });
}

KernelOr CreateSplit(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 1, 1));
  FP_ASSIGN_OR_RETURN(const Blocks b, MakeBlocks(ctx, ctx.input_infos[0], ctx.output_infos));
  return MakeKernel([b](const KernelArgs& args) {
    const auto* x = static_cast<const std::byte*>(args.inputs[0].data);
    for (int64_t o = 0; o < b.outer; ++o) {
      for (size_t i = 0; i < b.part_bytes.size(); ++i) {
        auto* y = static_cast<std::byte*>(args.outputs[i].data);
        if (y != nullptr && b.part_bytes[i] > 0)
          std::memcpy(y + o * b.part_bytes[i], x, b.part_bytes[i]);
        x += b.part_bytes[i];
      }
    }
    return absl::OkStatus();
  });
}

namespace {

struct GatherGeometry {
  int64_t outer = 1, n = 1, count = 0;  // count: number of indices
  size_t chunk = 0;                     // bytes per gathered slice
  bool i32 = false;
  std::string where;
};

absl::Status RunGather(const GatherGeometry& g, const KernelArgs& args) {
  std::vector<int64_t> idx(g.count);
  for (int64_t j = 0; j < g.count; ++j) {
    const int64_t raw =
        g.i32 ? args.inputs[1].As<const int32_t>()[j] : args.inputs[1].As<const int64_t>()[j];
    const int64_t v = raw < 0 ? raw + g.n : raw;
    if (v < 0 || v >= g.n) {
      return absl::InvalidArgumentError(
          absl::StrCat(g.where, ": index ", raw, " out of range [", -g.n, ", ", g.n, ")"));
    }
    idx[j] = v;
  }
  if (g.chunk == 0) return absl::OkStatus();
  const auto* x = static_cast<const std::byte*>(args.inputs[0].data);
  auto* y = static_cast<std::byte*>(args.outputs[0].data);
  for (int64_t o = 0; o < g.outer; ++o) {
    for (int64_t j = 0; j < g.count; ++j) {
      std::memcpy(y, x + (o * g.n + idx[j]) * g.chunk, g.chunk);
      y += g.chunk;
    }
  }
  return absl::OkStatus();
}

}  // namespace

KernelOr CreateGather(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 2, 2));
  const ir::ValueInfo& data = ctx.input_infos[0];
  const ir::ValueInfo& indices = ctx.input_infos[1];
  if (indices.dtype != ir::DType::kI32 && indices.dtype != ir::DType::kI64) {
    return InvalidArg(ctx, "indices must be i32 or i64");
  }
  const int rank = data.shape.rank();
  FP_ASSIGN_OR_RETURN(const int64_t axis_attr, ctx.node.GetInt("axis", 0));
  FP_ASSIGN_OR_RETURN(const int axis, NormalizeAxis(ctx, axis_attr, rank));
  GatherGeometry g;
  g.outer = Product(data.shape.dims(), 0, axis);
  g.n = data.shape.dim(axis);
  g.count = indices.shape.NumElements();
  g.chunk =
      static_cast<size_t>(Product(data.shape.dims(), axis + 1, rank)) * ir::DTypeSize(data.dtype);
  g.i32 = indices.dtype == ir::DType::kI32;
  g.where = ctx.node.Describe();
  const ir::ValueInfo& y = ctx.output_infos[0];
  if (y.dtype != data.dtype ||
      y.shape.NumElements() != g.outer * g.count * Product(data.shape.dims(), axis + 1, rank)) {
    return InvalidArg(ctx, "output ", y.shape.ToString(), " does not match the gather");
  }
  return MakeKernel([g](const KernelArgs& args) { return RunGather(g, args); });
}

KernelOr CreateShape(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 1, 1));
  const std::vector<int64_t>& dims = ctx.input_infos[0].shape.dims();
  const int64_t rank = static_cast<int64_t>(dims.size());
  FP_ASSIGN_OR_RETURN(int64_t start, ctx.node.GetInt("start", 0));
  FP_ASSIGN_OR_RETURN(int64_t end, ctx.node.GetInt("end", rank));
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  const std::vector<int64_t> values(dims.begin() + start, dims.begin() + end);
  const ir::ValueInfo& y = ctx.output_infos[0];
  if (y.dtype != ir::DType::kI64 || y.shape != ir::Shape{static_cast<int64_t>(values.size())}) {
    return InvalidArg(ctx, "output must be i64[", values.size(), "]");
  }
  return MakeKernel([values](const KernelArgs& args) {
    std::copy(values.begin(), values.end(), args.outputs[0].As<int64_t>());
    return absl::OkStatus();
  });
}

KernelOr CreateSize(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 1, 1));
  const int64_t n = ctx.input_infos[0].shape.NumElements();
  if (ctx.output_infos[0].dtype != ir::DType::kI64 ||
      ctx.output_infos[0].shape.NumElements() != 1) {
    return InvalidArg(ctx, "output must be an i64 scalar");
  }
  return MakeKernel([n](const KernelArgs& args) {
    *args.outputs[0].As<int64_t>() = n;
    return absl::OkStatus();
  });
}

KernelOr CreateConstantOfShape(const KernelContext& ctx) {
  FP_RETURN_IF_ERROR(CheckArity(ctx, 0, 1));
  ir::Tensor value = ir::Tensor::FromF32(ir::Shape{1}, std::vector<float>{0.0f});
  if (ctx.node.HasAttr("value")) {
    FP_ASSIGN_OR_RETURN(const ir::Tensor* v, ctx.node.GetTensor("value"));
    if (v->NumElements() != 1) return InvalidArg(ctx, "attribute 'value' must hold one element");
    value = *v;
  }
  if (ctx.output_infos[0].dtype != value.dtype()) {
    return InvalidArg(ctx, "output dtype differs from the value's");
  }
  const size_t esize = ir::DTypeSize(value.dtype());
  std::vector<std::byte> bytes(esize);
  std::memcpy(bytes.data(), value.raw(), esize);
  return MakeKernel([bytes, esize](const KernelArgs& args) {
    auto* y = static_cast<std::byte*>(args.outputs[0].data);
    const int64_t n = args.outputs[0].NumElements();
    for (int64_t i = 0; i < n; ++i) std::memcpy(y + i * esize, bytes.data(), esize);
    return absl::OkStatus();
  });
}

}  // namespace fixpoint::runtime::ref
