#include "core/transform/fold_batchnorm_forward.h"

#include <cmath>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/transform/batchnorm_affine.h"
#include "core/transform/fuse_activations.h"
#include "core/util/status_macros.h"

namespace fixpoint::transform {
namespace {

using Affine = BatchNormAffine;

// The BN's affine map when it can move past MaxPool: every a[c] > 0.
absl::StatusOr<std::optional<Affine>> ReadAffine(const ir::Graph& g, const ir::Node& bn) {
  FP_ASSIGN_OR_RETURN(std::optional<Affine> f, ReadBatchNormAffine(g, bn));
  if (!f) return f;
  for (double a : f->a) {
    if (!(a > 0)) return std::optional<Affine>();  // MaxPool would not commute
  }
  return f;
}

class ForwardFold {
 public:
  explicit ForwardFold(ir::Graph& g) : g_(g) {}

  absl::StatusOr<bool> TryFold(int bn_index) {
    const ir::Node bn = g_.nodes[bn_index];
    FP_ASSIGN_OR_RETURN(std::optional<Affine> affine, ReadAffine(g_, bn));
    if (!affine) return false;
    // Walk single-reader MaxPools to the consumer.
    std::string value = bn.outputs[0];
    int reader = SingleReader(value);
    while (reader >= 0 && g_.nodes[reader].op_type == "MaxPool" &&
           (g_.nodes[reader].outputs.size() == 1 || g_.nodes[reader].outputs[1].empty())) {
      value = g_.nodes[reader].outputs[0];
      reader = SingleReader(value);
    }
    if (reader < 0) return false;
    ir::Node& consumer = g_.nodes[reader];
    bool done = false;
    if (consumer.op_type == "Conv" && consumer.inputs[0] == value) {
      FP_ASSIGN_OR_RETURN(done, FoldIntoConv(consumer, *affine));
    } else if (consumer.op_type == "Flatten" && consumer.inputs[0] == value) {
      FP_ASSIGN_OR_RETURN(done, FoldThroughFlatten(consumer, value, *affine));
    }
    if (!done) return false;
    // The BN's readers now read its input; the BN goes.
    for (ir::Node& n : g_.nodes) {
      for (std::string& in : n.inputs) {
        if (in == bn.outputs[0]) in = bn.inputs[0];
      }
    }
    g_.nodes.erase(g_.nodes.begin() + bn_index);
    return true;
  }

 private:
  bool IsGraphOutput(const std::string& v) const {
    for (const ir::ValueInfo& o : g_.outputs) {
      if (o.name == v) return true;
    }
    return false;
  }

  int SingleReader(const std::string& v) const {
    if (IsGraphOutput(v)) return -1;
    const std::vector<int> r = g_.ConsumersOf(v);
    return r.size() == 1 ? r[0] : -1;
  }

  absl::StatusOr<bool> FoldIntoConv(ir::Node& conv, const Affine& f) {
    FP_ASSIGN_OR_RETURN(int64_t group, conv.GetInt("group", 1));
    FP_ASSIGN_OR_RETURN(std::vector<int64_t> pads, conv.GetInts("pads", {}));
    FP_ASSIGN_OR_RETURN(std::string auto_pad, conv.GetString("auto_pad", "NOTSET"));
    if (group != 1 || (auto_pad != "NOTSET" && auto_pad != "VALID")) return false;
    for (int64_t p : pads) {
      if (p != 0) return false;
    }
    const ir::Tensor* w = g_.FindInitializer(conv.inputs[1]);
    if (w == nullptr || w->dtype() != ir::DType::kF32 || w->shape().rank() < 3) return false;
    const int64_t cout = w->shape()[0], cin = w->shape()[1];
    if (cin != static_cast<int64_t>(f.a.size())) return false;
    const int64_t k = w->NumElements() / (cout * cin);
    const ir::Tensor* b = conv.HasInput(2) ? g_.FindInitializer(conv.inputs[2]) : nullptr;
    if (conv.HasInput(2) && (b == nullptr || b->NumElements() != cout)) return false;
    ir::Tensor w2(ir::DType::kF32, w->shape());
    ir::Tensor b2(ir::DType::kF32, ir::Shape{cout});
    for (int64_t o = 0; o < cout; ++o) {
      double bias = b ? b->data<float>()[o] : 0.0;
      for (int64_t i = 0; i < cin; ++i) {
        for (int64_t j = 0; j < k; ++j) {
          const int64_t at = (o * cin + i) * k + j;
          const double wv = w->data<float>()[at];
          w2.data<float>()[at] = static_cast<float>(wv * f.a[i]);
          bias += wv * f.b[i];
        }
      }
      b2.data<float>()[o] = static_cast<float>(bias);
    }
    Install(conv, std::move(w2), std::move(b2));
    return true;
  }

