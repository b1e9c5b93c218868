// The f32 values of a tensor the runtime lets calibration observe in place
// (runtime::Session::RunObserved), in some order: calibrators summarize
// multisets, so a channels-last or blocked buffer serves as is, except that
// blocked channels padded up to the block need their padding left out.
// Thread-compatible (the scratch buffer).
#ifndef FIXPOINT_CORE_QUANT_OBSERVED_VALUES_H_
#define FIXPOINT_CORE_QUANT_OBSERVED_VALUES_H_

#include <span>
#include <vector>

#include "core/runtime/session.h"

namespace fixpoint::quant {

// Every element of the f32 `value` exactly once: the buffer itself, or, for
// nChw8c / nChw16c with a channel count that is not a multiple of the
// block, the real lanes copied into `scratch` (the result then points into
// it).
std::span<const float> ObservedFloats(const runtime::ObservedValue& value,
                                      std::vector<float>& scratch);

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_OBSERVED_VALUES_H_
