#include "core/transform/fold_batchnorm.h"

#include <cmath>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "core/transform/fuse_activations.h"
#include "core/util/status_macros.h"

namespace fixpoint::transform {
namespace {

// The BN as a per-channel affine map y = (x - mean[c]) * s[c] + bias[c].
struct ChannelAffine {
  std::vector<double> s;
  std::vector<double> mean;
  std::vector<double> bias;
  int64_t channels() const { return static_cast<int64_t>(s.size()); }
};

// The new weights and bias of the producer.
struct FoldedParams {
  ir::Tensor weight;
  ir::Tensor bias;
};

// Input i of `node` when it is an f32 initializer, else nullptr.
const ir::Tensor* F32Initializer(const ir::Graph& g, const ir::Node& node, int i) {
  if (!node.HasInput(i)) return nullptr;
  const ir::Tensor* t = g.FindInitializer(node.inputs[i]);
  return t != nullptr && t->dtype() == ir::DType::kF32 ? t : nullptr;
}

// The BN's affine map; nullopt when it is not an inference BN with constant
// [C] parameters.
absl::StatusOr<std::optional<ChannelAffine>> BatchNormAffine(const ir::Graph& g,
                                                             const ir::Node& bn) {
  FP_ASSIGN_OR_RETURN(const int64_t training, bn.GetInt("training_mode", 0));
  FP_ASSIGN_OR_RETURN(const float eps, bn.GetFloat("epsilon", 1e-5f));
  if (training != 0 || bn.inputs.size() != 5 || !bn.HasInput(0) || bn.outputs.size() != 1) {
    return std::nullopt;
  }
  const ir::Tensor* p[4];  // scale, B, mean, var
  for (int k = 0; k < 4; ++k) {
    p[k] = F32Initializer(g, bn, k + 1);
    if (p[k] == nullptr || p[k]->shape().rank() != 1 || p[k]->shape() != p[0]->shape()) {
      return std::nullopt;
    }
  }
  const int64_t c = p[0]->NumElements();
  if (c == 0) return std::nullopt;
  ChannelAffine a;
  for (int64_t i = 0; i < c; ++i) {
    const double var = p[3]->data<float>()[i];
    a.s.push_back(p[0]->data<float>()[i] / std::sqrt(var + static_cast<double>(eps)));
    a.bias.push_back(p[1]->data<float>()[i]);
    a.mean.push_back(p[2]->data<float>()[i]);
  }
  return a;
}

// W * s[channel_of(flat index)], rounded once to f32.
ir::Tensor ScaleWeights(const ir::Tensor& w, const ChannelAffine& a,
                        const std::function<int64_t(int64_t)>& channel_of) {
  ir::Tensor out(ir::DType::kF32, w.shape());
  const float* src = w.data<float>();
  float* dst = out.data<float>();
  for (int64_t i = 0; i < w.NumElements(); ++i) {
    dst[i] = static_cast<float>(src[i] * a.s[channel_of(i)]);
  }
  return out;
}

// b' = (b - mean) * s + B with b = bias_at(c) (already multiplied by Gemm's beta).
ir::Tensor FoldBias(const ChannelAffine& a, const std::function<double(int64_t)>& bias_at) {
  ir::Tensor out(ir::DType::kF32, ir::Shape({a.channels()}));
  for (int64_t c = 0; c < a.channels(); ++c) {
    out.data<float>()[c] = static_cast<float>((bias_at(c) - a.mean[c]) * a.s[c] + a.bias[c]);
  }
  return out;
}

// Per-channel bias of a Conv/ConvTranspose: absent (0) or f32 [C]; nullopt
// when it is neither.
std::optional<std::function<double(int64_t)>> ConvBias(const ir::Graph& g, const ir::Node& host,
                                                       int64_t channels) {
  if (!host.HasInput(2)) return [](int64_t) { return 0.0; };
  const ir::Tensor* b = F32Initializer(g, host, 2);
  if (b == nullptr || b->shape() != ir::Shape({channels})) return std::nullopt;
  return [b](int64_t c) { return static_cast<double>(b->data<float>()[c]); };
}

absl::StatusOr<std::optional<FoldedParams>> FoldIntoConv(const ir::Graph& g, const ir::Node& host,
                                                         const ir::Tensor& w,
                                                         const ChannelAffine& a) {
  // W [Cout, Cin/group, k...]: output channel o is the o-th slice of dim 0.
  const int64_t c = a.channels();
  if (w.shape().rank() < 3 || w.shape()[0] != c) return std::nullopt;
  auto bias = ConvBias(g, host, c);
  if (!bias) return std::nullopt;
  const int64_t per_channel = w.NumElements() / c;
  return FoldedParams{ScaleWeights(w, a, [&](int64_t i) { return i / per_channel; }),
                      FoldBias(a, *bias)};
}

absl::StatusOr<std::optional<FoldedParams>> FoldIntoConvTranspose(const ir::Graph& g,
                                                                  const ir::Node& host,
                                                                  const ir::Tensor& w,
                                                                  const ChannelAffine& a) {
  // W [Cin, Cout/group, k...]: input channel i (of group i / (Cin/group)) and
  // column j feed output channel group_index * (Cout/group) + j.
  FP_ASSIGN_OR_RETURN(const int64_t group, host.GetInt("group", 1));
  const int64_t c = a.channels();
  if (w.shape().rank() < 3 || group < 1 || w.NumElements() == 0) return std::nullopt;
  const int64_t cin = w.shape()[0], cout_per_group = w.shape()[1];
  if (cin % group != 0 || cout_per_group * group != c) return std::nullopt;
  auto bias = ConvBias(g, host, c);
  if (!bias) return std::nullopt;
  const int64_t cin_per_group = cin / group;
  const int64_t kernel = w.NumElements() / (cin * cout_per_group);
  auto channel_of = [&](int64_t flat) {
    const int64_t ij = flat / kernel;
    const int64_t i = ij / cout_per_group, j = ij % cout_per_group;
    return (i / cin_per_group) * cout_per_group + j;
  };
  return FoldedParams{ScaleWeights(w, a, channel_of), FoldBias(a, *bias)};
}

absl::StatusOr<std::optional<FoldedParams>> FoldIntoGemm(const ir::Graph& g, const ir::Node& host,
                                                         const ir::Tensor& w,
                                                         const ChannelAffine& a) {
  // Y [M, N] = alpha * A' B' + beta * C; the BN's channels are Y's columns.
  FP_ASSIGN_OR_RETURN(const int64_t trans_b, host.GetInt("transB", 0));
  FP_ASSIGN_OR_RETURN(const float beta, host.GetFloat("beta", 1.0f));
  const int64_t n = a.channels();
  if (w.shape().rank() != 2 || w.shape()[trans_b != 0 ? 0 : 1] != n) return std::nullopt;
  std::function<double(int64_t)> bias = [](int64_t) { return 0.0; };
  if (host.HasInput(2)) {
    const ir::Tensor* c = F32Initializer(g, host, 2);
    if (c == nullptr) return std::nullopt;
    const ir::Shape& cs = c->shape();
    const bool one = c->NumElements() == 1 && cs.rank() <= 2;
    const bool row = cs == ir::Shape({n}) || cs == ir::Shape({1, n});
    if (!one && !row) return std::nullopt;
    bias = [c, one, beta](int64_t j) {
      return static_cast<double>(beta) * c->data<float>()[one ? 0 : j];
    };
  }
  const int64_t cols = w.shape()[1];
  auto channel_of = [&](int64_t flat) { return trans_b != 0 ? flat / cols : flat % cols; };
  return FoldedParams{ScaleWeights(w, a, channel_of), FoldBias(a, bias)};
}

// The folded parameters of `host` for `a`, or nullopt when it cannot take them.
absl::StatusOr<std::optional<FoldedParams>> FoldInto(const ir::Graph& g, const ir::Node& host,
                                                     const ChannelAffine& a) {
  const ir::Tensor* w = F32Initializer(g, host, 1);
  if (w == nullptr || host.HasAttr(kFusedActivation) || host.outputs.size() != 1) {
    return std::nullopt;
  }
  if (host.op_type == "Conv") return FoldIntoConv(g, host, *w, a);
  if (host.op_type == "ConvTranspose") return FoldIntoConvTranspose(g, host, *w, a);
  if (host.op_type == "Gemm") return FoldIntoGemm(g, host, *w, a);
  return std::nullopt;
}

class BatchNormFolder {
 public:
  explicit BatchNormFolder(ir::Graph& graph) : g_(graph) {
    for (const ir::ValueInfo& out : g_.outputs) graph_outputs_.insert(out.name);
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      for (const std::string& in : g_.nodes[i].inputs) {
        if (!in.empty()) ++readers_[in];
      }
      for (const std::string& out : g_.nodes[i].outputs) producer_[out] = static_cast<int>(i);
    }
  }

