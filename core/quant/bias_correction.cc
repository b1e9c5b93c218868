#include "core/quant/bias_correction.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/ir/shape_inference.h"
#include "core/quant/fold_dequantize.h"
#include "core/quant/input_moments.h"
#include "core/quant/output_error.h"
#include "core/quant/weight_quant.h"
#include "core/runtime/session.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {
namespace {


int NodeIndex(const ir::Graph& graph, const std::string& name) {
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (graph.nodes[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

absl::StatusOr<bool> BiasTakesCorrection(const ir::Node& node) {
  if (node.op_type == "Conv") return true;
  if (node.op_type != "Gemm") return false;
  FP_ASSIGN_OR_RETURN(float alpha, node.GetFloat("alpha", 1.0f));
  FP_ASSIGN_OR_RETURN(float beta, node.GetFloat("beta", 1.0f));
  return alpha == 1.0f && beta == 1.0f;
}

// Dim 1 of the node's output ([N, C, ...] for Conv, [M, N] for Gemm).
absl::StatusOr<int64_t> OutputChannels(const ir::Graph& graph, const ir::Node& node) {
  const ir::ValueInfo* out = graph.FindValueInfo(node.outputs[0]);
  if (out == nullptr || out->shape.rank() < 2 || out->shape[1] <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(node.Describe(), ": output channel count is not known"));
  }
  return out->shape[1];
}

// The node's bias initializer, created (zeros) when the node has none and
// copied when another node reads it too (it would be corrected for both).
absl::StatusOr<ir::Tensor*> OwnBias(ir::Graph& graph, int index, int64_t channels) {
  ir::Node& node = graph.nodes[index];
  if (!node.HasInput(2)) {
    node.inputs.resize(3);
    node.inputs[2] = graph.UniqueValueName(absl::StrCat(node.name, "_bias"));
    graph.initializers[node.inputs[2]] =
        ir::Tensor::FromF32(ir::Shape{channels}, std::vector<float>(channels, 0.0f));
  }
  auto it = graph.initializers.find(node.inputs[2]);
  if (it == graph.initializers.end() || it->second.dtype() != ir::DType::kF32 ||
      it->second.shape().rank() != 1 || it->second.shape()[0] != channels) {
    return absl::InvalidArgumentError(absl::StrCat(
        node.Describe(), ": bias is not a 1-D f32 initializer of ", channels, " channels"));
  }
  if (graph.ConsumersOf(node.inputs[2]).size() > 1) {
    ir::Tensor copy = it->second;
    node.inputs[2] = graph.UniqueValueName(absl::StrCat(node.name, "_bias"));
    it = graph.initializers.emplace(node.inputs[2], std::move(copy)).first;
  }
  return &it->second;
}

// Where the QDQ rewrite keeps a node's bias: an f32 initializer, or int32
// values dequantized at these scales (zero point 0).
struct BiasSlot {
  std::string initializer;
  bool quantized = false;
  std::vector<float> scales;  // quantized: one, or one per channel
};

absl::StatusOr<BiasSlot> BiasSlotOf(const ir::Graph& qdq, const std::string& node_name) {
  const int index = NodeIndex(qdq, node_name);
  if (index < 0 || !qdq.nodes[index].HasInput(2)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", node_name, "' has no bias in the QDQ graph"));
  }
  const std::string& bias = qdq.nodes[index].inputs[2];
  if (const ir::Tensor* t = qdq.FindInitializer(bias); t != nullptr && t->dtype() == ir::DType::kF32) {
    return BiasSlot{bias, false, {}};
  }
  const int producer = qdq.ProducerOf(bias);
  const ir::Node* dq = producer >= 0 ? &qdq.nodes[producer] : nullptr;
  const ir::Tensor* values = dq != nullptr && dq->op_type == "DequantizeLinear"
                                 ? qdq.FindInitializer(dq->inputs[0])
                                 : nullptr;
  const ir::Tensor* scale =
      values != nullptr && dq->HasInput(1) ? qdq.FindInitializer(dq->inputs[1]) : nullptr;
  const bool has_zero = values != nullptr && dq->HasInput(2);
  const ir::Tensor* zero = has_zero ? qdq.FindInitializer(dq->inputs[2]) : nullptr;
  bool zero_ok = !has_zero || (zero != nullptr && zero->dtype() == ir::DType::kI32);
  for (int64_t i = 0; zero_ok && zero != nullptr && i < zero->NumElements(); ++i) {
    zero_ok = zero->data<int32_t>()[i] == 0;
  }
  if (values == nullptr || values->dtype() != ir::DType::kI32 || scale == nullptr ||
      scale->dtype() != ir::DType::kF32 || !zero_ok ||
      qdq.ConsumersOf(dq->inputs[0]).size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bias of '", node_name,
        "' in the QDQ graph is neither an f32 constant nor an int32 constant of its own "
        "dequantized at zero point 0"));
  }
  BiasSlot slot{dq->inputs[0], true, {}};
  slot.scales.assign(scale->data<float>(), scale->data<float>() + scale->NumElements());
  return slot;
}

// Writes `bias` into `qdq` the way the QDQ rewrite stores it (QuantizeBias
// at the slot's scales, which already include the input scale).
absl::Status StoreBias(const ir::Tensor& bias, const BiasSlot& slot, ir::Graph& qdq) {
  ir::Tensor& target = qdq.initializers.at(slot.initializer);
  if (target.NumElements() != bias.NumElements()) {
    return absl::InternalError(absl::StrCat("bias slot '", slot.initializer, "' has the wrong size"));
  }
  if (!slot.quantized) {
    std::copy(bias.data<float>(), bias.data<float>() + bias.NumElements(), target.data<float>());
    return absl::OkStatus();
  }
  FP_ASSIGN_OR_RETURN(QuantizedBias q, QuantizeBias(bias, 1.0f, slot.scales));
  target = std::move(q.values);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<runtime::Session>> SessionFor(ir::Graph graph, int threads) {
  runtime::SessionOptions so;
  so.intra_op_threads = threads;
  so.optimize = false;  // the graph must stay as built
  so.lower_qdq = true;  // QDQ patterns run as the int8 kernels that serve them
  return runtime::Session::Create(std::move(graph), so);
}

// A value for every batch of images: owned, or a view of the dataset.
struct Batched {
  std::vector<ir::Tensor> owned;
  std::vector<ir::TensorView> views;
};

using ValueStore = absl::flat_hash_map<std::string, Batched>;

// The DequantizeLinear nodes with constant scale and zero point by the value
// they write, unless it is a graph output. Segments recompute these where
// they are read instead of keeping their f32 output: an activation's int8
// input is 4× smaller, a constant's is the (possibly corrected) initializer,
// and DQ -> op -> Q stays one pattern that runs as an int8 kernel.
using Dequantizers = absl::flat_hash_map<std::string, int>;

Dequantizers DequantizersOf(const ir::Graph& g) {
  absl::flat_hash_set<std::string> outputs;
  for (const ir::ValueInfo& o : g.outputs) outputs.insert(o.name);
  Dequantizers dq;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& n = g.nodes[i];
    if (n.op_type != "DequantizeLinear" || n.inputs.empty() || outputs.contains(n.outputs[0])) {
      continue;
    }
    bool constant = true;
    for (size_t k = 1; k < n.inputs.size(); ++k) {
      constant &= n.inputs[k].empty() || g.IsInitializer(n.inputs[k]);
    }
    if (constant) dq[n.outputs[0]] = static_cast<int>(i);
  }
  return dq;
}

// Highest index of a node reading each value; INT_MAX for graph outputs. A
// dequantizer's input lives as long as its output.
absl::flat_hash_map<std::string, int> LastReaders(const ir::Graph& g, const Dequantizers& dq) {
  absl::flat_hash_map<std::string, int> last;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (const std::string& v : g.nodes[i].inputs) {
      if (!v.empty()) last[v] = static_cast<int>(i);
    }
  }
  for (const ir::ValueInfo& o : g.outputs) last[o.name] = INT_MAX;
  for (const auto& [value, node] : dq) {
    auto it = last.find(value);
    if (it == last.end()) continue;
    int& q = last[g.nodes[node].inputs[0]];
    q = std::max(q, it->second);
  }
  return last;
}

