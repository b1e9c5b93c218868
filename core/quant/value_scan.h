// One vectorized pass over a batch of calibration values: min, max, exact
// zeros and finiteness together, so that calibrators read each batch once
// before binning it. Pure function; thread-safe.
#ifndef FIXPOINT_CORE_QUANT_VALUE_SCAN_H_
#define FIXPOINT_CORE_QUANT_VALUE_SCAN_H_

#include <cstdint>
#include <span>

namespace fixpoint::quant {

struct ValueScan {
  // Extremes of the finite values (meaningless if `finite` is false or the
  // batch is empty).
  float min = 0.0f;
  float max = 0.0f;
  int64_t zeros = 0;   // values equal to 0 (+0 or -0)
  bool finite = true;  // no NaN or infinity
};

ValueScan ScanValues(std::span<const float> values);

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_VALUE_SCAN_H_