  absl::StatusOr<int> Run() {
    std::vector<bool> removed(g_.nodes.size(), false);
    int count = 0;
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      if (g_.nodes[i].op_type != "BatchNormalization") continue;
      FP_ASSIGN_OR_RETURN(removed[i], TryFold(g_.nodes[i]));
      count += removed[i];
    }
    std::vector<ir::Node> kept;
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      if (!removed[i]) kept.push_back(std::move(g_.nodes[i]));
    }
    g_.nodes = std::move(kept);
    RemoveUnread();
    return count;
  }

 private:
  // Folds `bn` into its producer when allowed; true when it did.
  absl::StatusOr<bool> TryFold(const ir::Node& bn) {
    FP_ASSIGN_OR_RETURN(std::optional<ChannelAffine> affine, BatchNormAffine(g_, bn));
    if (!affine) return false;
    const std::string& x = bn.inputs[0];
    auto p = producer_.find(x);
    if (p == producer_.end() || readers_[x] != 1 || graph_outputs_.contains(x)) return false;
    ir::Node& host = g_.nodes[p->second];
    FP_ASSIGN_OR_RETURN(std::optional<FoldedParams> params, FoldInto(g_, host, *affine));
    if (!params) return false;
    for (size_t k = 1; k < host.inputs.size(); ++k) replaced_.insert(host.inputs[k]);
    for (size_t k = 1; k < bn.inputs.size(); ++k) replaced_.insert(bn.inputs[k]);
    host.inputs.resize(3);
    host.inputs[1] = AddInitializer(host.name + "_bn_weight", std::move(params->weight));
    host.inputs[2] = AddInitializer(host.name + "_bn_bias", std::move(params->bias));
    if (host.op_type == "Gemm") host.attrs["beta"] = 1.0f;
    g_.value_info.erase(x);
    host.outputs[0] = bn.outputs[0];
    producer_[bn.outputs[0]] = p->second;
    return true;
  }

  // A new initializer (never one another node may share); returns its name.
  std::string AddInitializer(const std::string& base, ir::Tensor t) {
    const std::string name = g_.UniqueValueName(base);
    g_.value_info[name] = ir::ValueInfo{name, t.dtype(), t.shape()};
    g_.initializers[name] = std::move(t);
    return name;
  }

  // Drops the replaced weights and BN parameters nothing reads any more.
  void RemoveUnread() {
    absl::flat_hash_set<std::string> read(graph_outputs_.begin(), graph_outputs_.end());
    for (const ir::Node& n : g_.nodes) read.insert(n.inputs.begin(), n.inputs.end());
    for (const std::string& name : replaced_) {
      if (read.contains(name)) continue;
      g_.initializers.erase(name);
      g_.value_info.erase(name);
    }
  }

  ir::Graph& g_;
  absl::flat_hash_set<std::string> graph_outputs_;
  absl::flat_hash_map<std::string, int> readers_;   // number of node inputs reading a value
  absl::flat_hash_map<std::string, int> producer_;  // node index by output name
  absl::flat_hash_set<std::string> replaced_;       // initializers that may now be unread
};

}  // namespace

absl::Status FoldBatchNorm(ir::Graph& graph, int* folded) {
  BatchNormFolder folder(graph);
  FP_ASSIGN_OR_RETURN(const int count, folder.Run());
  if (folded != nullptr) *folded = count;
  return absl::OkStatus();
}

}  // namespace fixpoint::transform