// Nodes [begin, end) of `g` as a graph, preceded by copies of the
// dequantizers of earlier segments they read: its inputs are the non-constant
// values those read that they do not produce; its outputs the values they
// produce, other than dequantizers' outputs, that a node at `end` or later,
// or the graph's outputs, read.
absl::StatusOr<ir::Graph> Segment(const ir::Graph& g, int begin, int end,
                                  const absl::flat_hash_map<std::string, int>& last_reader,
                                  const Dequantizers& dequantizers) {
  ir::Graph seg;
  seg.name = g.name;
  seg.opset = g.opset;
  absl::flat_hash_set<std::string> produced, listed;
  std::vector<ir::Node> recomputed;
  auto read = [&](const std::string& v) -> absl::Status {
    if (v.empty() || produced.contains(v) || !listed.insert(v).second) return absl::OkStatus();
    if (const ir::Tensor* t = g.FindInitializer(v)) {
      seg.initializers.emplace(v, *t);
      return absl::OkStatus();
    }
    const ir::ValueInfo* vi = g.FindValueInfo(v);
    if (vi == nullptr) return absl::InternalError(absl::StrCat("no type for value '", v, "'"));
    seg.inputs.push_back(*vi);
    return absl::OkStatus();
  };
  for (int i = begin; i < end; ++i) {
    const ir::Node& n = g.nodes[i];
    for (const std::string& v : n.inputs) {
      auto dq = dequantizers.find(v);
      if (dq != dequantizers.end() && dq->second < begin && !produced.contains(v)) {
        const ir::Node& copy = g.nodes[dq->second];
        for (const std::string& in : copy.inputs) FP_RETURN_IF_ERROR(read(in));
        recomputed.push_back(copy);
        produced.insert(v);
        continue;
      }
      FP_RETURN_IF_ERROR(read(v));
    }
    for (const std::string& v : n.outputs) {
      if (v.empty()) continue;
      produced.insert(v);
      auto it = last_reader.find(v);
      if (it != last_reader.end() && it->second >= end && !dequantizers.contains(v)) {
        seg.outputs.push_back(*g.FindValueInfo(v));
      }
    }
    seg.nodes.push_back(n);
  }
  seg.nodes.insert(seg.nodes.begin(), recomputed.begin(), recomputed.end());
  FP_RETURN_IF_ERROR(ir::InferShapes(seg));
  return seg;
}

