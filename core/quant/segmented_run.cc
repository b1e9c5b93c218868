#include "core/quant/segmented_run.h"

#include <algorithm>
#include <climits>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/ir/shape_inference.h"
#include "core/runtime/session.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {
namespace {

using ValueIndex = absl::flat_hash_map<std::string, int>;

// The DequantizeLinear nodes with constant scale and zero point by the value
// they write, unless that is a graph output.
ValueIndex DequantizersOf(const ir::Graph& g) {
  absl::flat_hash_set<std::string> outputs;
  for (const ir::ValueInfo& o : g.outputs) outputs.insert(o.name);
  ValueIndex dq;
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
// recomputed dequantizer's input lives as long as its output.
ValueIndex LastReaders(const ir::Graph& g, const ValueIndex& dequantizers) {
  ValueIndex last;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (const std::string& v : g.nodes[i].inputs) {
      if (!v.empty()) last[v] = static_cast<int>(i);
    }
  }
  for (const ir::ValueInfo& o : g.outputs) last[o.name] = INT_MAX;
  for (const auto& [value, node] : dequantizers) {
    auto it = last.find(value);
    if (it == last.end()) continue;
    int& q = last[g.nodes[node].inputs[0]];
    q = std::max(q, it->second);
  }
  return last;
}

}  // namespace

SegmentedRun::SegmentedRun(const ir::Graph& graph, ir::TensorView images, int threads)
    : graph_(graph),
      threads_(threads),
      dequantizers_(DequantizersOf(graph)),
      last_reader_(LastReaders(graph, dequantizers_)) {
  kept_[graph.inputs[0].name] = Kept{ir::Tensor(), runtime::LaidOutView{images, false}};
  for (const ir::ValueInfo& o : graph.outputs) graph_outputs_.insert(o.name);
}

// Nodes [begin, end) as a graph, preceded by copies of the dequantizers of
// earlier segments they read: its inputs are the non-constant values those
// read and do not produce; its outputs the values they produce, other than
// dequantizers' outputs, that a node at `end` or later, or the graph's
// outputs, read.
absl::StatusOr<ir::Graph> SegmentedRun::Segment(int begin, int end) const {
  ir::Graph seg;
  seg.name = graph_.name;
  seg.opset = graph_.opset;
  absl::flat_hash_set<std::string> produced, listed;
  std::vector<ir::Node> recomputed;
  auto read = [&](const std::string& v) -> absl::Status {
    if (v.empty() || produced.contains(v) || !listed.insert(v).second) return absl::OkStatus();
    if (const ir::Tensor* t = graph_.FindInitializer(v)) {
      seg.initializers.emplace(v, *t);
      return absl::OkStatus();
    }
    const ir::ValueInfo* info = graph_.FindValueInfo(v);
    if (info == nullptr) return absl::InternalError(absl::StrCat("no type for value '", v, "'"));
    seg.inputs.push_back(*info);
    return absl::OkStatus();
  };
  for (int i = begin; i < end; ++i) {
    const ir::Node& n = graph_.nodes[i];
    for (const std::string& v : n.inputs) {
      auto dq = dequantizers_.find(v);
      if (dq != dequantizers_.end() && dq->second < begin && !produced.contains(v)) {
        const ir::Node& copy = graph_.nodes[dq->second];
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
      auto it = last_reader_.find(v);
      if (it != last_reader_.end() && it->second >= end && !dequantizers_.contains(v)) {
        seg.outputs.push_back(*graph_.FindValueInfo(v));
      }
    }
    seg.nodes.push_back(n);
  }
  seg.nodes.insert(seg.nodes.begin(), recomputed.begin(), recomputed.end());
  FP_RETURN_IF_ERROR(ir::InferShapes(seg));
  return seg;
}

absl::Status SegmentedRun::RunTo(int end) {
  if (end < position_ || end > static_cast<int>(graph_.nodes.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("segment end ", end, " outside [", position_, ", ", graph_.nodes.size(), "]"));
  }
  if (end > position_) {
    FP_ASSIGN_OR_RETURN(ir::Graph seg, Segment(position_, end));
    if (!seg.outputs.empty()) {  // else nothing later reads what it computes
      std::vector<runtime::LaidOutView> inputs;
      for (const ir::ValueInfo& v : seg.inputs) {
        auto it = kept_.find(v.name);
        if (it == kept_.end()) {
          return absl::InternalError(absl::StrCat("'", v.name, "' not computed"));
        }
        inputs.push_back(it->second.view);
      }
      runtime::SessionOptions so;
      so.intra_op_threads = threads_;
      so.optimize = false;  // the graph must stay as built
      so.lower_qdq = true;  // QDQ patterns run as the int8 kernels that serve them
      std::vector<std::string> names;
      for (const ir::ValueInfo& v : seg.outputs) {
        names.push_back(v.name);
        // Graph outputs are handed out plain (Outputs).
        if (!graph_outputs_.contains(v.name)) so.channels_last_outputs.push_back(v.name);
      }
      FP_ASSIGN_OR_RETURN(auto session, runtime::Session::Create(std::move(seg), so));
      FP_ASSIGN_OR_RETURN(std::vector<runtime::LaidOutTensor> out, session->RunLaidOut(inputs));
      for (size_t k = 0; k < names.size(); ++k) {
        Kept& kept = kept_[names[k]];
        kept.owned = std::move(out[k].tensor);
        kept.view = runtime::LaidOutView{kept.owned.view(), out[k].channels_last};
      }
    }
  }
  position_ = end;
  for (auto it = kept_.begin(); it != kept_.end();) {
    auto last = last_reader_.find(it->first);
    if (last == last_reader_.end() || last->second < end) {
      kept_.erase(it++);
    } else {
      ++it;
    }
  }
  return absl::OkStatus();
}

const runtime::LaidOutView* SegmentedRun::Find(const std::string& name) const {
  auto it = kept_.find(name);
  return it == kept_.end() ? nullptr : &it->second.view;
}

const ir::Node* SegmentedRun::RecomputedDequantizer(const std::string& value) const {
  auto it = dequantizers_.find(value);
  return it == dequantizers_.end() ? nullptr : &graph_.nodes[it->second];
}

std::vector<ir::TensorView> SegmentedRun::Outputs() const {
  std::vector<ir::TensorView> out;
  for (const ir::ValueInfo& o : graph_.outputs) out.push_back(kept_.at(o.name).view.view);
  return out;
}

int64_t WidestCrossingBytesPerImage(const ir::Graph& graph) {
  const ValueIndex last = LastReaders(graph, ValueIndex{});
  auto bytes_per_image = [&](const std::string& v) -> int64_t {
    const ir::ValueInfo* info = graph.FindValueInfo(v);
    if (info == nullptr) return 0;
    int64_t n = 4;
    for (int d = 1; d < info->shape.rank(); ++d) n *= std::max<int64_t>(info->shape[d], 1);
    return n;
  };
  // Sweep the node order: values written so far that a later node still reads.
  absl::flat_hash_map<std::string, int64_t> live;
  for (const ir::ValueInfo& in : graph.inputs) live[in.name] = bytes_per_image(in.name);
  int64_t widest = 1;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
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
    for (const std::string& o : graph.nodes[i].outputs) {
      if (!o.empty()) live[o] = bytes_per_image(o);
    }
  }
  return widest;
}

}  // namespace fixpoint::quant
