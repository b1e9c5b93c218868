#include "core/quant/layer_report.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/runtime/session.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {
namespace {

// (float value, its dequantized counterpart in the QDQ graph) pairs.
std::vector<std::pair<std::string, std::string>> QuantizedPairs(const ir::Graph& float_graph,
                                                                const ir::Graph& qdq) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const ir::Node& q : qdq.nodes) {
    if (q.op_type != "QuantizeLinear" || float_graph.FindValueInfo(q.inputs[0]) == nullptr) {
      continue;
    }
    for (int reader : qdq.ConsumersOf(q.outputs[0])) {
      const ir::Node& dq = qdq.nodes[reader];
      if (dq.op_type == "DequantizeLinear") {
        pairs.emplace_back(q.inputs[0], dq.outputs[0]);
        break;
      }
    }
  }
  return pairs;
}

// `graph` with `values` appended as f32 outputs.
ir::Graph WithOutputs(ir::Graph graph, const std::vector<std::string>& values) {
  for (const std::string& v : values) {
    const ir::ValueInfo* info = graph.FindValueInfo(v);
    graph.outputs.push_back(ir::ValueInfo{v, ir::DType::kF32, info ? info->shape : ir::Shape{}});
  }
  return graph;
}

}  // namespace

absl::StatusOr<std::vector<LayerError>> MeasureLayerErrors(const ir::Graph& float_graph,
                                                           const ir::Graph& qdq_graph,
                                                           const io::Dataset& dataset,
                                                           const LayerReportOptions& options) {
  const auto pairs = QuantizedPairs(float_graph, qdq_graph);
  if (pairs.empty()) return absl::InvalidArgumentError("no quantized activations to compare");
  if (options.batch <= 0) return absl::InvalidArgumentError("batch must be positive");
  std::vector<std::string> float_values, qdq_values;
  for (const auto& [f, q] : pairs) {
    float_values.push_back(f);
    qdq_values.push_back(q);
  }
  runtime::SessionOptions so;
  so.intra_op_threads = options.threads;
  so.optimize = false;  // keep every measured value as a value of its own
  FP_ASSIGN_OR_RETURN(auto fp, runtime::Session::Create(WithOutputs(float_graph, float_values), so));
  so.lower_qdq = false;  // the simulation: dequantized values exist as tensors
  FP_ASSIGN_OR_RETURN(auto qp, runtime::Session::Create(WithOutputs(qdq_graph, qdq_values), so));
  const size_t base_f = float_graph.outputs.size(), base_q = qdq_graph.outputs.size();
  std::vector<double> signal(pairs.size(), 0), noise(pairs.size(), 0);
  std::vector<int64_t> count(pairs.size(), 0);
  const int64_t total = options.max_images > 0 ? std::min(options.max_images, dataset.size())
                                               : dataset.size();
  for (int64_t first = 0; first < total; first += options.batch) {
    const int64_t n = std::min<int64_t>(options.batch, total - first);
    FP_ASSIGN_OR_RETURN(io::DatasetBatch batch, dataset.Items(first, n));
    const ir::TensorView in[] = {batch.images};
    FP_ASSIGN_OR_RETURN(std::vector<ir::Tensor> fo, fp->Run(in));
    FP_ASSIGN_OR_RETURN(std::vector<ir::Tensor> qo, qp->Run(in));
    for (size_t i = 0; i < pairs.size(); ++i) {
      const ir::Tensor& f = fo[base_f + i];
      const ir::Tensor& q = qo[base_q + i];
      if (f.NumElements() != q.NumElements()) {
        return absl::InvalidArgumentError(absl::StrCat("'", pairs[i].first, "' has ",
                                                       f.NumElements(), " elements, its QDQ form ",
                                                       q.NumElements()));
      }
      for (int64_t k = 0; k < f.NumElements(); ++k) {
        const double a = f.data<float>()[k], d = q.data<float>()[k] - a;
        signal[i] += a * a;
        noise[i] += d * d;
      }
      count[i] += f.NumElements();
    }
  }
  std::vector<LayerError> report;
  for (size_t i = 0; i < pairs.size(); ++i) {
    LayerError e;
    e.tensor = pairs[i].first;
    e.elements = count[i];
    e.mse = count[i] ? noise[i] / count[i] : 0;
    e.sqnr_db = noise[i] > 0 ? 10 * std::log10(signal[i] / noise[i])
                             : std::numeric_limits<double>::infinity();
    report.push_back(std::move(e));
  }
  std::stable_sort(report.begin(), report.end(),
                   [](const LayerError& a, const LayerError& b) { return a.sqnr_db < b.sqnr_db; });
  return report;
}

}  // namespace fixpoint::quant
