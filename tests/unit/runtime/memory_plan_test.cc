#include "core/runtime/memory_plan.h"

#include <gtest/gtest.h>

namespace fixpoint::runtime {
namespace {

bool Overlap(size_t a, size_t an, size_t b, size_t bn) { return a < b + bn && b < a + an; }

TEST(MemoryPlanTest, ChainReusesBytesOfDeadBuffers) {
  // a -> b -> c -> d: each buffer is read only by the next step.
  std::vector<BufferLifetime> bufs = {{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}, {1000, 3, 3}};
  MemoryPlan plan = PlanMemory(bufs);
  ASSERT_EQ(plan.offsets.size(), 4u);
  // Two live at a time at most -> two 1024-byte slots suffice.
  EXPECT_EQ(plan.arena_bytes, 2048u);
  EXPECT_EQ(plan.offsets[0], plan.offsets[2]);
}

TEST(MemoryPlanTest, LiveBuffersNeverOverlap) {
  std::vector<BufferLifetime> bufs;
  for (int i = 0; i < 40; ++i) {
    bufs.push_back({static_cast<size_t>(64 * (1 + (i * 7) % 13)), i % 10, i % 10 + (i % 4)});
  }
  MemoryPlan plan = PlanMemory(bufs);
  for (size_t i = 0; i < bufs.size(); ++i) {
    EXPECT_EQ(plan.offsets[i] % 64, 0u);
    EXPECT_LE(plan.offsets[i] + bufs[i].bytes, plan.arena_bytes);
    for (size_t j = i + 1; j < bufs.size(); ++j) {
      const bool live_together = !(bufs[i].last < bufs[j].first || bufs[j].last < bufs[i].first);
      if (live_together) {
        EXPECT_FALSE(Overlap(plan.offsets[i], bufs[i].bytes, plan.offsets[j], bufs[j].bytes))
            << i << " and " << j;
      }
    }
  }
}

TEST(MemoryPlanTest, OutputNeverAliasesInputReadAtSameStep) {
  // Buffer 0 is last read at step 1, where buffer 1 is produced.
  MemoryPlan plan = PlanMemory({{512, 0, 1}, {512, 1, 2}});
  EXPECT_NE(plan.offsets[0], plan.offsets[1]);
}

TEST(MemoryPlanTest, EmptyPlan) {
  MemoryPlan plan = PlanMemory({});
  EXPECT_EQ(plan.arena_bytes, 0u);
}

}  // namespace
}  // namespace fixpoint::runtime
