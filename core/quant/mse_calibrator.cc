// "mse": the clipping threshold that minimises the expected
// quantize-dequantize squared error, from the streaming histogram. The
// candidates and the error model are in mse_search.h.
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "core/quant/calibrator.h"
#include "core/quant/histogram_calibrator.h"
#include "core/quant/mse_search.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {
namespace {

class MseCalibrator final : public HistogramCalibrator {
 public:
  explicit MseCalibrator(const CalibratorOptions& options) : HistogramCalibrator(options) {}

  absl::StatusOr<TensorRange> RangeFromHistogram() const override {
    return MseRange(histogram_, options_.symmetric);
  }

  std::string Method() const override { return "mse"; }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Calibrator>> NewMseCalibrator(const CalibratorOptions& options) {
  FP_RETURN_IF_ERROR(ValidateHistogramOptions("mse", options));
  return std::make_unique<MseCalibrator>(options);
}

}  // namespace fixpoint::quant
