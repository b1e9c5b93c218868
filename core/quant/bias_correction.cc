#include "core/quant/bias_correction.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/ir/shape_inference.h"
#include "core/runtime/session.h"
#include "core/quant/fold_dequantize.h"
#include "core/transform/fuse_activations.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {
namespace {

using ChannelMeans = std::vector<double>;

template <typename GraphT>
auto* FindNode(GraphT& graph, const std::string& name) {
  decltype(&graph.nodes[0]) found = nullptr;
  for (auto& n : graph.nodes) {
    if (n.name == name) found = &n;
  }
  return found;
}

absl::StatusOr<bool> BiasTakesCorrection(const ir::Node& node) {
  if (node.op_type == "Conv") return true;
  if (node.op_type != "Gemm") return false;
  FP_ASSIGN_OR_RETURN(float alpha, node.GetFloat("alpha", 1.0f));
  FP_ASSIGN_OR_RETURN(float beta, node.GetFloat("beta", 1.0f));
  return alpha == 1.0f && beta == 1.0f;
}

// `graph` reduced to what computes the outputs of `node_names` without bias
// and without fused activation (probe copies of the nodes), those values its
// outputs, in order.
absl::StatusOr<ir::Graph> ProbeGraph(const ir::Graph& graph,
                                     const std::vector<std::string>& node_names) {
  ir::Graph out;
  out.name = graph.name;
  out.opset = graph.opset;
  out.inputs = graph.inputs;
  std::vector<ir::Node> probes;
  absl::flat_hash_set<std::string> needed;
  int last = -1;
  for (const std::string& name : node_names) {
    const ir::Node* node = FindNode(graph, name);
    if (node == nullptr || (node->op_type != "Conv" && node->op_type != "Gemm")) {
      return absl::InvalidArgumentError(absl::StrCat("'", name, "' is not a Conv or Gemm"));
    }
    ir::Node probe = *node;
    probe.name = absl::StrCat(name, "/bias_correction_probe");
    probe.inputs.resize(2);
    probe.attrs.erase(transform::kFusedActivation);
    probe.attrs.erase(transform::kFusedAlpha);
    probe.attrs.erase(transform::kFusedBeta);
    probe.outputs = {graph.UniqueValueName(probe.name)};
    needed.insert(probe.inputs.begin(), probe.inputs.end());
    out.outputs.push_back(ir::ValueInfo{probe.outputs[0], ir::DType::kF32, ir::Shape{}});
    probes.push_back(std::move(probe));
    last = std::max(last, static_cast<int>(node - graph.nodes.data()));
  }
  // Keep only the producers the probes depend on (nodes are topological).
  std::vector<const ir::Node*> kept;
  for (int i = last; i >= 0; --i) {
    const ir::Node& n = graph.nodes[i];
    if (std::none_of(n.outputs.begin(), n.outputs.end(),
                     [&](const std::string& o) { return needed.contains(o); })) {
      continue;
    }
    kept.push_back(&n);
    needed.insert(n.inputs.begin(), n.inputs.end());
  }
  for (auto it = kept.rbegin(); it != kept.rend(); ++it) out.nodes.push_back(**it);
  for (ir::Node& probe : probes) out.nodes.push_back(std::move(probe));
  for (const auto& [name, tensor] : graph.initializers) {
    if (needed.contains(name)) out.initializers.emplace(name, tensor);
  }
  FP_RETURN_IF_ERROR(FoldConstantDequantize(out));  // constant weights: fast kernels
  FP_RETURN_IF_ERROR(ir::InferShapes(out));
  for (ir::ValueInfo& o : out.outputs) {
    if (const ir::ValueInfo* info = out.FindValueInfo(o.name)) o = *info;
  }
  return out;
}

// Adds the mean over every axis but 1 (the channel axis of Conv's [N, C, ...]
// and Gemm's [M, N]) of `t` times its element count to `sum`.
absl::Status AccumulateChannelSums(const ir::Tensor& t, ChannelMeans& sum, int64_t& count) {
  const ir::Shape& shape = t.shape();
  if (shape.rank() < 2) return absl::InternalError("probe output has no channel axis");
  const int64_t channels = shape[1];
  const int64_t inner = shape[0] * channels > 0 ? t.NumElements() / (shape[0] * channels) : 0;
  sum.resize(channels, 0.0);
  const float* v = t.data<float>();
  for (int64_t b = 0; b < shape[0]; ++b) {
    for (int64_t c = 0; c < channels; ++c) {
      const float* p = v + (b * channels + c) * inner;
      double s = 0;
      for (int64_t k = 0; k < inner; ++k) s += p[k];
      sum[c] += s;
    }
  }
  count += shape[0] * inner;
  return absl::OkStatus();
}

// Per-channel means of each output of `probe` over the calibration images.
absl::StatusOr<std::vector<ChannelMeans>> MeasureMeans(ir::Graph probe, const io::Dataset& data,
                                                       const BiasCorrectionOptions& options) {
  if (options.cancelled && options.cancelled()) {
    return absl::CancelledError("bias correction cancelled");
  }
  const size_t outputs = probe.outputs.size();
  runtime::SessionOptions so;
  so.intra_op_threads = options.threads;
  so.optimize = false;   // the probe must stay as built
  so.lower_qdq = false;  // the QDQ simulation, which the int8 kernels match
  FP_ASSIGN_OR_RETURN(auto session, runtime::Session::Create(std::move(probe), so));
  const int64_t total =
      options.num_images > 0 ? std::min(options.num_images, data.size()) : data.size();
  std::vector<ChannelMeans> sums(outputs);
  std::vector<int64_t> counts(outputs, 0);
  for (int64_t first = 0; first < total; first += options.batch_size) {
    const int64_t n = std::min<int64_t>(options.batch_size, total - first);
    FP_ASSIGN_OR_RETURN(io::DatasetBatch batch, data.Items(first, n));
    const ir::TensorView in[] = {batch.images};
    FP_ASSIGN_OR_RETURN(std::vector<ir::Tensor> out, session->Run(in));
    for (size_t k = 0; k < outputs; ++k) {
      FP_RETURN_IF_ERROR(AccumulateChannelSums(out[k], sums[k], counts[k]));
    }
  }
  for (size_t k = 0; k < outputs; ++k) {
    if (counts[k] == 0) return absl::InvalidArgumentError("no calibration images");
    for (double& s : sums[k]) s /= static_cast<double>(counts[k]);
  }
  return sums;
}

// The node's bias initializer, created (zeros) when the node has none.
absl::StatusOr<ir::Tensor*> MutableBias(ir::Graph& graph, const std::string& node_name,
                                        int64_t channels) {
  ir::Node* node = FindNode(graph, node_name);
  if (!node->HasInput(2)) {
    const std::string name = graph.UniqueValueName(absl::StrCat(node_name, "_bias"));
    graph.initializers[name] =
        ir::Tensor::FromF32(ir::Shape{channels}, std::vector<float>(channels, 0.0f));
    node->inputs.resize(3);
    node->inputs[2] = name;
    FP_RETURN_IF_ERROR(ir::InferShapes(graph));
  }
  auto it = graph.initializers.find(node->inputs[2]);
  if (it == graph.initializers.end() || it->second.dtype() != ir::DType::kF32 ||
      it->second.shape().rank() != 1 || it->second.shape()[0] != channels) {
    return absl::InvalidArgumentError(absl::StrCat(
        node->Describe(), ": bias is not a 1-D f32 initializer of ", channels, " channels"));
  }
  // A bias shared with another node would be corrected for both.
  if (graph.ConsumersOf(node->inputs[2]).size() > 1) {
    ir::Tensor copy = it->second;
    node->inputs[2] = graph.UniqueValueName(absl::StrCat(node_name, "_bias"));
    it = graph.initializers.emplace(node->inputs[2], std::move(copy)).first;
  }
  return &it->second;
}

}  // namespace

