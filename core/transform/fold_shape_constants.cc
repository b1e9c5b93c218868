#include "core/transform/fold_shape_constants.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "core/ir/shape_inference.h"
#include "core/transform/fold_shape_constants_values.h"
#include "core/util/status_macros.h"

namespace fixpoint::transform {
namespace {

using fold::Elem;
using fold::Value;

// clang-format off
// Ops whose output has the shape of input 0, dim for dim.
constexpr absl::string_view kSameShapeOps[] = {
    "Relu", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Exp", "Log", "Abs",
    "Neg", "Sqrt", "Reciprocal", "Floor", "Ceil", "Sign", "Sin", "Cos", "Erf", "Elu", "Selu",
    "Softplus", "Softsign", "Not", "Clip", "Cast", "Identity", "Dropout", "Softmax",
    "LogSoftmax", "Hardmax", "BatchNormalization", "InstanceNormalization", "LRN", "PRelu"};
// Multidirectional broadcasting ops.
constexpr absl::string_view kBroadcastOps[] = {
    "Add", "Sub", "Mul", "Div", "Pow", "Min", "Max", "Sum", "Mean", "Equal", "Less",
    "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Where"};
// Ops whose output dim 0 is input 0's dim 0 (the batch).
constexpr absl::string_view kBatchOps[] = {
    "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
    "DepthToSpace", "SpaceToDepth"};
// clang-format on

bool In(absl::Span<const absl::string_view> list, absl::string_view op) {
  return std::find(list.begin(), list.end(), op) != list.end();
}

int64_t Norm(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

// An attribute read that falls back to `dflt` on a kind mismatch (folding
// then just does not happen; inference reports the bad attribute).
template <typename T>
T Or(absl::StatusOr<T> v, std::type_identity_t<T> dflt) {
  return v.ok() ? *std::move(v) : dflt;
}

class Folder {
 public:
  Folder(ir::Graph& graph, const FoldShapeOptions& options) : g_(graph), options_(options) {}

  absl::Status Run() {
    Seed();
    // Nodes already dead are dropped unseen: a model is not refused for a
    // node that cannot matter.
    folded_ = Dead();
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      if (folded_[i]) continue;
      ResolveShapeInput(g_.nodes[i]);
      if (options_.canonicalize) FP_RETURN_IF_ERROR(options_.canonicalize(g_.nodes[i], g_));
      const ir::Node& node = g_.nodes[i];
      if (std::optional<Value> v = Fold(node)) {
        const std::string& out = node.outputs[0];
        if (v->AllNumbers() && !graph_outputs_.count(out)) {
          ir::Tensor t = v->ToTensor();
          g_.value_info[out] = ir::ValueInfo{out, t.dtype(), t.shape()};
          g_.initializers[out] = std::move(t);
          folded_[i] = true;
          continue;
        }
        values_[out] = std::move(*v);
      }
      Infer(g_.nodes[i]);
    }
    RemoveDead();
    g_.value_info.clear();
    return absl::OkStatus();
  }

 private:
  std::vector<int64_t> FreshSymbols(const ir::Shape& shape) {
    std::vector<int64_t> syms(shape.rank(), 0);
    for (int k = 0; k < shape.rank(); ++k) {
      if (shape[k] == ir::kDynamicDim) syms[k] = next_symbol_++;
    }
    return syms;
  }

  void Seed() {
    for (const ir::ValueInfo& in : g_.inputs) {
      g_.value_info[in.name] = in;
      symbols_[in.name] = FreshSymbols(in.shape);
    }
    for (const auto& [name, t] : g_.initializers) {
      g_.value_info[name] = ir::ValueInfo{name, t.dtype(), t.shape()};
    }
    for (const ir::ValueInfo& out : g_.outputs) graph_outputs_.insert(out.name);
  }

  // The tracked value of `name` (folded or a small initializer), or nullptr.
  // std::map keeps the returned pointers valid across insertions.
  const Value* FindValue(const std::string& name) {
    if (auto it = values_.find(name); it != values_.end()) return &it->second;
    const ir::Tensor* t = g_.FindInitializer(name);
    if (t == nullptr) return nullptr;
    std::optional<Value> v = fold::FromTensor(*t);
    if (!v) return nullptr;
    return &values_.emplace(name, std::move(*v)).first->second;
  }

  const std::vector<int64_t>* SymbolsOf(const std::string& name) const {
    auto it = symbols_.find(name);
    return it == symbols_.end() ? nullptr : &it->second;
  }

  // Reshape/Expand whose shape input is a partly symbolic value: replace the
  // input by an initializer when the symbols resolve (see the header).
  void ResolveShapeInput(ir::Node& node) {
    if ((node.op_type != "Reshape" && node.op_type != "Expand") || !node.HasInput(1) ||
        g_.IsInitializer(node.inputs[1])) {
      return;
    }
    auto it = values_.find(node.inputs[1]);
    if (it == values_.end() || it->second.scalar || it->second.dtype != ir::DType::kI64) return;
    std::optional<std::vector<int64_t>> resolved = node.op_type == "Reshape"
                                                       ? ResolveReshape(node, it->second)
                                                       : ResolveExpand(node, it->second);
    if (!resolved) return;
    const std::string name = g_.UniqueValueName(absl::StrCat(node.name, "_shape"));
    ir::Tensor t =
        ir::Tensor::FromI64(ir::Shape({static_cast<int64_t>(resolved->size())}), *resolved);
    g_.value_info[name] = ir::ValueInfo{name, t.dtype(), t.shape()};
    g_.initializers[name] = std::move(t);
    node.inputs[1] = name;
  }

  std::optional<std::vector<int64_t>> ResolveReshape(const ir::Node& node, const Value& v) {
    const std::vector<int64_t>* data = SymbolsOf(node.inputs[0]);
    const bool allowzero = Or(node.GetInt("allowzero", 0), int64_t{1}) != 0;
    std::vector<int64_t> out;
    int unresolved = 0;
    bool has_minus_one = false;
    for (size_t k = 0; k < v.elems.size(); ++k) {
      const Elem& e = v.elems[k];
      if (e.is_number()) {
        out.push_back(static_cast<int64_t>(e.number));
        has_minus_one |= out.back() == -1;
      } else if (e.is_symbol() && !allowzero && data && k < data->size() &&
                 (*data)[k] == e.symbol) {
        out.push_back(0);  // ONNX Reshape: 0 copies the input dim
      } else {
        ++unresolved;
        out.push_back(-1);
      }
    }
    if (unresolved == 0 || (unresolved == 1 && !has_minus_one)) return out;
    return std::nullopt;
  }

  std::optional<std::vector<int64_t>> ResolveExpand(const ir::Node& node, const Value& v) {
    const std::vector<int64_t>* data = SymbolsOf(node.inputs[0]);
    const int64_t n = static_cast<int64_t>(v.elems.size());
    const int64_t r = data ? static_cast<int64_t>(data->size()) : 0;
    std::vector<int64_t> out;
    for (int64_t k = 0; k < n; ++k) {
      const Elem& e = v.elems[k];
      const int64_t p = k - (n - r);
      if (e.is_number()) {
        out.push_back(static_cast<int64_t>(e.number));
      } else if (e.is_symbol() && p >= 0 && (*data)[p] == e.symbol) {
        out.push_back(1);  // broadcasting keeps the data dim, which is the symbol
      } else {
        return std::nullopt;
      }
    }
    return out;
  }

  std::optional<Value> FoldShape(const ir::Node& node) {
    const ir::ValueInfo* vi = g_.FindValueInfo(node.inputs[0]);
    if (vi == nullptr) return std::nullopt;
    const int64_t r = vi->shape.rank();
    const int64_t start = std::clamp<int64_t>(Norm(Or(node.GetInt("start", 0), r), r), 0, r);
    const int64_t end = std::clamp<int64_t>(Norm(Or(node.GetInt("end", r), r), r), 0, r);
    const std::vector<int64_t>* syms = SymbolsOf(node.inputs[0]);
    Value out{ir::DType::kI64, false, {}};
    for (int64_t k = start; k < end; ++k) {
      const int64_t d = vi->shape[static_cast<int>(k)];
      if (d != ir::kDynamicDim) {
        out.elems.push_back(Elem::Number(static_cast<double>(d)));
      } else if (syms && (*syms)[k] > 0) {
        out.elems.push_back(Elem::Symbol((*syms)[k]));
      } else {
        out.elems.push_back(Elem::Unknown());
      }
    }
    return out;
  }

  std::optional<Value> FoldConstantOfShape(const ir::Node& node) {
    auto shape = node.GetInts("shape", {});
    if (!shape.ok() || !node.HasAttr("shape") || shape->size() > 1) return std::nullopt;
    const int64_t n = shape->empty() ? 1 : (*shape)[0];
    if (n < 0 || n > fold::kMaxElements) return std::nullopt;
    Value out{ir::DType::kF32, shape->empty(), {}};
    double fill = 0;
    if (node.HasAttr("value")) {
      auto t = node.GetTensor("value");
      if (!t.ok() || (*t)->NumElements() != 1) return std::nullopt;
      out.dtype = (*t)->dtype();
      fill = (*t)->GetAsDouble(0);
    }
    if (!fold::FromTensor(ir::Tensor(out.dtype, ir::Shape()))) return std::nullopt;
    out.elems.assign(static_cast<size_t>(n), Elem::Number(fill));
    return out;
  }

  // The folded value of the single output of `node`, or nullopt.
  std::optional<Value> Fold(const ir::Node& node) {
    if (node.outputs.size() != 1 || node.outputs[0].empty()) return std::nullopt;
    const std::string& op = node.op_type;
    const size_t n_in = node.inputs.size();
    if (op == "ConstantOfShape" && n_in == 0) return FoldConstantOfShape(node);
    if (n_in == 0 || !node.HasInput(0)) return std::nullopt;
    if (op == "Shape") return FoldShape(node);
    if (op == "Size") {
      const ir::ValueInfo* vi = g_.FindValueInfo(node.inputs[0]);
      if (vi == nullptr || !vi->shape.IsStatic()) return std::nullopt;
      return Value{
          ir::DType::kI64, true, {Elem::Number(static_cast<double>(vi->shape.NumElements()))}};
    }
    const Value* a = FindValue(node.inputs[0]);
    if (a == nullptr) return std::nullopt;
    if (op == "Identity" && n_in == 1) return *a;
    if ((op == "Floor" || op == "Ceil") && n_in == 1) return fold::Rounding(op, *a);
    if (op == "Neg" && n_in == 1) return fold::Negate(*a);
    if (op == "Cast" && n_in == 1) {
      auto to = ir::ParseDType(Or(node.GetString("to", ""), std::string()));
      return to.ok() ? fold::Cast(*a, *to) : std::nullopt;
    }
    if ((op == "Unsqueeze" || op == "Squeeze") && n_in == 1) {
      auto axes = Or(node.GetInts("axes", {}), std::vector<int64_t>{2});
      return op == "Unsqueeze" ? fold::Unsqueeze(*a, axes) : fold::Squeeze(*a, axes);
    }
    if (op == "Slice" && n_in == 1) {
      const std::vector<int64_t> bad;
      return fold::Slice(*a, Or(node.GetInts("starts", bad), bad),
                         Or(node.GetInts("ends", bad), bad), Or(node.GetInts("axes", {}), {2}),
                         Or(node.GetInts("steps", {}), {0}));
    }
    if (op == "Gather" && n_in == 2) {
      const ir::Tensor* indices = g_.FindInitializer(node.inputs[1]);
      if (indices == nullptr || Norm(Or(node.GetInt("axis", 0), int64_t{1}), 1) != 0) {
        return std::nullopt;
      }
      return fold::Gather(*a, *indices);
    }
    if ((op == "Add" || op == "Sub" || op == "Mul" || op == "Div") && n_in == 2) {
      const Value* b = FindValue(node.inputs[1]);
      return b ? fold::Binary(op, *a, *b) : std::nullopt;
    }
    if (op == "Concat") {
      if (Norm(Or(node.GetInt("axis", 1), int64_t{1}), 1) != 0) return std::nullopt;
      std::vector<const Value*> parts;
      for (const std::string& in : node.inputs) {
        parts.push_back(in.empty() ? nullptr : FindValue(in));
        if (parts.back() == nullptr) return std::nullopt;
      }
      return fold::Concat(parts);
    }
    return std::nullopt;
  }

  void Infer(ir::Node& node) {
    ir::InferContext ctx;
    ctx.opset = g_.opset;
    for (const std::string& in : node.inputs) {
      const ir::ValueInfo* vi = in.empty() ? nullptr : g_.FindValueInfo(in);
      if (!in.empty() && vi == nullptr) return;  // upstream inference failed
      ctx.inputs.push_back(vi);
      ctx.constants.push_back(in.empty() ? nullptr : g_.FindInitializer(in));
    }
    absl::StatusOr<std::vector<ir::ValueInfo>> outs = ir::InferNodeOutputs(node, ctx);
    if (!outs.ok()) return;
    for (size_t k = 0; k < outs->size() && k < node.outputs.size(); ++k) {
      if (node.outputs[k].empty()) continue;
      ir::ValueInfo info = (*outs)[k];
      info.name = node.outputs[k];
      std::vector<int64_t> syms(info.shape.rank(), 0);
      if (k == 0) Propagate(node, info.shape, syms);
      for (int d = 0; d < info.shape.rank(); ++d) {
        if (info.shape[d] != ir::kDynamicDim)
          syms[d] = 0;
        else if (syms[d] == 0)
          syms[d] = next_symbol_++;
      }
      symbols_[info.name] = std::move(syms);
      g_.value_info[info.name] = std::move(info);
    }
  }

  // Fills syms (one per output dim, 0 = unknown) with dims provably equal to
  // an input's dim.
  void Propagate(const ir::Node& node, const ir::Shape& out, std::vector<int64_t>& syms) {
    const std::string& op = node.op_type;
    const std::vector<int64_t>* in0 = node.HasInput(0) ? SymbolsOf(node.inputs[0]) : nullptr;
    const int r_out = out.rank();
    auto from0 = [&](int j, int64_t p) {
      if (in0 && p >= 0 && p < static_cast<int64_t>(in0->size()) && j < r_out) syms[j] = (*in0)[p];
    };
    if (In(kSameShapeOps, op)) {
      if (in0 && static_cast<int>(in0->size()) == r_out) syms = *in0;
    } else if (In(kBroadcastOps, op)) {
      PropagateBroadcast(node, r_out, syms);
    } else if (In(kBatchOps, op) || (op == "Flatten" && Or(node.GetInt("axis", 1), 0) == 1) ||
               (op == "Gemm" && Or(node.GetInt("transA", 0), 1) == 0)) {
      from0(0, 0);
    } else if (op == "Transpose") {
      std::vector<int64_t> perm = Or(node.GetInts("perm", {}), {});
      for (int j = 0; j < r_out; ++j) from0(j, perm.empty() ? r_out - 1 - j : perm[j]);
    } else if (op == "Concat") {
      const int64_t axis = Norm(Or(node.GetInt("axis", 0), int64_t{0}), r_out);
      for (int j = 0; j < r_out; ++j)
        if (j != axis) from0(j, j);
    } else if (op == "Reshape" && Or(node.GetInt("allowzero", 0), 1) == 0) {
      std::vector<int64_t> shape = Or(node.GetInts("shape", {}), {});
      for (int j = 0; j < r_out && j < static_cast<int>(shape.size()); ++j) {
        if (shape[j] == 0) from0(j, j);
      }
    } else if (op == "MatMul" && node.HasInput(1) && in0) {
      const ir::ValueInfo* b = g_.FindValueInfo(node.inputs[1]);
      const int ra = static_cast<int>(in0->size());
      if (b && b->shape.rank() <= 2 && ra >= 2)
        for (int j = 0; j < ra - 1; ++j) from0(j, j);
    } else if (op == "Unsqueeze" || op == "Squeeze") {
      PropagateSqueeze(node, r_out, syms);
    }
  }

  void PropagateBroadcast(const ir::Node& node, int r_out, std::vector<int64_t>& syms) {
    for (int j = 0; j < r_out; ++j) {
      int64_t sym = 0;
      bool ok = true;
      for (const std::string& in : node.inputs) {
        const ir::ValueInfo* vi = in.empty() ? nullptr : g_.FindValueInfo(in);
        const std::vector<int64_t>* s = in.empty() ? nullptr : SymbolsOf(in);
        if (vi == nullptr) {
          ok = false;
          break;
        }
        const int p = j - (r_out - vi->shape.rank());
        if (p < 0 || vi->shape[p] == 1) continue;
        const int64_t here = vi->shape[p] == ir::kDynamicDim && s ? (*s)[p] : 0;
        if (here == 0 || (sym != 0 && sym != here)) {
          ok = false;
          break;
        }
        sym = here;
      }
      if (ok) syms[j] = sym;
    }
  }

  void PropagateSqueeze(const ir::Node& node, int r_out, std::vector<int64_t>& syms) {
    const ir::ValueInfo* vi = g_.FindValueInfo(node.inputs[0]);
    const std::vector<int64_t>* in0 = SymbolsOf(node.inputs[0]);
    if (vi == nullptr || in0 == nullptr) return;
    const int r_in = vi->shape.rank();
    const bool unsqueeze = node.op_type == "Unsqueeze";
    std::vector<int64_t> axes = Or(node.GetInts("axes", {}), {});
    for (int64_t& a : axes) a = Norm(a, unsqueeze ? r_out : r_in);
    auto listed = [&](int64_t i) { return std::find(axes.begin(), axes.end(), i) != axes.end(); };
    std::vector<int64_t> kept;  // input dims that survive, in order
    for (int i = 0; i < r_in; ++i) {
      const bool dropped = !unsqueeze && (axes.empty() ? vi->shape[i] == 1 : listed(i));
      if (!dropped) kept.push_back((*in0)[i]);
    }
    size_t next = 0;
    for (int j = 0; j < r_out; ++j) {
      if (unsqueeze && listed(j)) continue;
      if (next >= kept.size()) return;
      syms[j] = kept[next++];
    }
  }

  // Nodes (other than folded ones) that no graph output depends on; fills
  // needed_ with every value read by a live node or a graph output.
  std::vector<bool> Dead() {
    needed_ = absl::flat_hash_set<std::string>(graph_outputs_.begin(), graph_outputs_.end());
    std::vector<bool> dead(g_.nodes.size(), true);
    for (size_t i = g_.nodes.size(); i-- > 0;) {
      if (!folded_.empty() && folded_[i]) continue;
      for (const std::string& out : g_.nodes[i].outputs) {
        if (needed_.count(out)) dead[i] = false;
      }
      if (!dead[i]) needed_.insert(g_.nodes[i].inputs.begin(), g_.nodes[i].inputs.end());
    }
    return dead;
  }

  // Drops folded nodes, then every node whose outputs nobody reads, then
  // initializers nobody reads.
  void RemoveDead() {
    const std::vector<bool> dead = Dead();
    std::vector<ir::Node> kept;
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      if (!dead[i]) kept.push_back(std::move(g_.nodes[i]));
    }
    g_.nodes = std::move(kept);
    for (auto it = g_.initializers.begin(); it != g_.initializers.end();) {
      it = needed_.count(it->first) ? std::next(it) : g_.initializers.erase(it);
    }
  }

  ir::Graph& g_;
  const FoldShapeOptions& options_;
  std::map<std::string, Value> values_;
  absl::flat_hash_map<std::string, std::vector<int64_t>> symbols_;  // per dim, 0 = none
  absl::flat_hash_set<std::string> graph_outputs_;
  std::vector<bool> folded_;  // folded into an initializer, or dead
  absl::flat_hash_set<std::string> needed_;
  int64_t next_symbol_ = 1;
};

}  // namespace

absl::Status FoldShapeConstants(ir::Graph& graph, const FoldShapeOptions& options) {
  Folder folder(graph, options);
  return folder.Run();
}

}  // namespace fixpoint::transform
