// "entropy": the clipping threshold that minimises the KL divergence between
// the observed distribution and its quantized version, TensorRT-style; the
// algorithm and its search are in entropy_search.h.
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "core/quant/calibrator.h"
#include "core/quant/entropy_search.h"
#include "core/quant/histogram_calibrator.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {
namespace {

class EntropyCalibrator final : public HistogramCalibrator {
 public:
  explicit EntropyCalibrator(const CalibratorOptions& options)
      : HistogramCalibrator(options) {}

  absl::StatusOr<TensorRange> RangeFromHistogram() const override {
    return EntropySearch(histogram_, options_.symmetric).range;
  }

  std::string Method() const override { return "entropy"; }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Calibrator>> NewEntropyCalibrator(const CalibratorOptions& options) {
  FP_RETURN_IF_ERROR(ValidateHistogramOptions("entropy", options));
  return std::make_unique<EntropyCalibrator>(options);
}

}  // namespace fixpoint::quant
