#include "core/quant/output_error.h"

#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace fixpoint::quant {

absl::Status OutputSqnr::Add(std::span<const ir::Tensor> reference,
                             std::span<const ir::Tensor> quantized) {
  if (reference.size() != quantized.size()) {
    return absl::InvalidArgumentError("the graphs have different output counts");
  }
  for (size_t k = 0; k < reference.size(); ++k) {
    const ir::Tensor& f = reference[k];
    const ir::Tensor& q = quantized[k];
    if (f.dtype() != ir::DType::kF32) continue;
    if (q.dtype() != ir::DType::kF32 || q.NumElements() != f.NumElements()) {
      return absl::InvalidArgumentError(
          absl::StrCat("output ", k, " differs in type or size between the graphs"));
    }
    const float* fv = f.data<float>();
    const float* qv = q.data<float>();
    for (int64_t i = 0; i < f.NumElements(); ++i) {
      const double d = static_cast<double>(qv[i]) - fv[i];
      signal_ += static_cast<double>(fv[i]) * fv[i];
      noise_ += d * d;
    }
  }
  return absl::OkStatus();
}

double OutputSqnr::Db() const {
  return noise_ == 0 ? std::numeric_limits<double>::infinity()
                     : 10 * std::log10(signal_ / noise_);
}

}  // namespace fixpoint::quant
