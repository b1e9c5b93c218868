#include "core/quant/output_error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/quant/fold_dequantize.h"
#include "core/runtime/session.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {
namespace {

absl::StatusOr<std::unique_ptr<runtime::Session>> SimulationSession(ir::Graph graph,
                                                                    int threads) {
  FP_RETURN_IF_ERROR(FoldConstantDequantize(graph));
  runtime::SessionOptions so;
  so.intra_op_threads = threads;
  so.lower_qdq = false;
  return runtime::Session::Create(std::move(graph), so);
}

}  // namespace

absl::StatusOr<std::vector<double>> OutputSqnrDb(const ir::Graph& float_graph,
                                                 const std::vector<const ir::Graph*>& qdq_graphs,
                                                 const io::Dataset& data,
                                                 const OutputErrorOptions& options) {
  if (options.batch_size <= 0) return absl::InvalidArgumentError("batch size must be positive");
  FP_ASSIGN_OR_RETURN(auto fs, SimulationSession(float_graph, options.threads));
  std::vector<std::unique_ptr<runtime::Session>> qs;
  for (const ir::Graph* g : qdq_graphs) {
    if (float_graph.outputs.size() != g->outputs.size()) {
      return absl::InvalidArgumentError("the graphs have different output counts");
    }
    FP_ASSIGN_OR_RETURN(auto s, SimulationSession(*g, options.threads));
    qs.push_back(std::move(s));
  }
  const int64_t total =
      options.num_images > 0 ? std::min(options.num_images, data.size()) : data.size();
  if (total <= 0) return absl::InvalidArgumentError("no images to compare on");
  double signal = 0;
  std::vector<double> noise(qs.size(), 0.0);
  for (int64_t first = 0; first < total; first += options.batch_size) {
    const int64_t n = std::min<int64_t>(options.batch_size, total - first);
    FP_ASSIGN_OR_RETURN(io::DatasetBatch batch, data.Items(first, n));
    const ir::TensorView in[] = {batch.images};
    FP_ASSIGN_OR_RETURN(std::vector<ir::Tensor> fo, fs->Run(in));
    for (size_t k = 0; k < fo.size(); ++k) {
      if (fo[k].dtype() != ir::DType::kF32) continue;
      for (int64_t i = 0; i < fo[k].NumElements(); ++i) {
        const double f = fo[k].data<float>()[i];
        signal += f * f;
      }
    }
    for (size_t g = 0; g < qs.size(); ++g) {
      FP_ASSIGN_OR_RETURN(std::vector<ir::Tensor> qo, qs[g]->Run(in));
      for (size_t k = 0; k < fo.size(); ++k) {
        if (fo[k].dtype() != ir::DType::kF32) continue;
        if (qo[k].dtype() != ir::DType::kF32 || qo[k].NumElements() != fo[k].NumElements()) {
          return absl::InvalidArgumentError(
              absl::StrCat("output ", k, " differs in type or size between the graphs"));
        }
        for (int64_t i = 0; i < fo[k].NumElements(); ++i) {
          const double d = qo[k].data<float>()[i] - fo[k].data<float>()[i];
          noise[g] += d * d;
        }
      }
    }
  }
  std::vector<double> sqnr;
  for (double e : noise) {
    sqnr.push_back(e == 0 ? std::numeric_limits<double>::infinity()
                          : 10 * std::log10(signal / e));
  }
  return sqnr;
}

}  // namespace fixpoint::quant
