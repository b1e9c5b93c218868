#include "core/transform/lower_qdq.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/transform/batchnorm_affine.h"
#include "core/transform/fuse_activations.h"
#include "core/util/status_macros.h"

namespace fixpoint::transform {
namespace {

bool IsInt8(ir::DType t) { return t == ir::DType::kI8 || t == ir::DType::kU8; }

// A DequantizeLinear feeding a value: its node index and parameters.
struct Dq {
  int node = -1;
  std::string q;      // quantized input value
  std::string scale;  // initializer names
  std::string zp;
};

class Lowering {
 public:
  explicit Lowering(ir::Graph& g) : g_(g) {}

  absl::Status Run(LowerQdqStats& stats) {
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      if (removed_.count(static_cast<int>(i))) continue;
      const std::string op = g_.nodes[i].op_type;  // a copy: lowering renames it
      if (op == "Conv" || op == "Gemm") {
        FP_ASSIGN_OR_RETURN(bool done, LowerMatmulLike(static_cast<int>(i)));
        if (done) ++(op == "Conv" ? stats.convs : stats.gemms);
      } else if (op == "Add") {
        FP_ASSIGN_OR_RETURN(bool done, LowerAdd(static_cast<int>(i)));
        stats.adds += done;
      } else if (op == "MaxPool" || op == "Flatten" || op == "Reshape" || op == "Squeeze" ||
                 op == "Unsqueeze") {
        if (LowerPassThrough(static_cast<int>(i))) ++stats.pass_through;
      }
    }
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      if (removed_.count(static_cast<int>(i)) || g_.nodes[i].op_type != "QLinearConv") continue;
      FP_ASSIGN_OR_RETURN(bool done, FoldBatchNormIntoRequant(static_cast<int>(i)));
      stats.batchnorms += done;
    }
    Compact();
    return absl::OkStatus();
  }

 private:
  const ir::Tensor* Init(const std::string& name) const { return g_.FindInitializer(name); }

  bool IsGraphOutput(const std::string& v) const {
    for (const ir::ValueInfo& o : g_.outputs) {
      if (o.name == v) return true;
    }
    return false;
  }

  std::vector<int> Readers(const std::string& v) const {
    std::vector<int> r;
    for (int c : g_.ConsumersOf(v)) {
      if (!removed_.count(c)) r.push_back(c);
    }
    return r;
  }

  // The DQ producing `v` with initializer scale (scalar if per_tensor) and zp.
  std::optional<Dq> DqOf(const std::string& v, bool per_tensor) const {
    const int p = g_.ProducerOf(v);
    if (p < 0 || removed_.count(p)) return std::nullopt;
    const ir::Node& n = g_.nodes[p];
    if (n.op_type != "DequantizeLinear" || !n.HasInput(2)) return std::nullopt;
    const ir::Tensor* s = Init(n.inputs[1]);
    const ir::Tensor* z = Init(n.inputs[2]);
    if (s == nullptr || z == nullptr || s->dtype() != ir::DType::kF32) return std::nullopt;
    if (per_tensor && s->NumElements() != 1) return std::nullopt;
    return Dq{p, n.inputs[0], n.inputs[1], n.inputs[2]};
  }

  // The single QuantizeLinear reading `v` (per-tensor, initializer params).
  std::optional<int> SingleQOf(const std::string& v) const {
    if (IsGraphOutput(v)) return std::nullopt;
    const std::vector<int> r = Readers(v);
    if (r.size() != 1) return std::nullopt;
    const ir::Node& q = g_.nodes[r[0]];
    if (q.op_type != "QuantizeLinear" || !q.HasInput(2) || q.inputs[0] != v) return std::nullopt;
    const ir::Tensor* s = Init(q.inputs[1]);
    const ir::Tensor* z = Init(q.inputs[2]);
    if (s == nullptr || z == nullptr || s->NumElements() != 1 || !IsInt8(z->dtype())) {
      return std::nullopt;
    }
    return r[0];
  }

  static bool AllZero(const ir::Tensor& t) {
    const auto* b = static_cast<const uint8_t*>(t.raw());
    for (size_t i = 0; i < t.ByteSize(); ++i) {
      if (b[i] != 0) return false;
    }
    return true;
  }

