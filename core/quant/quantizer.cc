#include "core/quant/quantizer.h"

#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/ir/shape_inference.h"
#include "core/quant/bias_correction.h"
#include "core/quant/calibrate_graph.h"
#include "core/runtime/cpu/threading.h"
#include "core/transform/optimize.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {
namespace {

bool IsPof2Method(const std::string& method) { return absl::StartsWith(method, "pof2-"); }

// The table rows in graph order: graph inputs, then node outputs.
std::vector<QuantizedTensorInfo> TensorTable(
    const ir::Graph& prepared, const std::map<std::string, ActivationQuant>& activations) {
  std::vector<std::string> order;
  for (const ir::ValueInfo& v : prepared.inputs) order.push_back(v.name);
  for (const ir::Node& n : prepared.nodes)
    order.insert(order.end(), n.outputs.begin(), n.outputs.end());
  std::vector<QuantizedTensorInfo> table;
  for (const std::string& name : order) {
    auto it = activations.find(name);
    if (it == activations.end()) continue;
    const ActivationQuant& a = it->second;
    table.push_back({a.name, a.params.scale, a.params.zero_point, a.zero_point_dtype, a.fix_pos,
                     a.min, a.max, a.params_from});
  }
  return table;
}

// Bias correction measures on the first calibration images: at most 256,
// and no more than keep the values crossing a layer boundary within 512 MiB.
constexpr int64_t kBiasCorrectionMaxImages = 256;
constexpr int64_t kBiasCorrectionBudgetBytes = int64_t{512} << 20;
int64_t BiasCorrectionImages(const ir::Graph& prepared, int64_t calibration_images) {
  const int64_t cap = std::min(kBiasCorrectionMaxImages,
                               BiasCorrectionImagesWithin(prepared, kBiasCorrectionBudgetBytes));
  return calibration_images > 0 ? std::min(calibration_images, cap) : cap;
}

// Applies options.bias_correction: `prepared`'s biases are replaced by the
// corrected ones when the correction is kept, measured on the first `images`
// calibration images. Sets `qdq` to to_qdq(prepared) as it ends up, unless
// the mode is off.
absl::StatusOr<BiasCorrectionReport> MaybeCorrectBiases(ir::Graph& prepared,
                                                        const QdqRewrite& to_qdq,
                                                        const io::Dataset& calibration,
                                                        const FloatReference* reference,
                                                        int64_t images,
                                                        const QuantizeOptions& options,
                                                        std::optional<ir::Graph>& qdq) {
  BiasCorrectionReport report;
  if (options.bias_correction == BiasCorrectionMode::kOff) return report;
  FP_ASSIGN_OR_RETURN(qdq, to_qdq(prepared));
  std::vector<std::string> nodes = BiasCorrectableNodes(*qdq);
  if (reference != nullptr) {  // layers it cannot summarize (3-D convs) stay as they are
    std::erase_if(nodes, [&](const std::string& n) { return reference->MomentsOf(n) == nullptr; });
  }
  if (nodes.empty()) return report;
  ir::Graph corrected = prepared;
  BiasCorrectionOptions bc;
  bc.float_reference = reference;
  bc.num_images = images;
  // The calibration pass's batch size: the float pass then reuses the
  // kernels oneDNN compiled for it (its primitive cache).
  bc.batch_size = options.batch_size;
  bc.threads = options.threads;
  bc.compare_outputs = options.bias_correction == BiasCorrectionMode::kAuto;
  bc.cancelled = options.cancelled;
  FP_ASSIGN_OR_RETURN(BiasCorrectionResult done,
                      CorrectBiases(corrected, nodes, to_qdq, calibration, bc));
  if (bc.compare_outputs) {
    report.calib_sqnr_without_db = done.output_sqnr_without_db;
    report.calib_sqnr_with_db = done.output_sqnr_with_db;
    if (!(done.output_sqnr_with_db > done.output_sqnr_without_db)) return report;
  }
  report.applied = true;
  for (const CorrectedBias& c : done.corrected) report.nodes.push_back(c.node);
  prepared = std::move(corrected);
  qdq = std::move(done.qdq);
  return report;
}

}  // namespace

absl::string_view BiasCorrectionModeName(BiasCorrectionMode mode) {
  switch (mode) {
    case BiasCorrectionMode::kOff:
      return "off";
    case BiasCorrectionMode::kOn:
      return "on";
    case BiasCorrectionMode::kAuto:
      break;
  }
  return "auto";
}

absl::StatusOr<BiasCorrectionMode> ParseBiasCorrectionMode(absl::string_view name) {
  for (BiasCorrectionMode m :
       {BiasCorrectionMode::kOff, BiasCorrectionMode::kOn, BiasCorrectionMode::kAuto}) {
    if (name == BiasCorrectionModeName(m)) return m;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("bias correction '", name, "': expected off, on or auto"));
}

absl::StatusOr<ir::Graph> PrepareForQuantization(const ir::Graph& graph) {
  ir::Graph prepared = graph;
  FP_RETURN_IF_ERROR(ir::InferShapes(prepared));
  transform::OptimizeOptions optimize;
  optimize.fold_batchnorm_forward = false;  // see OptimizeOptions
  FP_RETURN_IF_ERROR(transform::OptimizeForInference(prepared, optimize));
  FP_RETURN_IF_ERROR(ir::InferShapes(prepared));
  return prepared;
}

