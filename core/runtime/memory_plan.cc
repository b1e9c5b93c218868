#include "core/runtime/memory_plan.h"

#include <algorithm>
#include <map>
#include <cstdint>
#include <limits>
#include <numeric>

namespace fixpoint::runtime {
namespace {

constexpr size_t kAlign = 64;
size_t AlignUp(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }
constexpr size_t kNone = std::numeric_limits<size_t>::max();

}  // namespace

MemoryPlan PlanMemory(const std::vector<BufferLifetime>& buffers) {
  MemoryPlan plan;
  plan.offsets.assign(buffers.size(), 0);
  // Place buffers in order of their first step; among those live at the same
  // time, find the lowest gap that fits (offset-sorted scan).
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (buffers[a].first != buffers[b].first) return buffers[a].first < buffers[b].first;
    return buffers[a].bytes > buffers[b].bytes;
  });
  std::vector<size_t> placed;
  for (size_t id : order) {
    const BufferLifetime& buf = buffers[id];
    const size_t size = AlignUp(std::max<size_t>(buf.bytes, 1));
    // Live neighbours: placed buffers whose lifetime overlaps this one.
    std::vector<std::pair<size_t, size_t>> busy;  // [offset, end)
    for (size_t other : placed) {
      const BufferLifetime& o = buffers[other];
      if (o.last < buf.first || buf.last < o.first) continue;
      busy.emplace_back(plan.offsets[other],
                        plan.offsets[other] + AlignUp(std::max<size_t>(o.bytes, 1)));
    }
    std::sort(busy.begin(), busy.end());
    size_t best = kNone, best_gap = kNone, cursor = 0;
    for (const auto& [begin, end] : busy) {
      if (begin > cursor && begin - cursor >= size && begin - cursor < best_gap) {
        best = cursor;
        best_gap = begin - cursor;
      }
      cursor = std::max(cursor, end);
    }
    if (best == kNone) best = cursor;
    plan.offsets[id] = best;
    plan.arena_bytes = std::max(plan.arena_bytes, best + size);
    placed.push_back(id);
  }
  return plan;
}

}  // namespace fixpoint::runtime