  // Weight DQ: i8 initializer, zero zp, scale scalar or per output channel
  // along `axis`.
  std::optional<Dq> WeightDq(const std::string& w, int axis, int64_t channels) const {
    std::optional<Dq> dq = DqOf(w, /*per_tensor=*/false);
    if (!dq) return std::nullopt;
    const ir::Tensor* q = Init(dq->q);
    const ir::Tensor* s = Init(dq->scale);
    if (q == nullptr || q->dtype() != ir::DType::kI8 || !AllZero(*Init(dq->zp))) {
      return std::nullopt;
    }
    if (s->NumElements() != 1) {
      auto a = g_.nodes[dq->node].GetInt("axis", 1);
      const int rank = q->shape().rank();
      if (!a.ok() || s->NumElements() != channels || (*a + rank) % rank != axis) {
        return std::nullopt;
      }
    }
    return dq;
  }

  // Bias as an i32 initializer at scale x_s * w_s[m]; "" when absent;
  // nullopt when it cannot be expressed.
  std::optional<std::string> IntBias(const ir::Node& n, int index, float xs, const ir::Tensor& ws,
                                     int64_t channels) {
    if (!n.HasInput(index)) return std::string();
    const std::string& b = n.inputs[index];
    auto scale_of = [&](int64_t m) {
      return xs * ws.data<float>()[ws.NumElements() == 1 ? 0 : m];
    };
    if (std::optional<Dq> dq = DqOf(b, false)) {
      const ir::Tensor* q = Init(dq->q);
      const ir::Tensor* s = Init(dq->scale);
      if (q == nullptr || q->dtype() != ir::DType::kI32 || q->NumElements() != channels ||
          !AllZero(*Init(dq->zp))) {
        return std::nullopt;
      }
      for (int64_t m = 0; m < channels; ++m) {
        const float got = s->data<float>()[s->NumElements() == 1 ? 0 : m];
        if (std::fabs(got - scale_of(m)) > 1e-6f * std::fabs(scale_of(m))) return std::nullopt;
      }
      return dq->q;
    }
    const ir::Tensor* f = Init(b);
    if (f == nullptr || f->dtype() != ir::DType::kF32 || f->NumElements() != channels) {
      return std::nullopt;
    }
    ir::Tensor q(ir::DType::kI32, ir::Shape{channels});
    for (int64_t m = 0; m < channels; ++m) {
      const double v = std::nearbyint(static_cast<double>(f->data<float>()[m]) / scale_of(m));
      q.data<int32_t>()[m] = static_cast<int32_t>(std::clamp(v, -2147483648.0, 2147483647.0));
    }
    const std::string name = g_.UniqueValueName(b + "_quantized");
    g_.initializers[name] = std::move(q);
    return name;
  }

  absl::StatusOr<bool> LowerMatmulLike(int i) {
    const ir::Node n = g_.nodes[i];
    const bool conv = n.op_type == "Conv";
    FP_ASSIGN_OR_RETURN(std::string act, n.GetString(kFusedActivation, ""));
    if (!act.empty() && act != "Relu" && act != "LeakyRelu" && act != "Clip") return false;
    const ir::ValueInfo* x_info = g_.FindValueInfo(n.inputs[0]);
    if (conv && (x_info == nullptr || x_info->shape.rank() != 4)) return false;
    int64_t channels = 0;
    int axis = 0;
    if (conv) {
      const ir::ValueInfo* w = g_.FindValueInfo(n.inputs[1]);
      if (w == nullptr || w->shape.rank() != 4) return false;
      channels = w->shape[0];
    } else {
      FP_ASSIGN_OR_RETURN(int64_t ta, n.GetInt("transA", 0));
      FP_ASSIGN_OR_RETURN(int64_t tb, n.GetInt("transB", 0));
      FP_ASSIGN_OR_RETURN(float alpha, n.GetFloat("alpha", 1.0f));
      FP_ASSIGN_OR_RETURN(float beta, n.GetFloat("beta", 1.0f));
      const ir::ValueInfo* w = g_.FindValueInfo(n.inputs[1]);
      if (ta != 0 || alpha != 1.0f || beta != 1.0f || w == nullptr) return false;
      axis = tb ? 0 : 1;
      channels = w->shape[axis];
    }
    std::optional<Dq> dx = DqOf(n.inputs[0], /*per_tensor=*/true);
    std::optional<Dq> dw = WeightDq(n.inputs[1], axis, channels);
    if (!dx || !dw) return false;
    const float xs = Init(dx->scale)->data<float>()[0];
    std::optional<std::string> bias =
        IntBias(n, 2, xs, *Init(dw->scale), channels);
    if (!bias) return false;
    std::optional<int> q = SingleQOf(n.outputs[0]);
    ir::Node lowered = n;
    lowered.op_type = conv ? "QLinearConv" : "QGemm";
    lowered.attrs.erase("beta");
    const std::string ys = q ? g_.nodes[*q].inputs[1] : "";
    const std::string yz = q ? g_.nodes[*q].inputs[2] : "";
    if (conv) {
      lowered.inputs = {dx->q, dx->scale, dx->zp, dw->q, dw->scale, dw->zp, ys, yz, *bias};
    } else {
      lowered.inputs = {dx->q, dx->scale, dx->zp, dw->q, dw->scale, dw->zp, *bias, ys, yz};
    }
    while (!lowered.inputs.empty() && lowered.inputs.back().empty()) lowered.inputs.pop_back();
    if (q) {
      lowered.outputs = {g_.nodes[*q].outputs[0]};
      removed_.insert(*q);
    }
    g_.nodes[i] = std::move(lowered);
    return true;
  }

