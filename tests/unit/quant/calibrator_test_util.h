// Helpers shared by the calibrator tests: run a method over batches, split
// data into batches, deterministic data sets.
#ifndef FIXPOINT_TESTS_UNIT_QUANT_CALIBRATOR_TEST_UTIL_H_
#define FIXPOINT_TESTS_UNIT_QUANT_CALIBRATOR_TEST_UTIL_H_

#include <cmath>
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/quant/calibrator.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant::testing {

// Feeds every batch to a new `method` calibrator and returns its range.
inline absl::StatusOr<TensorRange> Calibrate(absl::string_view method,
                                             const CalibratorOptions& options,
                                             const std::vector<std::vector<float>>& batches) {
  FP_ASSIGN_OR_RETURN(std::unique_ptr<Calibrator> calibrator, CreateCalibrator(method, options));
  for (const std::vector<float>& batch : batches) {
    FP_RETURN_IF_ERROR(calibrator->Observe(batch));
  }
  return calibrator->Range();
}

// `values` in consecutive batches of `batch_size` (the last may be shorter).
inline std::vector<std::vector<float>> Batches(const std::vector<float>& values,
                                               size_t batch_size) {
  std::vector<std::vector<float>> batches;
  for (size_t i = 0; i < values.size(); i += batch_size) {
    const size_t end = std::min(values.size(), i + batch_size);
    batches.emplace_back(values.begin() + i, values.begin() + end);
  }
  return batches;
}

// n evenly spaced values from lo to hi inclusive.
inline std::vector<float> Linspace(double lo, double hi, size_t n) {
  std::vector<float> values(n);
  for (size_t i = 0; i < n; ++i) {
    values[i] = static_cast<float>(lo + (hi - lo) * static_cast<double>(i) / (n - 1));
  }
  return values;
}

// n quantiles of the exponential distribution with mean 1 (ascending,
// max about log(2n)): a peaked bulk with a long thin tail.
inline std::vector<float> ExponentialQuantiles(size_t n) {
  std::vector<float> values(n);
  for (size_t i = 0; i < n; ++i) {
    values[i] = static_cast<float>(-std::log(1.0 - (static_cast<double>(i) + 0.5) / n));
  }
  return values;
}

}  // namespace fixpoint::quant::testing

#endif  // FIXPOINT_TESTS_UNIT_QUANT_CALIBRATOR_TEST_UTIL_H_
