#include "core/runtime/cpu/ref/ref_util.h"

#include <cmath>

#include <utility>

namespace fixpoint::runtime::ref {
namespace {

class FnKernel : public Kernel {
 public:
  FnKernel(RunFn fn, size_t scratch_bytes) : fn_(std::move(fn)), scratch_bytes_(scratch_bytes) {}
  size_t ScratchBytes() const override { return scratch_bytes_; }
  absl::Status Run(const KernelArgs& args) const override { return fn_(args); }
  std::string Impl() const override { return "ref"; }

 private:
  const RunFn fn_;
  const size_t scratch_bytes_;
};

}  // namespace

std::unique_ptr<Kernel> MakeKernel(RunFn fn, size_t scratch_bytes) {
  return std::make_unique<FnKernel>(std::move(fn), scratch_bytes);
}

absl::Status UnsupportedDType(const KernelContext& ctx, ir::DType t) {
  return Unimplemented(ctx, "dtype ", ir::DTypeName(t),
                       " is not supported by the reference kernel");
}

bool HasInput(const KernelContext& ctx, int i) {
  return i >= 0 && i < static_cast<int>(ctx.input_infos.size()) && !ctx.input_infos[i].name.empty();
}

absl::Status CheckArity(const KernelContext& ctx, int min_inputs, int max_inputs, int min_outputs) {
  for (int i = 0; i < min_inputs; ++i) {
    if (!HasInput(ctx, i)) return InvalidArg(ctx, "input ", i, " is required");
  }
  for (int i = max_inputs; i < static_cast<int>(ctx.input_infos.size()); ++i) {
    if (HasInput(ctx, i)) return InvalidArg(ctx, "at most ", max_inputs, " inputs allowed");
  }
  if (static_cast<int>(ctx.output_infos.size()) < min_outputs) {
    return InvalidArg(ctx, "expected ", min_outputs, " output(s)");
  }
  return absl::OkStatus();
}

absl::Status CheckInputDType(const KernelContext& ctx, int i, ir::DType want) {
  const ir::DType got = ctx.input_infos[i].dtype;
  if (got == want) return absl::OkStatus();
  return InvalidArg(ctx, "input ", i, " has dtype ", ir::DTypeName(got), ", expected ",
                    ir::DTypeName(want));
}

absl::StatusOr<int> NormalizeAxis(const KernelContext& ctx, int64_t axis, int rank) {
  if (axis < -rank || axis >= rank) {
    return InvalidArg(ctx, "axis ", axis, " out of range for rank ", rank);
  }
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

int64_t Product(const std::vector<int64_t>& dims, int begin, int end) {
  int64_t p = 1;
  for (int i = begin; i < end; ++i) p *= dims[i];
  return p;
}

absl::StatusOr<BroadcastPlan> MakeBroadcastPlan(const KernelContext& ctx, const ir::Shape& out,
                                                const std::vector<ir::Shape>& inputs) {
  const int r = out.rank();
  const size_t k = inputs.size();
  // Per input, right-aligned dims padded with 1s; broadcast flags.
  std::vector<std::vector<int64_t>> in_dims(k, std::vector<int64_t>(r, 1));
  for (size_t i = 0; i < k; ++i) {
    const int ri = inputs[i].rank();
    if (ri > r) return InvalidArg(ctx, "input rank ", ri, " exceeds output rank ", r);
    for (int d = 0; d < ri; ++d) {
      const int64_t v = inputs[i].dim(d), o = out.dim(r - ri + d);
      if (v != o && v != 1) {
        return InvalidArg(ctx, "shape ", inputs[i].ToString(), " does not broadcast to ",
                          out.ToString());
      }
      in_dims[i][r - ri + d] = v;
    }
  }
  // Merge adjacent dims where each input is broadcast in both or in neither.
  BroadcastPlan p;
  std::vector<std::vector<bool>> bcast(k);
  for (int d = 0; d < r; ++d) {
    if (out.dim(d) == 1) continue;  // size-1 dims merge with anything
    const bool can_merge = !p.dims.empty() && [&] {
      for (size_t i = 0; i < k; ++i) {
        if (bcast[i].back() != (in_dims[i][d] == 1)) return false;
      }
      return true;
    }();
    if (can_merge) {
      p.dims.back() *= out.dim(d);
    } else {
      p.dims.push_back(out.dim(d));
      for (size_t i = 0; i < k; ++i) bcast[i].push_back(in_dims[i][d] == 1);
    }
  }
  if (p.dims.empty()) {
    p.dims.push_back(1);
    for (size_t i = 0; i < k; ++i) bcast[i].push_back(false);
  }
  p.count = out.NumElements();
  p.strides.assign(k, std::vector<int64_t>(p.dims.size(), 0));
  for (size_t i = 0; i < k; ++i) {
    int64_t s = 1;
    for (int d = static_cast<int>(p.dims.size()) - 1; d >= 0; --d) {
      if (!bcast[i][d]) {
        p.strides[i][d] = s;
        s *= p.dims[d];
      }
    }
  }
  return p;
}

double RoundHalfEven(double x) {
  if (!std::isfinite(x)) return x;
  const double lower = std::floor(x);
  const double diff = x - lower;  // exact
  if (diff != 0.5) return diff < 0.5 ? lower : lower + 1.0;
  return std::fmod(lower, 2.0) == 0.0 ? lower : lower + 1.0;
}

}  // namespace fixpoint::runtime::ref