  // QLinearConv with f32 output (fused act or none) -> BN -> Q becomes one
  // QLinearConv writing Q's output: the BN scale a multiplies w_scale, its
  // shift b becomes post_shift (added after the activation). Requires a > 0
  // when an activation is fused (it must commute with the scaling).
  absl::StatusOr<bool> FoldBatchNormIntoRequant(int i) {
    const ir::Node& n = g_.nodes[i];
    if (n.HasInput(6) || n.HasInput(9)) return false;
    const std::vector<int> readers = Readers(n.outputs[0]);
    if (readers.size() != 1 || IsGraphOutput(n.outputs[0])) return false;
    const int bn_index = readers[0];
    const ir::Node& bn = g_.nodes[bn_index];
    if (bn.op_type != "BatchNormalization" || bn.inputs[0] != n.outputs[0]) return false;
    std::optional<int> q = SingleQOf(bn.outputs[0]);
    if (!q) return false;
    FP_ASSIGN_OR_RETURN(std::string act, n.GetString(kFusedActivation, ""));
    FP_ASSIGN_OR_RETURN(std::optional<BatchNormAffine> affine, ReadBatchNormAffine(g_, bn));
    const ir::Tensor* ws = Init(n.inputs[4]);
    if (!affine || ws == nullptr) return false;
    const int64_t m = static_cast<int64_t>(affine->a.size());
    if (ws->NumElements() != 1 && ws->NumElements() != m) return false;
    ir::Tensor scale(ir::DType::kF32, ir::Shape{m});
    ir::Tensor shift(ir::DType::kF32, ir::Shape{m});
    for (int64_t c = 0; c < m; ++c) {
      const double a = affine->a[c];
      if (!act.empty() && !(a > 0)) return false;
      const double w = ws->data<float>()[ws->NumElements() == 1 ? 0 : c];
      scale.data<float>()[c] = static_cast<float>(w * a);
      shift.data<float>()[c] = static_cast<float>(affine->b[c]);
    }
    const std::string scale_name = g_.UniqueValueName(n.name + "_w_scale_bn");
    const std::string shift_name = g_.UniqueValueName(n.name + "_post_shift_bn");
    g_.initializers[scale_name] = std::move(scale);
    g_.initializers[shift_name] = std::move(shift);
    ir::Node lowered = n;
    lowered.inputs.resize(10);
    lowered.inputs[4] = scale_name;
    const ir::Tensor* wzp = Init(n.inputs[5]);
    if (wzp == nullptr) return false;
    if (wzp->NumElements() != m) {  // a per-tensor zero point (0) shaped like the new scale
      const std::string zp_name = g_.UniqueValueName(n.name + "_w_zero_point_bn");
      g_.initializers[zp_name] = ir::Tensor(wzp->dtype(), ir::Shape{m});
      lowered.inputs[5] = zp_name;
    }
    lowered.inputs[6] = g_.nodes[*q].inputs[1];
    lowered.inputs[7] = g_.nodes[*q].inputs[2];
    lowered.inputs[9] = shift_name;
    lowered.outputs = {g_.nodes[*q].outputs[0]};
    removed_.insert(bn_index);
    removed_.insert(*q);
    g_.nodes[i] = std::move(lowered);
    return true;
  }

