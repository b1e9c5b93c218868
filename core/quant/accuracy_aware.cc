#include "core/quant/accuracy_aware.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <utility>

#include "core/eval/classifier_eval.h"
#include "core/runtime/session.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {
namespace {

struct Trial {
  QuantizeResult result;
  double int8_top1 = 0, agreement = 0;
};

// Top-1 class of every image in `e` (kept outputs).
std::vector<int64_t> Predictions(const eval::ClassifierEval& e) {
  std::vector<int64_t> top1(e.images);
  for (int64_t i = 0; i < e.images; ++i) {
    const float* row = e.outputs.data() + i * e.classes;
    top1[i] = std::max_element(row, row + e.classes) - row;
  }
  return top1;
}

// Quantize + evaluate runs against a float baseline evaluated once.
class Search {
 public:
  Search(const ir::Graph& graph, const io::Dataset& calib, const io::Dataset& eval,
         const QuantizeOptions& quantize, const AccuracyAwareOptions& options)
      : graph_(graph), calib_(calib), eval_(eval), quantize_(quantize), options_(options) {}

  // Evaluates the float model: its top-1 and predictions for every trial.
  absl::StatusOr<double> EvaluateFloat(const runtime::Session& fp32) {
    FP_ASSIGN_OR_RETURN(eval::ClassifierEval e, eval::EvaluateClassifier(fp32, eval_, EvalOptions()));
    fp32_top1_ = Predictions(e);
    return e.top1();
  }

  // Quantizes with `float_nodes` excluded and evaluates against the float run.
  absl::StatusOr<Trial> Run(const std::vector<std::string>& float_nodes) {
    QuantizeOptions q = quantize_;
    q.selection.exclude_nodes.insert(q.selection.exclude_nodes.end(), float_nodes.begin(),
                                     float_nodes.end());
    Trial t;
    FP_ASSIGN_OR_RETURN(t.result, Quantize(graph_, calib_, q));
    runtime::SessionOptions so;
    so.intra_op_threads = quantize_.threads;
    FP_ASSIGN_OR_RETURN(auto int8, runtime::Session::Create(t.result.graph, so));
    FP_ASSIGN_OR_RETURN(eval::ClassifierEval e, eval::EvaluateClassifier(*int8, eval_, EvalOptions()));
    const std::vector<int64_t> top1 = Predictions(e);
    if (top1.size() != fp32_top1_.size()) return absl::InternalError("evaluation sizes differ");
    int64_t agreeing = 0;
    for (size_t i = 0; i < top1.size(); ++i) agreeing += top1[i] == fp32_top1_[i];
    t.int8_top1 = e.top1();
    t.agreement = top1.empty() ? 0 : static_cast<double>(agreeing) / top1.size();
    return t;
  }

 private:
  eval::EvalOptions EvalOptions() const {
    eval::EvalOptions eo;
    eo.batch = options_.eval_batch;
    eo.keep_outputs = true;
    return eo;
  }

  const ir::Graph& graph_;
  const io::Dataset& calib_;
  const io::Dataset& eval_;
  const QuantizeOptions& quantize_;
  const AccuracyAwareOptions& options_;
  std::vector<int64_t> fp32_top1_;
};

// Nodes of `prepared` that read `tensor` (keeping them in fp32 leaves the
// tensor unquantized).
std::vector<std::string> ReadersOf(const ir::Graph& prepared, const std::string& tensor) {
  std::vector<std::string> names;
  for (int i : prepared.ConsumersOf(tensor)) names.push_back(prepared.nodes[i].name);
  return names;
}

}  // namespace

absl::StatusOr<AccuracyAwareResult> QuantizeAccuracyAware(const ir::Graph& graph,
                                                          const io::Dataset& calibration,
                                                          const io::Dataset& eval,
                                                          const QuantizeOptions& quantize,
                                                          const AccuracyAwareOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  FP_ASSIGN_OR_RETURN(ir::Graph prepared, PrepareForQuantization(graph));
  runtime::SessionOptions so;
  so.intra_op_threads = quantize.threads;
  FP_ASSIGN_OR_RETURN(auto fp32, runtime::Session::Create(prepared, so));
  Search search(graph, calibration, eval, quantize, options);

  AccuracyAwareResult out;
  FP_ASSIGN_OR_RETURN(out.fp32_top1, search.EvaluateFloat(*fp32));
  std::vector<std::string> kept;
  FP_ASSIGN_OR_RETURN(Trial best, search.Run(kept));
  out.trials = 1;
  auto drop = [&](const Trial& t) { return 100 * (out.fp32_top1 - t.int8_top1); };
  if (drop(best) > options.max_drop_pp) {
    FP_ASSIGN_OR_RETURN(std::vector<LayerError> ranked,
                        MeasureLayerErrors(prepared, best.result.graph, eval, options.layer_report));
    std::set<std::string> tried;
    for (const LayerError& layer : ranked) {
      if (drop(best) <= options.max_drop_pp || elapsed() > options.time_budget_s) break;
      std::vector<std::string> candidate = kept;
      bool added = false;
      for (const std::string& n : ReadersOf(prepared, layer.tensor)) {
        if (tried.insert(n).second) {
          candidate.push_back(n);
          added = true;
        }
      }
      if (!added) continue;
      FP_ASSIGN_OR_RETURN(Trial t, search.Run(candidate));
      ++out.trials;
      // Keep a layer in fp32 only when the trial improves the drop.
      if (drop(t) < drop(best)) {
        best = std::move(t);
        kept = std::move(candidate);
      }
    }
  }
  out.int8_top1 = best.int8_top1;
  out.agreement = best.agreement;
  out.goal_met = drop(best) <= options.max_drop_pp;
  out.float_nodes = kept;
  out.best = std::move(best.result);
  return out;
}

}  // namespace fixpoint::quant
