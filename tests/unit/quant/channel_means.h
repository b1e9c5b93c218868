// Test helper: the mean of an f32 tensor over every axis but 1 (the channel
// axis of [N, C, ...] and [M, N]), in double.
#ifndef FIXPOINT_TESTS_UNIT_QUANT_CHANNEL_MEANS_H_
#define FIXPOINT_TESTS_UNIT_QUANT_CHANNEL_MEANS_H_

#include <cstdint>
#include <vector>

#include "core/ir/tensor.h"

namespace fixpoint::quant::testing {

inline std::vector<double> ChannelMeans(const ir::Tensor& t) {
  const int64_t n = t.shape()[0], c = t.shape()[1];
  const int64_t inner = n * c > 0 ? t.NumElements() / (n * c) : 0;
  std::vector<double> mean(c, 0.0);
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t k = 0; k < c; ++k) {
      for (int64_t i = 0; i < inner; ++i) mean[k] += t.data<float>()[(b * c + k) * inner + i];
    }
  }
  for (double& m : mean) m /= static_cast<double>(n * inner);
  return mean;
}

}  // namespace fixpoint::quant::testing

#endif  // FIXPOINT_TESTS_UNIT_QUANT_CHANNEL_MEANS_H_