std::vector<std::string> BiasCorrectableNodes(const ir::Graph& qdq_graph) {
  std::vector<std::string> names;
  for (const ir::Node& n : qdq_graph.nodes) {
    absl::StatusOr<bool> takes = BiasTakesCorrection(n);
    if (!takes.ok() || !*takes || !n.HasInput(1)) continue;
    const int producer = qdq_graph.ProducerOf(n.inputs[1]);
    if (producer < 0 || qdq_graph.nodes[producer].op_type != "DequantizeLinear" ||
        !qdq_graph.IsInitializer(qdq_graph.nodes[producer].inputs[0])) {
      continue;
    }
    if (n.op_type == "Gemm" && n.HasInput(2)) {
      const ir::ValueInfo* c = qdq_graph.FindValueInfo(n.inputs[2]);
      if (c == nullptr || c->shape.rank() != 1) continue;
    }
    names.push_back(n.name);
  }
  return names;
}

absl::StatusOr<std::vector<CorrectedBias>> CorrectBiases(ir::Graph& float_graph,
                                                         const std::vector<std::string>& nodes,
                                                         const QdqRewrite& to_qdq,
                                                         const io::Dataset& calibration,
                                                         const BiasCorrectionOptions& options) {
  if (options.batch_size <= 0) return absl::InvalidArgumentError("batch size must be positive");
  for (const std::string& name : nodes) {
    const ir::Node* node = FindNode(float_graph, name);
    if (node == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("'", name, "' is not a node of the graph"));
    }
    FP_ASSIGN_OR_RETURN(bool takes, BiasTakesCorrection(*node));
    if (!takes) {
      return absl::InvalidArgumentError(
          absl::StrCat(node->Describe(), ": its bias cannot take a correction"));
    }
  }
  // The float means never move: one run measures them all.
  std::vector<ChannelMeans> float_means;
  if (!nodes.empty()) {
    FP_ASSIGN_OR_RETURN(ir::Graph float_probe, ProbeGraph(float_graph, nodes));
    FP_ASSIGN_OR_RETURN(float_means, MeasureMeans(std::move(float_probe), calibration, options));
  }
  std::vector<CorrectedBias> corrected;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const std::string& name = nodes[i];
    FP_ASSIGN_OR_RETURN(ir::Graph qdq, to_qdq(float_graph));
    FP_ASSIGN_OR_RETURN(ir::Graph qdq_probe, ProbeGraph(qdq, {name}));
    FP_ASSIGN_OR_RETURN(std::vector<ChannelMeans> qdq_means,
                        MeasureMeans(std::move(qdq_probe), calibration, options));
    if (qdq_means[0].size() != float_means[i].size()) {
      return absl::InternalError(absl::StrCat(name, ": float and QDQ channel counts differ"));
    }
    const int64_t channels = static_cast<int64_t>(float_means[i].size());
    FP_ASSIGN_OR_RETURN(ir::Tensor * bias, MutableBias(float_graph, name, channels));
    CorrectedBias entry{name, 0.0};
    for (int64_t c = 0; c < channels; ++c) {
      const double shift = qdq_means[0][c] - float_means[i][c];
      bias->data<float>()[c] = static_cast<float>(bias->data<float>()[c] - shift);
      entry.max_abs_shift = std::max(entry.max_abs_shift, std::abs(shift));
    }
    corrected.push_back(std::move(entry));
  }
  return corrected;
}

}  // namespace fixpoint::quant
