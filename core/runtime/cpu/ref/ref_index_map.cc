#include "core/runtime/cpu/ref/ref_index_map.h"

#include <cstring>
#include <utility>

namespace fixpoint::runtime::ref {
namespace {

template <typename U>
absl::Status RunIndexMap(const IndexMap& m, const KernelArgs& args) {
  const U* x = args.inputs[0].As<const U>();
  U* y = args.outputs[0].As<U>();
  U fill{};
  if (!m.fill.empty()) std::memcpy(&fill, m.fill.data(), sizeof(U));
  const int r = static_cast<int>(m.tables.size());
  if (r == 0) {
    y[0] = x[0];
    return absl::OkStatus();
  }
  std::vector<int64_t> dims(r), idx(r, 0);
  for (int d = 0; d < r; ++d) dims[d] = static_cast<int64_t>(m.tables[d].size());
  for (int d = 0; d < r; ++d) {
    if (dims[d] == 0) return absl::OkStatus();
  }
  const std::vector<int64_t>& last = m.tables[r - 1];
  const int64_t n = dims[r - 1];
  do {
    int64_t base = 0;
    bool outside = false;
    for (int d = 0; d + 1 < r; ++d) {
      const int64_t t = m.tables[d][idx[d]];
      outside |= t < 0;
      base += t;
    }
    if (outside) {
      for (int64_t i = 0; i < n; ++i) y[i] = fill;
    } else {
      for (int64_t i = 0; i < n; ++i) y[i] = last[i] < 0 ? fill : x[base + last[i]];
    }
    y += n;
  } while (NextIndex(idx, dims, r - 1));
  return absl::OkStatus();
}

}  // namespace

KernelOr MakeIndexMapKernel(const KernelContext& ctx, IndexMap map) {
  int64_t count = 1;
  for (const auto& t : map.tables) count *= static_cast<int64_t>(t.size());
  const ir::ValueInfo& y = ctx.output_infos[0];
  if (count != y.shape.NumElements()) {
    return InvalidArg(ctx, "output ", y.shape.ToString(), " does not match the op's geometry (",
                      count, " elements)");
  }
  if (y.dtype != ctx.input_infos[0].dtype) return InvalidArg(ctx, "output dtype must match input");
  const size_t esize = ir::DTypeSize(y.dtype);
  if (!map.fill.empty() && map.fill.size() != esize) return InvalidArg(ctx, "bad fill value");
  return VisitElementSize(esize, [&]<typename U>(Tag<U>) -> KernelOr {
    return MakeKernel(
        [m = std::move(map)](const KernelArgs& args) { return RunIndexMap<U>(m, args); });
  });
}

}  // namespace fixpoint::runtime::ref
