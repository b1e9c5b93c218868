// A reference kernel that builds its output by per-dimension index tables:
// Transpose, Slice, Pad, Expand, Tile, DepthToSpace, SpaceToDepth and nearest
// Resize are all "output element o reads input element sum_d table[d][o_d]".
// Works for every dtype (moves elements by size). Thread-safe (immutable).
#ifndef FIXPOINT_CORE_RUNTIME_CPU_REF_REF_INDEX_MAP_H_
#define FIXPOINT_CORE_RUNTIME_CPU_REF_REF_INDEX_MAP_H_

#include <cstddef>
#include <vector>

#include "core/runtime/cpu/ref/ref_util.h"

namespace fixpoint::runtime::ref {

// Output (viewed row-major with one dim per table, which may differ from the
// output's declared rank) element (o_0, ..., o_r-1) is input element
// sum_d tables[d][o_d], or the fill element when any tables[d][o_d] < 0.
struct IndexMap {
  std::vector<std::vector<int64_t>> tables;
  std::vector<std::byte> fill;  // one element of the dtype; needed only with negative entries
};

// The kernel copying input 0 to output 0 through `map`. INVALID_ARGUMENT
// naming the node unless the tables cover exactly the output's elements.
KernelOr MakeIndexMapKernel(const KernelContext& ctx, IndexMap map);

}  // namespace fixpoint::runtime::ref

#endif  // FIXPOINT_CORE_RUNTIME_CPU_REF_REF_INDEX_MAP_H_
