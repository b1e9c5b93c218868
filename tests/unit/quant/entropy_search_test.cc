// The entropy search from prefix sums against the bin-by-bin reference on
// random histograms: the same smallest divergence to 1e-9 relative, and
// nearly always the same range.
#include "core/quant/entropy_search.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "core/quant/histogram.h"
#include "tests/unit/quant/random_values.h"

namespace fixpoint::quant {
namespace {

TEST(EntropySearchTest, SumsMatchTheBinByBinReference) {
  std::mt19937 rng(20261126);
  int identical = 0, cases = 0;
  for (int trial = 0; trial < 36; ++trial) {
    Histogram histogram(trial % 6 == 0 ? 4096 : 512);  // the production size, sometimes
    histogram.Add(RandomValues(rng));
    for (bool symmetric : {true, false}) {
      ++cases;
      const EntropyChoice fast = EntropySearch(histogram, symmetric);
      const EntropyChoice direct = EntropySearch(histogram, symmetric, /*direct=*/true);
      EXPECT_NEAR(fast.kl, direct.kl, 1e-9 * std::abs(direct.kl) + 1e-12)
          << "trial " << trial << " symmetric " << symmetric;
      identical += fast.range == direct.range;
    }
  }
  std::printf("identical ranges: %d of %d\n", identical, cases);
  EXPECT_GE(identical, cases * 9 / 10);
}

}  // namespace
}  // namespace fixpoint::quant
