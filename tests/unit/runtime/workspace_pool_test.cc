#include "core/runtime/workspace_pool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

namespace fixpoint::runtime {
namespace {

bool Aligned(const std::byte* p) { return reinterpret_cast<uintptr_t>(p) % 64 == 0; }

TEST(WorkspacePoolTest, ArenaAndScratchAreAlignedAndDisjoint) {
  WorkspacePool pool;
  auto lease = pool.Acquire(1000, 300);
  ASSERT_TRUE(lease.ok()) << lease.status();
  ASSERT_NE(lease->arena(), nullptr);
  ASSERT_NE(lease->scratch(), nullptr);
  EXPECT_TRUE(Aligned(lease->arena()));
  EXPECT_TRUE(Aligned(lease->scratch()));
  EXPECT_GE(lease->scratch(), lease->arena() + 1000);
  // Both are writable to their full size.
  std::memset(lease->arena(), 1, 1000);
  std::memset(lease->scratch(), 2, 300);
  EXPECT_EQ(static_cast<int>(lease->arena()[999]), 1);
}

TEST(WorkspacePoolTest, ZeroSizesGiveNull) {
  WorkspacePool pool;
  auto lease = pool.Acquire(0, 0);
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(lease->arena(), nullptr);
  EXPECT_EQ(lease->scratch(), nullptr);
  auto only_scratch = pool.Acquire(0, 128);
  ASSERT_TRUE(only_scratch.ok());
  EXPECT_EQ(only_scratch->arena(), nullptr);
  EXPECT_NE(only_scratch->scratch(), nullptr);
}

TEST(WorkspacePoolTest, AFinishedRunsBufferServesTheNextRun) {
  WorkspacePool pool;
  const std::byte* first = nullptr;
  {
    auto lease = pool.Acquire(1 << 20, 4096);
    ASSERT_TRUE(lease.ok());
    first = lease->arena();
    EXPECT_EQ(pool.idle(), 0u);
  }
  EXPECT_EQ(pool.idle(), 1u);
  auto again = pool.Acquire(1 << 19, 0);  // smaller: the same buffer
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->arena(), first);
  EXPECT_EQ(pool.idle(), 0u);
}

TEST(WorkspacePoolTest, TooSmallBufferIsGrown) {
  WorkspacePool pool;
  { ASSERT_TRUE(pool.Acquire(64, 0).ok()); }
  auto big = pool.Acquire(8 << 20, 64);
  ASSERT_TRUE(big.ok());
  std::memset(big->arena(), 3, 8 << 20);
  std::memset(big->scratch(), 4, 64);
  EXPECT_EQ(static_cast<int>(big->arena()[(8 << 20) - 1]), 3);
}

TEST(WorkspacePoolTest, RunsInFlightTogetherGetBuffersOfTheirOwn) {
  WorkspacePool pool;
  auto a = pool.Acquire(4096, 0);
  auto b = pool.Acquire(4096, 0);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_NE(a->arena(), b->arena());
  std::optional<WorkspacePool::Lease> moved(std::move(*a));
  EXPECT_EQ(pool.idle(), 0u);
  moved.reset();  // the moved-to lease returns the buffer, once
  EXPECT_EQ(pool.idle(), 1u);
}

TEST(WorkspacePoolTest, ReserveReadiesABufferPerConcurrentRun) {
  WorkspacePool pool;
  ASSERT_TRUE(pool.Reserve(4096, 256, 3).ok());
  EXPECT_EQ(pool.idle(), 3u);
  auto a = pool.Acquire(4096, 256);
  auto b = pool.Acquire(4000, 0);
  auto c = pool.Acquire(1, 1);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(pool.idle(), 0u);
  EXPECT_NE(a->arena(), b->arena());
  EXPECT_NE(b->arena(), c->arena());
  EXPECT_NE(a->arena(), c->arena());
}

TEST(WorkspacePoolTest, ConcurrentLeasesNeverShareABuffer) {
  WorkspacePool pool;
  constexpr int kThreads = 4;
  constexpr int kRounds = 200;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        auto lease = pool.Acquire(256 + 64 * ((t + r) % 5), 64);
        if (!lease.ok()) {
          ++failures[t];
          continue;
        }
        // Fill with this thread's mark; another holder would overwrite it.
        std::memset(lease->arena(), t + 1, 256);
        std::this_thread::yield();
        for (int i = 0; i < 256; ++i) {
          if (static_cast<int>(lease->arena()[i]) != t + 1) {
            ++failures[t];
            break;
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
  EXPECT_LE(pool.idle(), static_cast<size_t>(kThreads));
}

}  // namespace
}  // namespace fixpoint::runtime
