#include "core/quant/bias_correction.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <thread>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/ir/shape_inference.h"
#include "core/quant/fold_dequantize.h"
#include "core/quant/input_moments.h"
#include "core/quant/output_error.h"
#include "core/quant/segmented_run.h"
#include "core/quant/weight_quant.h"
#include "core/runtime/cpu/threading.h"
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

// Rows [first, first + count) of each tensor of `total` rows (dimension 0),
// copied; a tensor without a batch dimension as it is.
std::vector<ir::Tensor> RowsOf(const std::vector<ir::TensorView>& tensors, int64_t total,
                               int64_t first, int64_t count) {
  std::vector<ir::Tensor> rows;
  for (ir::TensorView v : tensors) {
    if (v.shape.rank() == 0 || v.shape[0] != total) {
      rows.push_back(ir::Tensor::CopyOf(v));
      continue;
    }
    const int64_t row_bytes = v.NumElements() / total * static_cast<int64_t>(ir::DTypeSize(v.dtype));
    std::vector<int64_t> dims(v.shape.dims().begin(), v.shape.dims().end());
    dims[0] = count;
    v.shape = ir::Shape(dims);
    v.data = static_cast<std::byte*>(v.data) + first * row_bytes;
    rows.push_back(ir::Tensor::CopyOf(v));
  }
  return rows;
}

}  // namespace

int64_t BiasCorrectionImagesWithin(const ir::Graph& float_graph, int64_t budget_bytes) {
  return std::max<int64_t>(1, budget_bytes / WidestCrossingBytesPerImage(float_graph));
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
  // The QDQ graph runs on all the reference's images at once.
  int64_t total = 0;
  for (int64_t n : reference->batch_sizes()) total += n;
  if (total == 0) return absl::InvalidArgumentError("no calibration images");
  FP_ASSIGN_OR_RETURN(io::DatasetBatch all, calibration.Items(0, total));
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
  // With compare_outputs the uncorrected graph runs too, whole, as one
  // session; with two or more threads, on a thread of its own beside the
  // segmented run (whose many small sessions leave cores idle).
  const int threads = runtime::cpu::ThreadsOrAll(options.threads);
  const bool beside = options.compare_outputs && threads >= 2;
  absl::StatusOr<std::vector<ir::Tensor>> uncorrected_outputs;
  // Runs once: its snapshot of the uncorrected graph moves into the session.
  auto run_uncorrected = [&, graph = qdq](int intra_op_threads) mutable {
    runtime::SessionOptions so;
    so.intra_op_threads = intra_op_threads;
    so.optimize = false;
    so.lower_qdq = true;  // the int8 kernels the segments run
    absl::StatusOr<std::unique_ptr<runtime::Session>> session =
        runtime::Session::Create(std::move(graph), so);
    if (!session.ok()) {
      uncorrected_outputs = session.status();
      return;
    }
    uncorrected_outputs = (*session)->Run(std::vector<ir::TensorView>{all.images});
  };
  std::thread uncorrected_thread;
  if (beside) uncorrected_thread = std::thread(std::ref(run_uncorrected), 1);
  absl::Cleanup join_uncorrected = [&] {
    if (uncorrected_thread.joinable()) uncorrected_thread.join();
  };
  if (options.compare_outputs && !beside) run_uncorrected(threads);
  SegmentedRun run(qdq, all.images, beside ? threads - 1 : threads);

  for (size_t k = 0; k < ends.size(); ++k) {
    if (cancelled()) return absl::CancelledError("bias correction cancelled");
    FP_RETURN_IF_ERROR(run.RunTo(ends[k]));
    if (k >= nodes.size()) continue;  // the tail, for the outputs

    // The node's input: as float if kept, else its int8 form.
    const ir::Node& node = qdq.nodes[ends[k]];
    FP_ASSIGN_OR_RETURN(InputMoments moments, InputMoments::For(qdq, node));
    const ir::Node* dq = run.RecomputedDequantizer(node.inputs[0]);
    if (const runtime::LaidOutView* x = run.Find(node.inputs[0])) {
      FP_RETURN_IF_ERROR(moments.AddObserved(runtime::ObservedValue{x->view, 0, x->channels_last}));
    } else if (const runtime::LaidOutView* q = dq != nullptr ? run.Find(dq->inputs[0]) : nullptr) {
      const ir::Tensor* scale = qdq.FindInitializer(dq->inputs[1]);
      const ir::Tensor* zero = dq->HasInput(2) ? qdq.FindInitializer(dq->inputs[2]) : nullptr;
      if (scale == nullptr || scale->dtype() != ir::DType::kF32 || scale->NumElements() != 1 ||
          (zero != nullptr && zero->NumElements() != 1)) {
        return absl::InvalidArgumentError(
            absl::StrCat(nodes[k], ": input is not dequantized per tensor"));
      }
      const int32_t zero_point = zero != nullptr ? static_cast<int32_t>(zero->GetAsDouble(0)) : 0;
      FP_RETURN_IF_ERROR(moments.AddObserved(runtime::ObservedValue{q->view, 0, q->channels_last},
                                             scale->data<float>()[0], zero_point));
    } else {
      return absl::InternalError(absl::StrCat(nodes[k], ": input not computed"));
    }
    // The weight as the QDQ graph computes it: a constant, or dequantized
    // from one.
    const ir::Tensor* float_weight =
        float_graph.FindInitializer(float_graph.nodes[order[k]].inputs[1]);
    const ir::Tensor* quantized_weight = qdq.FindInitializer(node.inputs[1]);
    ir::Tensor dequantized_weight;
    if (const int dq = qdq.ProducerOf(node.inputs[1]); quantized_weight == nullptr && dq >= 0) {
      FP_ASSIGN_OR_RETURN(dequantized_weight, DequantizeConstant(qdq, qdq.nodes[dq]));
      quantized_weight = &dequantized_weight;
    }
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
    const std::vector<ir::TensorView> corrected_out = run.Outputs();
    std::move(join_uncorrected).Invoke();
    if (!uncorrected_outputs.ok()) return uncorrected_outputs.status();
    std::vector<ir::TensorView> uncorrected_out;
    for (const ir::Tensor& t : *uncorrected_outputs) uncorrected_out.push_back(t.view());
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
  result.qdq = std::move(qdq);
  return result;
}

}  // namespace fixpoint::quant
