#include "core/quant/observed_values.h"

#include <algorithm>
#include <cstdint>

namespace fixpoint::quant {

std::span<const float> ObservedFloats(const runtime::ObservedValue& value,
                                      std::vector<float>& scratch) {
  const ir::TensorView& view = value.view;
  const auto* data = static_cast<const float*>(view.data);
  const int64_t count = view.NumElements();
  const int64_t block = value.channel_block;
  if (count == 0 || block == 0 || view.shape.rank() < 2 || view.shape[1] % block == 0) {
    return {data, static_cast<size_t>(count)};
  }
  // nChw{block}c: [N][ceil(C / block)][spatial][block].
  const int64_t channels = view.shape[1];
  const int64_t blocks = (channels + block - 1) / block;
  const int64_t spatial = channels == 0 ? 0 : count / (view.shape[0] * channels);
  scratch.clear();
  for (int64_t n = 0; n < view.shape[0]; ++n) {
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t lanes = std::min(block, channels - b * block);
      const float* base = data + ((n * blocks + b) * spatial) * block;
      for (int64_t p = 0; p < spatial; ++p) {
        scratch.insert(scratch.end(), base + p * block, base + p * block + lanes);
      }
    }
  }
  return scratch;
}

}  // namespace fixpoint::quant