  // DQ(a) + DQ(b) [fused act] -> Q  =>  QLinearAdd, for equal shapes.
  absl::StatusOr<bool> LowerAdd(int i) {
    const ir::Node n = g_.nodes[i];
    FP_ASSIGN_OR_RETURN(std::string act, n.GetString(kFusedActivation, ""));
    if (!act.empty() && act != "Relu" && act != "LeakyRelu" && act != "Clip") return false;
    const ir::ValueInfo* a_info = g_.FindValueInfo(n.inputs[0]);
    const ir::ValueInfo* b_info = g_.FindValueInfo(n.inputs[1]);
    if (a_info == nullptr || b_info == nullptr || a_info->shape != b_info->shape) return false;
    std::optional<Dq> da = DqOf(n.inputs[0], /*per_tensor=*/true);
    std::optional<Dq> db = DqOf(n.inputs[1], /*per_tensor=*/true);
    std::optional<int> q = SingleQOf(n.outputs[0]);
    if (!da || !db || !q) return false;
    ir::Node lowered = n;
    lowered.op_type = "QLinearAdd";
    lowered.inputs = {da->q, da->scale, da->zp, db->q, db->scale, db->zp,
                      g_.nodes[*q].inputs[1], g_.nodes[*q].inputs[2]};
    lowered.outputs = {g_.nodes[*q].outputs[0]};
    removed_.insert(*q);
    g_.nodes[i] = std::move(lowered);
    return true;
  }

  bool LowerPassThrough(int i) {
    const ir::Node& n = g_.nodes[i];
    if (n.outputs.size() > 1 && !n.outputs[1].empty()) return false;  // MaxPool indices
    std::optional<Dq> dq = DqOf(n.inputs[0], /*per_tensor=*/true);
    std::optional<int> q = SingleQOf(n.outputs[0]);
    if (!dq || !q) return false;
    const ir::Node& qn = g_.nodes[*q];
    const ir::Tensor* s_in = Init(dq->scale);
    const ir::Tensor* z_in = Init(dq->zp);
    const ir::Tensor* s_out = Init(qn.inputs[1]);
    const ir::Tensor* z_out = Init(qn.inputs[2]);
    if (s_in->data<float>()[0] != s_out->data<float>()[0] || z_in->dtype() != z_out->dtype() ||
        std::memcmp(z_in->raw(), z_out->raw(), z_in->ByteSize()) != 0) {
      return false;
    }
    ir::Node lowered = n;
    lowered.inputs[0] = dq->q;
    lowered.outputs = {qn.outputs[0]};
    removed_.insert(*q);
    g_.nodes[i] = std::move(lowered);
    return true;
  }

  // Drops removed nodes, then DQ nodes and initializers nobody reads.
  void Compact() {
    std::vector<ir::Node> kept;
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      if (!removed_.count(static_cast<int>(i))) kept.push_back(std::move(g_.nodes[i]));
    }
    g_.nodes = std::move(kept);
    removed_.clear();
    bool changed = true;
    while (changed) {
      changed = false;
      std::set<std::string> read;
      for (const ir::Node& n : g_.nodes) read.insert(n.inputs.begin(), n.inputs.end());
      for (const ir::ValueInfo& o : g_.outputs) read.insert(o.name);
      std::vector<ir::Node> live;
      for (ir::Node& n : g_.nodes) {
        if (n.op_type == "DequantizeLinear" && !read.count(n.outputs[0])) {
          changed = true;
          continue;
        }
        live.push_back(std::move(n));
      }
      g_.nodes = std::move(live);
      if (!changed) {
        for (auto it = g_.initializers.begin(); it != g_.initializers.end();) {
          it = read.count(it->first) ? std::next(it) : g_.initializers.erase(it);
        }
      }
    }
  }

  ir::Graph& g_;
  std::set<int> removed_;
};

}  // namespace

absl::Status LowerQdqToIntegerOps(ir::Graph& graph, LowerQdqStats* stats) {
  LowerQdqStats local;
  FP_RETURN_IF_ERROR(Lowering(graph).Run(local));
  if (stats != nullptr) *stats = local;
  return absl::OkStatus();
}

}  // namespace fixpoint::transform
