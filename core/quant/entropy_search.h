// The "entropy" method's threshold search over a Histogram (the algorithm is
// described in entropy_search.cc): two evaluations of one contract, like the
// mse search's: every candidate's KL divergence bin by bin (the reference),
// or from prefix sums, one logarithm per level instead of per bin. Pure
// functions; thread-safe.
#ifndef FIXPOINT_CORE_QUANT_ENTROPY_SEARCH_H_
#define FIXPOINT_CORE_QUANT_ENTROPY_SEARCH_H_

#include "core/quant/calibrator.h"
#include "core/quant/histogram.h"

namespace fixpoint::quant {

struct EntropyChoice {
  TensorRange range;
  double kl = 0;  // the smallest divergence, the chosen candidate's
};

// `histogram` must be non-empty with a non-zero range. `direct`: every KL
// bin by bin. The two agree on the smallest divergence to about 1e-12
// relative, and on the range except between candidates that close.
EntropyChoice EntropySearch(const Histogram& histogram, bool symmetric, bool direct = false);

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_ENTROPY_SEARCH_H_