  // Flatten(axis 1) of [N, C, H, W...] feeding a Gemm.
  absl::StatusOr<bool> FoldThroughFlatten(ir::Node& flatten, const std::string& value,
                                          const Affine& f) {
    FP_ASSIGN_OR_RETURN(int64_t axis, flatten.GetInt("axis", 1));
    const ir::ValueInfo* in = g_.FindValueInfo(value);
    const int gemm_index = SingleReader(flatten.outputs[0]);
    if (axis != 1 || in == nullptr || in->shape.rank() < 2 || gemm_index < 0) return false;
    ir::Node& gemm = g_.nodes[gemm_index];
    if (gemm.op_type != "Gemm" || gemm.inputs[0] != flatten.outputs[0]) return false;
    FP_ASSIGN_OR_RETURN(int64_t trans_a, gemm.GetInt("transA", 0));
    FP_ASSIGN_OR_RETURN(int64_t trans_b, gemm.GetInt("transB", 0));
    FP_ASSIGN_OR_RETURN(float alpha, gemm.GetFloat("alpha", 1.0f));
    FP_ASSIGN_OR_RETURN(float beta, gemm.GetFloat("beta", 1.0f));
    if (trans_a != 0 || alpha != 1.0f || HasFusedActivationAttr(gemm)) return false;
    int64_t spatial = 1;
    for (int d = 2; d < in->shape.rank(); ++d) spatial *= in->shape[d];
    const int64_t c = in->shape[1];
    if (c != static_cast<int64_t>(f.a.size()) || spatial <= 0) return false;
    const ir::Tensor* w = g_.FindInitializer(gemm.inputs[1]);
    if (w == nullptr || w->dtype() != ir::DType::kF32 || w->shape().rank() != 2) return false;
    const int64_t kdim = trans_b ? w->shape()[1] : w->shape()[0];
    const int64_t n = trans_b ? w->shape()[0] : w->shape()[1];
    if (kdim != c * spatial) return false;
    const ir::Tensor* cb = gemm.HasInput(2) ? g_.FindInitializer(gemm.inputs[2]) : nullptr;
    if (gemm.HasInput(2) && (cb == nullptr || cb->NumElements() != n)) return false;
    ir::Tensor w2(ir::DType::kF32, w->shape());
    ir::Tensor b2(ir::DType::kF32, ir::Shape{n});
    for (int64_t j = 0; j < n; ++j) {
      double bias = cb ? beta * static_cast<double>(cb->data<float>()[j]) : 0.0;
      for (int64_t feature = 0; feature < kdim; ++feature) {
        const int64_t ch = feature / spatial;
        const int64_t at = trans_b ? j * kdim + feature : feature * n + j;
        const double wv = w->data<float>()[at];
        w2.data<float>()[at] = static_cast<float>(wv * f.a[ch]);
        bias += wv * f.b[ch];
      }
      b2.data<float>()[j] = static_cast<float>(bias);
    }
    gemm.attrs["beta"] = 1.0f;
    Install(gemm, std::move(w2), std::move(b2));
    return true;
  }

  static bool HasFusedActivationAttr(const ir::Node& n) { return n.HasAttr(kFusedActivation); }

  void Install(ir::Node& host, ir::Tensor w, ir::Tensor b) {
    const std::string wn = g_.UniqueValueName(host.inputs[1] + "_bn_folded");
    g_.initializers[wn] = std::move(w);
    const std::string bname = g_.UniqueValueName(host.name + "_bias_bn_folded");
    g_.initializers[bname] = std::move(b);
    host.inputs.resize(3);
    host.inputs[1] = wn;
    host.inputs[2] = bname;
  }

  ir::Graph& g_;
};

// Initializers nobody reads any more.
void DropUnread(ir::Graph& g) {
  std::set<std::string> read;
  for (const ir::Node& n : g.nodes) read.insert(n.inputs.begin(), n.inputs.end());
  for (const ir::ValueInfo& o : g.outputs) read.insert(o.name);
  for (auto it = g.initializers.begin(); it != g.initializers.end();) {
    it = read.count(it->first) ? std::next(it) : g.initializers.erase(it);
  }
}

}  // namespace

absl::Status FoldBatchNormForward(ir::Graph& graph, int* folded) {
  int count = 0;
  ForwardFold fold(graph);
  for (size_t i = 0; i < graph.nodes.size();) {
    if (graph.nodes[i].op_type == "BatchNormalization") {
      FP_ASSIGN_OR_RETURN(bool done, fold.TryFold(static_cast<int>(i)));
      if (done) {
        ++count;
        continue;  // node i is now the next node
      }
    }
    ++i;
  }
  if (count > 0) DropUnread(graph);
  if (folded != nullptr) *folded = count;
  return absl::OkStatus();
}

}  // namespace fixpoint::transform