// Runs `seg` on every batch, reading its inputs from and adding its outputs
// to `store` (nothing, if it has none).
absl::Status RunSegment(ir::Graph seg, int threads, size_t batches,
                        ValueStore& store) {
  if (seg.outputs.empty()) return absl::OkStatus();  // nothing later reads it
  std::vector<const Batched*> inputs;
  for (const ir::ValueInfo& v : seg.inputs) {
    auto it = store.find(v.name);
    if (it == store.end()) return absl::InternalError(absl::StrCat("'", v.name, "' not computed"));
    inputs.push_back(&it->second);
  }
  std::vector<std::string> outputs;
  for (const ir::ValueInfo& v : seg.outputs) outputs.push_back(v.name);
  FP_ASSIGN_OR_RETURN(auto session, SessionFor(std::move(seg), threads));
  std::vector<Batched> results(outputs.size());
  std::vector<ir::TensorView> in(inputs.size());
  for (size_t b = 0; b < batches; ++b) {
    for (size_t i = 0; i < inputs.size(); ++i) in[i] = inputs[i]->views[b];
    FP_ASSIGN_OR_RETURN(std::vector<ir::Tensor> out, session->Run(in));
    for (size_t k = 0; k < out.size(); ++k) results[k].owned.push_back(std::move(out[k]));
  }
  for (size_t k = 0; k < outputs.size(); ++k) {
    for (const ir::Tensor& t : results[k].owned) results[k].views.push_back(t.view());
    store[outputs[k]] = std::move(results[k]);
  }
  return absl::OkStatus();
}

