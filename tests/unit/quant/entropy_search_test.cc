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

namespace fixpoint::quant {
namespace {

// Normal, ReLU'd normal with a zero spike, exponential with rare outliers
// (sparse tails: smoothing matters), a few distinct values (mostly empty
// bins: the bin-by-bin fallback), or a uniform band.
std::vector<float> RandomValues(std::mt19937& rng) {
  std::uniform_int_distribution<int> kind(0, 4);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::exponential_distribution<double> exponential(1.0);
  const double scale = std::exp(unit(rng) * 8.0 - 4.0);
  const size_t n = 200 + static_cast<size_t>(unit(rng) * 30000);
  std::vector<float> values(n);
  const int k = kind(rng);
  for (float& v : values) {
    double x = 0;
    switch (k) {
      case 0:
        x = normal(rng);
        break;
      case 1:
        x = std::max(0.0, normal(rng));
        break;
      case 2:
        x = unit(rng) < 0.002 ? 30.0 * unit(rng) : exponential(rng);
        break;
      case 3:
        x = std::floor(unit(rng) * 6.0) - 2.0;
        break;
      default:
        x = 2.0 * unit(rng) - 0.3;
        break;
    }
    v = static_cast<float>(x * scale);
  }
  return values;
}

TEST(EntropySearchTest, SumsMatchTheBinByBinReference) {
  std::mt19937 rng(20261126);
  int identical = 0, cases = 0;
  for (int trial = 0; trial < 48; ++trial) {
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