namespace {

CalibrateOptions CalibrateOptionsFor(const QuantizeOptions& options) {
  CalibrateOptions calibrate;
  calibrate.method = options.method;
  calibrate.calibrator = options.calibrator;
  calibrate.calibrator.symmetric = options.symmetric_activations;
  calibrate.num_images = options.num_images;
  calibrate.batch_size = options.batch_size;
  calibrate.threads = options.threads;
  calibrate.progress = options.progress;
  calibrate.cancelled = options.cancelled;
  return calibrate;
}

WeightScheme WeightSchemeFor(const QuantizeOptions& options) {
  if (IsPof2Method(options.method)) {
    return options.method == "pof2-mindiffs" ? WeightScheme::kPof2MinDiffs
                                             : WeightScheme::kPof2NonOverflow;
  }
  return options.per_channel_weights ? WeightScheme::kSymmetricPerChannel
                                     : WeightScheme::kSymmetricPerTensor;
}

// The weights need no calibration: with two or more threads they are
// quantized into qdq.weight_cache on a thread of their own, mostly while
// the pass binds its kernels on one core (seed_cnn's 1600 x 512 FC weight
// takes 2.5 ms under pof2-mindiffs); the rewrites then find them there.
// With fewer threads nothing happens here. The cache must not be used
// before Join.
class WeightsAhead {
 public:
  WeightsAhead(const ir::Graph& prepared, const ActivationPlan& plan, const QdqOptions& qdq,
               int threads) {
    if (runtime::cpu::ThreadsOrAll(threads) >= 2) {
      thread_ = std::thread([&, this] { status_ = QuantizeWeightsInto(prepared, plan, qdq); });
    }
  }
  ~WeightsAhead() { static_cast<void>(Join()); }
  WeightsAhead(const WeightsAhead&) = delete;
  WeightsAhead& operator=(const WeightsAhead&) = delete;

  // Waits for the thread; its error (a weight that cannot be quantized).
  absl::Status Join() {
    if (thread_.joinable()) thread_.join();
    return status_;
  }

 private:
  absl::Status status_;
  std::thread thread_;
};

}  // namespace

absl::StatusOr<QuantizeResult> Quantize(const ir::Graph& graph, const io::Dataset& calibration,
                                        const QuantizeOptions& options) {
  const bool pof2 = IsPof2Method(options.method);
  FP_ASSIGN_OR_RETURN(ir::Graph prepared, PrepareForQuantization(graph));
  FP_ASSIGN_OR_RETURN(ActivationPlan plan, PlanActivations(prepared, options.selection));
  if (plan.active_nodes.empty()) {
    return absl::FailedPreconditionError("no quantizable node in the selection");
  }

  CalibrateOptions calibrate = CalibrateOptionsFor(options);
  QuantizeResult result;
  result.method = options.method;
  // Bias correction's float reference comes from the same forward passes.
  std::optional<FloatReference> reference;
  const int64_t bias_correction_images =
      options.bias_correction == BiasCorrectionMode::kOff
          ? 0
          : BiasCorrectionImages(prepared, options.num_images);
  if (options.bias_correction != BiasCorrectionMode::kOff && !plan.calibrated.empty()) {
    reference = FloatReference::For(prepared);
    calibrate.float_reference = &*reference;
    calibrate.float_reference_images = bias_correction_images;
  }
  QdqOptions qdq;
  qdq.weights = WeightSchemeFor(options);
  WeightQuantCache weight_cache;  // filled ahead; bias correction rewrites the model twice
  qdq.weight_cache = &weight_cache;

  // calib_seconds: everything from here to the QDQ graph (statistics pass,
  // range search, weight quantization, the rewrite, bias correction), the
  // work PyTorch's observe + convert does.
  const absl::Time start = absl::Now();
  WeightsAhead weights(prepared, plan, qdq, options.threads);
  std::map<std::string, TensorRange> ranges;
  if (!plan.calibrated.empty()) {
    FP_ASSIGN_OR_RETURN(CalibrationResult calibrated,
                        CalibrateGraph(prepared, plan.calibrated, calibration, calibrate));
    ranges = std::move(calibrated.ranges);
    result.calib_images = calibrated.images;
  }
  FP_RETURN_IF_ERROR(weights.Join());

  const ActivationScheme scheme = pof2                            ? ActivationScheme::kPof2
                                  : options.symmetric_activations ? ActivationScheme::kSymmetricS8
                                                                  : ActivationScheme::kAsymmetricU8;
  FP_ASSIGN_OR_RETURN(auto activations, ChooseActivationParams(plan, ranges, scheme));
  const QdqRewrite to_qdq = [&](const ir::Graph& g) {
    return InsertQdq(g, plan, activations, qdq);
  };
  std::optional<ir::Graph> rewritten;
  auto corrected = MaybeCorrectBiases(prepared, to_qdq, calibration,
                                      reference ? &*reference : nullptr, bias_correction_images,
                                      options, rewritten);
  if (!corrected.ok()) return WithContext(corrected.status(), "bias correction");
  result.bias_correction = *std::move(corrected);
  if (rewritten) {
    result.graph = *std::move(rewritten);
  } else {
    FP_ASSIGN_OR_RETURN(result.graph, to_qdq(prepared));
  }
  result.calib_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  result.tensors = TensorTable(prepared, activations);
  return result;
}

}  // namespace fixpoint::quant