// Forgets the values no node at `end` or later (nor the graph's outputs) reads.
void DropValuesReadBefore(int end, const absl::flat_hash_map<std::string, int>& last_reader,
                          ValueStore& store) {
  for (auto it = store.begin(); it != store.end();) {
    auto last = last_reader.find(it->first);
    if (last == last_reader.end() || last->second < end) {
      store.erase(it++);
    } else {
      ++it;
    }
  }
}

// The graph outputs of batch `b` from `store`, copied.
std::vector<ir::Tensor> OutputsOf(const ir::Graph& g,
                                  const ValueStore& store,
                                  size_t b) {
  std::vector<ir::Tensor> out;
  for (const ir::ValueInfo& o : g.outputs) out.push_back(ir::Tensor::CopyOf(store.at(o.name).views[b]));
  return out;
}

// Rows [first, first + count) of each tensor of `total` rows (dimension 0),
// copied; a tensor without a batch dimension as it is.
std::vector<ir::Tensor> RowsOf(const std::vector<ir::Tensor>& tensors, int64_t total,
                               int64_t first, int64_t count) {
  std::vector<ir::Tensor> rows;
  for (const ir::Tensor& t : tensors) {
    if (t.shape().rank() == 0 || t.shape()[0] != total) {
      rows.push_back(t);
      continue;
    }
    ir::TensorView v = t.view();
    const int64_t row_bytes =
        t.shape()[0] > 0 ? t.NumElements() / t.shape()[0] * static_cast<int64_t>(ir::DTypeSize(t.dtype())) : 0;
    std::vector<int64_t> dims(t.shape().dims().begin(), t.shape().dims().end());
    dims[0] = count;
    v.shape = ir::Shape(dims);
    v.data = static_cast<std::byte*>(v.data) + first * row_bytes;
    rows.push_back(ir::Tensor::CopyOf(v));
  }
  return rows;
}

}  // namespace

FloatReference FloatReference::For(const ir::Graph& float_graph) {
  FloatReference r;
  for (const ir::Node& n : float_graph.nodes) {
    absl::StatusOr<bool> takes = BiasTakesCorrection(n);
    if (!takes.ok() || !*takes || !n.HasInput(0)) continue;
    absl::StatusOr<InputMoments> m = InputMoments::For(float_graph, n);
    if (!m.ok()) continue;
    const auto it = std::find(r.tensors_.begin(), r.tensors_.end(), n.inputs[0]);
    const size_t t = it - r.tensors_.begin();
    if (it == r.tensors_.end()) {
      r.tensors_.push_back(n.inputs[0]);
      r.readers_.emplace_back();
    }
    r.readers_[t].push_back(r.nodes_.size());
    r.nodes_.push_back(n.name);
    r.moments_.push_back(*std::move(m));
  }
  return r;
}

absl::Status FloatReference::Observe(size_t k, const runtime::ObservedValue& value) {
  if (k >= tensors_.size()) return absl::InternalError("float reference: no such tensor");
  for (size_t node : readers_[k]) FP_RETURN_IF_ERROR(moments_[node].AddObserved(value));
  return absl::OkStatus();
}

void FloatReference::EndBatch(int64_t images, std::vector<ir::Tensor> outputs) {
  batch_sizes_.push_back(images);
  outputs_.push_back(std::move(outputs));
}

const InputMoments* FloatReference::MomentsOf(const std::string& node) const {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i] == node) return &moments_[i];
  }
  return nullptr;
}

