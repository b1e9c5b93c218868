// The text form of a quantization report, shared by `fixpoint report
// --artifact DIR` (a local manifest.json) and `fixpoint report --model NAME`
// (a fixpointd report): one printer, so the two look the same and scripts
// parse both. Pure functions writing to a stream; thread-compatible.
#ifndef FIXPOINT_CLIENT_REPORT_PRINT_H_
#define FIXPOINT_CLIENT_REPORT_PRINT_H_

#include <ostream>

#include "absl/strings/string_view.h"
#include "core/quant/artifact.h"

namespace fixpoint::client {

// Method and scheme, calibration, float vs int8 accuracy when measured, and
// the accuracy-aware goal when it ran. The first line is `what` (e.g.
// "artifact" or "model") followed by `name`.
void PrintQuantizeSummary(const quant::Manifest& m, absl::string_view what,
                          absl::string_view name, std::ostream& out);

// The summary, the source and library versions, the per-tensor table
// (tensor, type, scale, zero point, fix_pos or "-", calibrated min / max or
// "-" when unknown) and, when measured, the per-layer errors worst first.
void PrintQuantizeReport(const quant::Manifest& m, absl::string_view what,
                         absl::string_view name, std::ostream& out);

}  // namespace fixpoint::client

#endif  // FIXPOINT_CLIENT_REPORT_PRINT_H_
