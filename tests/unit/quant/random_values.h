// Random calibration-like data for the search tests (mse, entropy): values of
// a random shape and scale to fill a Histogram with.
#ifndef FIXPOINT_TESTS_UNIT_QUANT_RANDOM_VALUES_H_
#define FIXPOINT_TESTS_UNIT_QUANT_RANDOM_VALUES_H_

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace fixpoint::quant {

// Random data of a random shape: normal, ReLU'd normal (a spike at 0),
// exponential with outliers, a few distinct values, a narrow offset band, or
// a uniform range.
inline std::vector<float> RandomValues(std::mt19937& rng) {
  std::uniform_int_distribution<int> kind(0, 5);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double scale = std::exp(unit(rng) * 12.0 - 6.0);  // 2.5e-3 ... 400
  const size_t n = 50 + static_cast<size_t>(unit(rng) * 20000);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::exponential_distribution<double> exponential(1.0);
  std::vector<float> values(n);
  const int k = kind(rng);
  for (float& v : values) {
    double x = 0;
    switch (k) {
      case 0:
        x = normal(rng) + 0.3 * unit(rng);
        break;
      case 1:
        x = std::max(0.0, normal(rng));
        break;
      case 2:
        x = unit(rng) < 0.001 ? 40.0 * unit(rng) : exponential(rng);
        break;
      case 3:
        x = std::floor(unit(rng) * 5.0) - 1.0;
        break;
      case 4:
        x = 3.0 + 0.01 * normal(rng);
        break;
      default:
        x = 2.0 * unit(rng) - 0.5;
        break;
    }
    v = static_cast<float>(x * scale);
  }
  return values;
}

}  // namespace fixpoint::quant

#endif  // FIXPOINT_TESTS_UNIT_QUANT_RANDOM_VALUES_H_