int64_t BiasCorrectionImagesWithin(const ir::Graph& float_graph, int64_t budget_bytes) {
  const absl::flat_hash_map<std::string, int> last = LastReaders(float_graph, Dequantizers{});
  auto bytes_per_image = [&](const std::string& v) -> int64_t {
    const ir::ValueInfo* info = float_graph.FindValueInfo(v);
    if (info == nullptr) return 0;
    int64_t n = 4;
    for (int d = 1; d < info->shape.rank(); ++d) n *= std::max<int64_t>(info->shape[d], 1);
    return n;
  };
  // Sweep the node order: values written so far that a later node still reads.
  absl::flat_hash_map<std::string, int64_t> live;
  for (const ir::ValueInfo& in : float_graph.inputs) live[in.name] = bytes_per_image(in.name);
  int64_t widest = 1;
  for (size_t i = 0; i < float_graph.nodes.size(); ++i) {
    int64_t total = 0;
    for (auto it = live.begin(); it != live.end();) {
      auto reader = last.find(it->first);
      if (reader == last.end() || reader->second < static_cast<int>(i)) {
        live.erase(it++);
      } else {
        total += it->second;
        ++it;
      }
    }
    widest = std::max(widest, total);
    for (const std::string& o : float_graph.nodes[i].outputs) {
      if (!o.empty()) live[o] = bytes_per_image(o);
    }
  }
  return std::max<int64_t>(1, budget_bytes / widest);
}

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

namespace {

// FloatReference::For(graph) measured on the first options.num_images images
// in batches of options.batch_size.
absl::StatusOr<FloatReference> MeasureFloatReference(const ir::Graph& graph,
                                                     const io::Dataset& data,
                                                     const BiasCorrectionOptions& options) {
  FloatReference reference = FloatReference::For(graph);
  runtime::SessionOptions so;
  so.intra_op_threads = options.threads;
  so.optimize = false;
  FP_ASSIGN_OR_RETURN(auto session, runtime::Session::Create(graph, so));
  const int64_t total =
      options.num_images > 0 ? std::min(options.num_images, data.size()) : data.size();
  for (int64_t first = 0; first < total; first += options.batch_size) {
    const int64_t n = std::min<int64_t>(options.batch_size, total - first);
    FP_ASSIGN_OR_RETURN(io::DatasetBatch batch, data.Items(first, n));
    FP_ASSIGN_OR_RETURN(
        std::vector<ir::Tensor> outputs,
        session->RunObserved(std::vector<ir::TensorView>{batch.images}, reference.tensors(),
                             [&](size_t k, const runtime::ObservedValue& value) {
                               return reference.Observe(k, value);
                             }));
    reference.EndBatch(n, std::move(outputs));
  }
  return reference;
}

}  // namespace

