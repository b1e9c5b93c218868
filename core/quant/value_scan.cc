#include "core/quant/value_scan.h"

#include <algorithm>
#include <cmath>
#include <limits>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace fixpoint::quant {
namespace {

// The scalar loop, also the tail of the vector one.
void ScanScalar(std::span<const float> values, ValueScan& scan) {
  for (float x : values) {
    if (!std::isfinite(x)) {
      scan.finite = false;
      continue;
    }
    scan.min = std::min(scan.min, x);
    scan.max = std::max(scan.max, x);
    scan.zeros += x == 0.0f;
  }
}

}  // namespace

ValueScan ScanValues(std::span<const float> values) {
  ValueScan scan;
  scan.min = std::numeric_limits<float>::infinity();
  scan.max = -std::numeric_limits<float>::infinity();
  size_t i = 0;
#if defined(__AVX2__)
  __m256 vmin = _mm256_set1_ps(scan.min);
  __m256 vmax = _mm256_set1_ps(scan.max);
  __m256i vzeros = _mm256_setzero_si256();  // per-lane counts, negated
  __m256 nonfinite = _mm256_setzero_ps();
  const __m256 exponent = _mm256_castsi256_ps(_mm256_set1_epi32(0x7f800000));
  const __m256 zero = _mm256_setzero_ps();
  // Per-lane zero counts stay below 2^31 within a block.
  constexpr size_t kBlock = size_t{1} << 30;
  while (i + 8 <= values.size()) {
    const size_t end = std::min(values.size() - values.size() % 8, i + kBlock);
    for (; i < end; i += 8) {
      const __m256 x = _mm256_loadu_ps(values.data() + i);
      // All exponent bits set: infinity or NaN.
      const __m256 e = _mm256_and_ps(x, exponent);
      nonfinite = _mm256_or_ps(nonfinite, _mm256_cmp_ps(e, exponent, _CMP_EQ_OQ));
      vmin = _mm256_min_ps(vmin, x);
      vmax = _mm256_max_ps(vmax, x);
      vzeros = _mm256_sub_epi32(vzeros, _mm256_castps_si256(_mm256_cmp_ps(x, zero, _CMP_EQ_OQ)));
    }
    alignas(32) int32_t counts[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(counts), vzeros);
    for (int32_t c : counts) scan.zeros += c;
    vzeros = _mm256_setzero_si256();
  }
  if (_mm256_movemask_ps(nonfinite) != 0) {
    scan.finite = false;
  } else {
    alignas(32) float lo[8];
    alignas(32) float hi[8];
    _mm256_store_ps(lo, vmin);
    _mm256_store_ps(hi, vmax);
    for (int k = 0; k < 8; ++k) {
      scan.min = std::min(scan.min, lo[k]);
      scan.max = std::max(scan.max, hi[k]);
    }
  }
#endif
  ScanScalar(values.subspan(i), scan);
  return scan;
}

}  // namespace fixpoint::quant
