// Accuracy-aware quantization: quantize, measure the top-1 drop against the
// float model on a labelled set, and while the drop exceeds the goal keep
// the most sensitive layers in fp32 — candidates ranked by the per-layer
// report (lowest SQNR first), each kept only if the trial improves the drop —
// until the goal holds, the candidates run out or the time budget is spent.
// The best model found is always returned, with whether the goal was met.
// Thread-compatible.
#ifndef FIXPOINT_CORE_QUANT_ACCURACY_AWARE_H_
#define FIXPOINT_CORE_QUANT_ACCURACY_AWARE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/io/dataset.h"
#include "core/ir/graph.h"
#include "core/quant/layer_report.h"
#include "core/quant/quantizer.h"

namespace fixpoint::quant {

struct AccuracyAwareOptions {
  double max_drop_pp = 0.1;     // allowed top-1 drop, percentage points
  double time_budget_s = 300;   // wall time for all trials after the first
  int eval_batch = 100;
  LayerReportOptions layer_report;
};

struct AccuracyAwareResult {
  QuantizeResult best;                  // the QDQ graph with the smallest drop
  double fp32_top1 = 0, int8_top1 = 0, agreement = 0;
  double drop_pp() const { return 100 * (fp32_top1 - int8_top1); }
  std::vector<std::string> float_nodes;  // nodes kept in fp32 in `best`
  bool goal_met = false;
  int trials = 0;                        // quantize+evaluate runs, the first included
};

// `eval` must carry labels. options.selection of `quantize` is extended with
// the kept nodes (its own exclusions stay). Errors of Quantize and of the
// evaluation.
absl::StatusOr<AccuracyAwareResult> QuantizeAccuracyAware(const ir::Graph& graph,
                                                          const io::Dataset& calibration,
                                                          const io::Dataset& eval,
                                                          const QuantizeOptions& quantize,
                                                          const AccuracyAwareOptions& options);

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_ACCURACY_AWARE_H_