absl::StatusOr<BiasCorrectionResult> CorrectBiases(ir::Graph& float_graph,
                                                   const std::vector<std::string>& nodes,
                                                   const QdqRewrite& to_qdq,
                                                   const io::Dataset& calibration,
                                                   const BiasCorrectionOptions& options) {
  if (options.batch_size <= 0) return absl::InvalidArgumentError("batch size must be positive");
  if (float_graph.inputs.size() != 1) {
    return absl::InvalidArgumentError("bias correction needs a graph with exactly one input");
  }
  const auto cancelled = [&] { return options.cancelled && options.cancelled(); };
  FP_RETURN_IF_ERROR(ir::InferShapes(float_graph));
  std::vector<int> order;
  for (const std::string& name : nodes) {
    const int index = NodeIndex(float_graph, name);
    if (index < 0) {
      return absl::InvalidArgumentError(absl::StrCat("'", name, "' is not a node of the graph"));
    }
    FP_ASSIGN_OR_RETURN(bool takes, BiasTakesCorrection(float_graph.nodes[index]));
    if (!takes) {
      return absl::InvalidArgumentError(absl::StrCat(float_graph.nodes[index].Describe(),
                                                     ": its bias cannot take a correction"));
    }
    if (!order.empty() && index <= order.back()) {
      return absl::InvalidArgumentError(absl::StrCat("'", name, "' is out of graph order"));
    }
    order.push_back(index);
  }
  BiasCorrectionResult result;
  if (nodes.empty()) return result;
  // The float reference: the caller's, or measured here.
  FloatReference own;
  const FloatReference* reference = options.float_reference;
  if (reference == nullptr) {
    FP_ASSIGN_OR_RETURN(own, MeasureFloatReference(float_graph, calibration, options));
    reference = &own;
  }
  // The QDQ graph runs on all the reference's images at once: one run per
  // segment instead of one per batch.
  int64_t total = 0;
  for (int64_t n : reference->batch_sizes()) total += n;
  if (total == 0) return absl::InvalidArgumentError("no calibration images");
  FP_ASSIGN_OR_RETURN(io::DatasetBatch all, calibration.Items(0, total));
  const std::vector<io::DatasetBatch> batches = {all};
  std::vector<const InputMoments*> float_moments;
  for (const std::string& name : nodes) {
    const InputMoments* m = reference->MomentsOf(name);
    if (m == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", name, "': its input cannot be summarized for bias correction"));
    }
    float_moments.push_back(m);
  }
  const std::vector<std::vector<ir::Tensor>>& float_outputs = reference->outputs();
  if (cancelled()) return absl::CancelledError("bias correction cancelled");

  // Every corrected node gets a bias of its own.
  std::vector<int64_t> channels;
  std::vector<ir::Tensor*> float_bias;
  for (int index : order) {
    FP_ASSIGN_OR_RETURN(int64_t c, OutputChannels(float_graph, float_graph.nodes[index]));
    channels.push_back(c);
  }
  for (size_t k = 0; k < order.size(); ++k) {
    FP_ASSIGN_OR_RETURN(ir::Tensor * b, OwnBias(float_graph, order[k], channels[k]));
    float_bias.push_back(b);
  }
  FP_RETURN_IF_ERROR(ir::InferShapes(float_graph));

  // The QDQ graph runs in segments, each ending just before the next node:
  // its input's moments give the quantized layer's pre-bias mean, and the
  // corrected bias is in place when the node runs in the next segment.
  // Segments run QDQ patterns as the int8 kernels that will serve the model.
  FP_ASSIGN_OR_RETURN(ir::Graph qdq, to_qdq(float_graph));
  FP_RETURN_IF_ERROR(ir::InferShapes(qdq));
  ir::Graph dequantized = qdq;  // for the quantized weights as floats
  FP_RETURN_IF_ERROR(FoldConstantDequantize(dequantized));
  std::vector<BiasSlot> slots;
  std::vector<int> ends;
  for (const std::string& name : nodes) {
    FP_ASSIGN_OR_RETURN(BiasSlot slot, BiasSlotOf(qdq, name));
    slots.push_back(std::move(slot));
    const int index = NodeIndex(qdq, name);
    if (index < 0 || (!ends.empty() && index <= ends.back())) {
      return absl::InvalidArgumentError("the QDQ rewrite dropped or reordered a corrected node");
    }
    ends.push_back(index);
  }
  if (options.compare_outputs) ends.push_back(static_cast<int>(qdq.nodes.size()));
  const Dequantizers dequantizers = DequantizersOf(qdq);
  const absl::flat_hash_map<std::string, int> last_reader = LastReaders(qdq, dequantizers);
  // With compare_outputs the uncorrected graph runs alongside, in the same
  // segments (the same kernels, so binding them again is cheap).
  const ir::Graph uncorrected = options.compare_outputs ? qdq : ir::Graph{};
  ValueStore store, uncorrected_store;
  for (const io::DatasetBatch& batch : batches) {
    store[qdq.inputs[0].name].views.push_back(batch.images);
    if (options.compare_outputs) uncorrected_store[qdq.inputs[0].name].views.push_back(batch.images);
  }

  for (size_t k = 0; k < ends.size(); ++k) {
    if (cancelled()) return absl::CancelledError("bias correction cancelled");
    const int begin = k == 0 ? 0 : ends[k - 1];
    if (begin < ends[k]) {
      FP_ASSIGN_OR_RETURN(ir::Graph seg, Segment(qdq, begin, ends[k], last_reader, dequantizers));
      FP_RETURN_IF_ERROR(RunSegment(std::move(seg), options.threads, batches.size(), store));
      if (options.compare_outputs) {
        FP_ASSIGN_OR_RETURN(ir::Graph seg0, Segment(uncorrected, begin, ends[k], last_reader, dequantizers));
        FP_RETURN_IF_ERROR(
            RunSegment(std::move(seg0), options.threads, batches.size(), uncorrected_store));
      }
    }
    DropValuesReadBefore(ends[k], last_reader, store);
    DropValuesReadBefore(ends[k], last_reader, uncorrected_store);
    if (k >= nodes.size()) continue;  // the tail, for the outputs

    // The node's input: as float if computed, else its int8 form.
    const ir::Node& node = qdq.nodes[ends[k]];
    FP_ASSIGN_OR_RETURN(InputMoments moments, InputMoments::For(qdq, node));
    auto x = store.find(node.inputs[0]);
    auto dq = dequantizers.find(node.inputs[0]);
    if (x != store.end()) {
      for (const ir::TensorView& v : x->second.views) FP_RETURN_IF_ERROR(moments.Add(v));
    } else if (dq != dequantizers.end() && store.contains(qdq.nodes[dq->second].inputs[0])) {
      const ir::Node& d = qdq.nodes[dq->second];
      const ir::Tensor* scale = qdq.FindInitializer(d.inputs[1]);
      const ir::Tensor* zero = d.HasInput(2) ? qdq.FindInitializer(d.inputs[2]) : nullptr;
      if (scale == nullptr || scale->dtype() != ir::DType::kF32 || scale->NumElements() != 1 ||
          (zero != nullptr && zero->NumElements() != 1)) {
        return absl::InvalidArgumentError(
            absl::StrCat(nodes[k], ": input is not dequantized per tensor"));
      }
      const int32_t zero_point = zero != nullptr ? static_cast<int32_t>(zero->GetAsDouble(0)) : 0;
      for (const ir::TensorView& v : store.at(d.inputs[0]).views) {
        FP_RETURN_IF_ERROR(moments.AddQuantized(v, scale->data<float>()[0], zero_point));
      }
    } else {
      return absl::InternalError(absl::StrCat(nodes[k], ": input not computed"));
    }
    const ir::Node& dq_node = dequantized.nodes[NodeIndex(dequantized, nodes[k])];
    const ir::Tensor* quantized_weight = dequantized.FindInitializer(dq_node.inputs[1]);
    const ir::Tensor* float_weight =
        float_graph.FindInitializer(float_graph.nodes[order[k]].inputs[1]);
    if (quantized_weight == nullptr || float_weight == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(nodes[k], ": weight is not a constant"));
    }
    FP_ASSIGN_OR_RETURN(std::vector<double> qdq_means, moments.Means(*quantized_weight));
    FP_ASSIGN_OR_RETURN(std::vector<double> float_means, float_moments[k]->Means(*float_weight));
    if (qdq_means.size() != float_means.size() ||
        static_cast<int64_t>(qdq_means.size()) != channels[k]) {
      return absl::InternalError(absl::StrCat(nodes[k], ": float and QDQ channel counts differ"));
    }
    CorrectedBias entry{nodes[k], 0.0};
    float* bias = float_bias[k]->data<float>();
    for (size_t c = 0; c < qdq_means.size(); ++c) {
      const double shift = qdq_means[c] - float_means[c];
      bias[c] = static_cast<float>(bias[c] - shift);
      entry.max_abs_shift = std::max(entry.max_abs_shift, std::abs(shift));
    }
    FP_RETURN_IF_ERROR(StoreBias(*float_bias[k], slots[k], qdq));
    result.corrected.push_back(std::move(entry));
  }

  if (options.compare_outputs) {
    OutputSqnr with, without;
    const std::vector<ir::Tensor> corrected_out = OutputsOf(qdq, store, 0);
    const std::vector<ir::Tensor> uncorrected_out = OutputsOf(uncorrected, uncorrected_store, 0);
    int64_t first = 0;
    for (size_t b = 0; b < float_outputs.size(); ++b) {
      const int64_t n = reference->batch_sizes()[b];
      FP_RETURN_IF_ERROR(with.Add(float_outputs[b], RowsOf(corrected_out, total, first, n)));
      FP_RETURN_IF_ERROR(without.Add(float_outputs[b], RowsOf(uncorrected_out, total, first, n)));
      first += n;
    }
    result.output_sqnr_with_db = with.Db();
    result.output_sqnr_without_db = without.Db();
  }
  return result;
}

}  // namespace fixpoint::quant
