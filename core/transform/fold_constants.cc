#include "core/transform/fold_constants.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "core/ir/shape_inference.h"
#include "core/transform/fold_shape_constants_values.h"

namespace fixpoint::transform {
namespace {

using ConstInputs = std::vector<const ir::Tensor*>;

// Integers beyond this are not exact in a double (i64 arithmetic gives up).
constexpr double kMaxExact = 9007199254740992.0;  // 2^53

bool IsLayoutOp(const std::string& op) {
  return op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze";
}

// Same bytes, the inferred shape (Reshape, Flatten, Squeeze, Unsqueeze).
ir::Tensor Relabel(const ir::Tensor& in, const ir::Shape& shape) {
  ir::Tensor out = in;
  out.Reshape(shape);
  return out;
}

std::optional<ir::Tensor> Transpose(const ir::Node& node, const ir::Tensor& in,
                                    const ir::Shape& out_shape) {
  const int rank = in.shape().rank();
  auto perm_or = node.GetInts("perm", {});
  if (!perm_or.ok()) return std::nullopt;
  std::vector<int64_t> perm = *perm_or;
  if (perm.empty()) {
    for (int i = rank - 1; i >= 0; --i) perm.push_back(i);
  }
  if (static_cast<int>(perm.size()) != rank) return std::nullopt;
  const std::vector<int64_t> in_strides = ir::RowMajorStrides(in.shape());
  // Input stride of each output dim: walking the output in row-major order.
  std::vector<int64_t> stride(rank);
  for (int j = 0; j < rank; ++j) stride[j] = in_strides[perm[j]];
  ir::Tensor out(in.dtype(), out_shape);
  const size_t elem = ir::DTypeSize(in.dtype());
  const auto* src = static_cast<const std::byte*>(in.raw());
  auto* dst = static_cast<std::byte*>(out.raw());
  std::vector<int64_t> idx(rank, 0);
  int64_t src_off = 0;
  for (int64_t i = 0; i < out.NumElements(); ++i) {
    std::memcpy(dst + i * elem, src + src_off * elem, elem);
    for (int j = rank - 1; j >= 0; --j) {  // odometer over the output index
      src_off += stride[j];
      if (++idx[j] < out_shape[j]) break;
      src_off -= stride[j] * out_shape[j];
      idx[j] = 0;
    }
  }
  return out;
}

std::optional<ir::Tensor> Concat(const ir::Node& node, const ConstInputs& in,
                                 const ir::Shape& out_shape) {
  const int rank = out_shape.rank();
  auto axis_or = node.GetInt("axis", 0);
  if (!axis_or.ok() || rank == 0) return std::nullopt;
  const int64_t axis = *axis_or < 0 ? *axis_or + rank : *axis_or;
  if (axis < 0 || axis >= rank) return std::nullopt;
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= out_shape[d];
  ir::Tensor out(in[0]->dtype(), out_shape);
  const size_t elem = ir::DTypeSize(out.dtype());
  auto* dst = static_cast<std::byte*>(out.raw());
  for (int64_t o = 0; o < outer; ++o) {
    for (const ir::Tensor* t : in) {
      if (t->dtype() != out.dtype()) return std::nullopt;
      // The block of one input for one outer index: its dims from `axis` on.
      const size_t block = t->NumElements() / std::max<int64_t>(outer, 1) * elem;
      std::memcpy(dst, static_cast<const std::byte*>(t->raw()) + o * block, block);
      dst += block;
    }
  }
  return out;
}

// Cast with the reference kernel's rules (core/runtime/cpu/ref/ref_cast.cc).
template <typename D>
D FromDouble(double v) {
  if constexpr (std::is_floating_point_v<D>) {
    return static_cast<D>(v);
  } else {
    if (std::isnan(v)) return 0;
    if (v <= static_cast<double>(std::numeric_limits<D>::lowest())) {
      return std::numeric_limits<D>::lowest();
    }
    if (v >= static_cast<double>(std::numeric_limits<D>::max())) {
      return std::numeric_limits<D>::max();
    }
    return static_cast<D>(v);
  }
}

bool IsFloat(ir::DType t) { return t == ir::DType::kF32 || t == ir::DType::kF16; }

// Integer (and bool) element i as int64 (exact, unlike GetAsDouble for i64).
int64_t IntAt(const ir::Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case ir::DType::kI64:
      return t.data<int64_t>()[i];
    case ir::DType::kI32:
      return t.data<int32_t>()[i];
    case ir::DType::kI8:
      return t.data<int8_t>()[i];
    case ir::DType::kU8:
      return t.data<uint8_t>()[i];
    case ir::DType::kBool:
      return t.data<uint8_t>()[i] != 0;
    default:
      return 0;
  }
}

template <typename D>
void CastInto(const ir::Tensor& in, ir::Tensor& out) {
  D* y = out.data<D>();
  for (int64_t i = 0; i < in.NumElements(); ++i) {
    if (IsFloat(in.dtype())) {
      y[i] = FromDouble<D>(in.GetAsDouble(i));
    } else {
      y[i] = static_cast<D>(IntAt(in, i));  // C++ (modular) conversion, as the kernel
    }
  }
}

std::optional<ir::Tensor> Cast(const ir::Node& node, const ir::Tensor& in) {
  auto to_name = node.GetString("to", "");
  if (!to_name.ok()) return std::nullopt;
  auto to = ir::ParseDType(*to_name);
  if (!to.ok()) return std::nullopt;
  ir::Tensor out(*to, in.shape());
  switch (*to) {
    case ir::DType::kF32:
      CastInto<float>(in, out);
      break;
    case ir::DType::kF16: {
      uint16_t* y = out.data<uint16_t>();
      for (int64_t i = 0; i < in.NumElements(); ++i) {
        const float v = IsFloat(in.dtype()) ? static_cast<float>(in.GetAsDouble(i))
                                            : static_cast<float>(IntAt(in, i));
        y[i] = ir::FloatToHalf(v);
      }
      break;
    }
    case ir::DType::kI8:
      CastInto<int8_t>(in, out);
      break;
    case ir::DType::kU8:
      CastInto<uint8_t>(in, out);
      break;
    case ir::DType::kI32:
      CastInto<int32_t>(in, out);
      break;
    case ir::DType::kI64:
      CastInto<int64_t>(in, out);
      break;
    case ir::DType::kBool: {
      uint8_t* y = out.data<uint8_t>();
      for (int64_t i = 0; i < in.NumElements(); ++i) {
        y[i] = IsFloat(in.dtype()) ? in.GetAsDouble(i) != 0 : IntAt(in, i) != 0;
      }
      break;
    }
  }
  return out;
}

// The f32 function of a unary op, as the reference kernel computes it (in
// double, rounded once).
using UnaryFn = double (*)(double);
UnaryFn UnaryFunction(const std::string& op) {
  if (op == "Neg") return [](double x) { return -x; };
  if (op == "Abs") return [](double x) { return std::fabs(x); };
  if (op == "Relu") return [](double x) { return std::isnan(x) ? x : std::max(x, 0.0); };
  if (op == "Sqrt") return [](double x) { return std::sqrt(x); };
  if (op == "Reciprocal") return [](double x) { return 1.0 / x; };
  if (op == "Floor") return [](double x) { return std::floor(x); };
  if (op == "Ceil") return [](double x) { return std::ceil(x); };
  return nullptr;
}

std::optional<ir::Tensor> Unary(const std::string& op, const ir::Tensor& in) {
  const UnaryFn fn = UnaryFunction(op);
  if (fn == nullptr || in.dtype() != ir::DType::kF32) return std::nullopt;
  ir::Tensor out(ir::DType::kF32, in.shape());
  const float* x = in.data<float>();
  float* y = out.data<float>();
  for (int64_t i = 0; i < in.NumElements(); ++i) y[i] = static_cast<float>(fn(x[i]));
  return out;
}

// Element strides of `shape` aligned to the trailing dims of an output of
// rank `rank`, 0 where the input broadcasts.
std::vector<int64_t> BroadcastStrides(const ir::Shape& shape, int rank) {
  std::vector<int64_t> strides(rank, 0);
  const std::vector<int64_t> own = ir::RowMajorStrides(shape);
  for (int k = 0; k < shape.rank(); ++k) {
    const int j = rank - shape.rank() + k;
    if (shape[k] != 1) strides[j] = own[k];
  }
  return strides;
}

bool ExactOperand(const ir::Tensor& t) {
  if (t.dtype() != ir::DType::kI64) return true;
  for (int64_t i = 0; i < t.NumElements(); ++i) {
    if (std::fabs(static_cast<double>(t.data<int64_t>()[i])) >= kMaxExact) return false;
  }
  return true;
}

std::optional<ir::Tensor> Binary(fold::BinaryOp op, const ir::Tensor& a, const ir::Tensor& b,
                                 const ir::Shape& out_shape) {
  const ir::DType d = a.dtype();
  if (b.dtype() != d || (d != ir::DType::kF32 && d != ir::DType::kI32 && d != ir::DType::kI64)) {
    return std::nullopt;
  }
  if (!ExactOperand(a) || !ExactOperand(b)) return std::nullopt;
  const int rank = out_shape.rank();
  const std::vector<int64_t> sa = BroadcastStrides(a.shape(), rank);
  const std::vector<int64_t> sb = BroadcastStrides(b.shape(), rank);
  ir::Tensor out(d, out_shape);
  std::vector<int64_t> idx(rank, 0);
  int64_t ia = 0, ib = 0;
  for (int64_t i = 0; i < out.NumElements(); ++i) {
    std::optional<double> r = fold::ApplyBinary(op, a.GetAsDouble(ia), b.GetAsDouble(ib), d);
    if (!r) return std::nullopt;
    fold::StoreNumber(out, i, *r);
    for (int j = rank - 1; j >= 0; --j) {  // odometer over the output index
      ia += sa[j];
      ib += sb[j];
      if (++idx[j] < out_shape[j]) break;
      ia -= sa[j] * out_shape[j];
      ib -= sb[j] * out_shape[j];
      idx[j] = 0;
    }
  }
  return out;
}

// The value of the output of `node` (of inferred shape `out_shape`), or
// nullopt when the op, its attributes or its dtypes are not handled.
std::optional<ir::Tensor> Evaluate(const ir::Node& node, const ConstInputs& in,
                                   const ir::Shape& out_shape) {
  const std::string& op = node.op_type;
  if (IsLayoutOp(op)) {
    if (in.size() != 1 || in[0]->NumElements() != out_shape.NumElements()) return std::nullopt;
    return Relabel(*in[0], out_shape);
  }
  if (op == "Concat") return Concat(node, in, out_shape);
  if (in.size() == 1 && op == "Transpose") return Transpose(node, *in[0], out_shape);
  if (in.size() == 1 && op == "Cast") return Cast(node, *in[0]);
  if (in.size() == 1 && UnaryFunction(op) != nullptr) return Unary(op, *in[0]);
  if (std::optional<fold::BinaryOp> b = fold::ParseBinaryOp(op); b && in.size() == 2) {
    return Binary(*b, *in[0], *in[1], out_shape);
  }
  return std::nullopt;
}

bool IsFoldableOp(const std::string& op) {
  return IsLayoutOp(op) || UnaryFunction(op) != nullptr || fold::ParseBinaryOp(op).has_value() ||
         op == "Transpose" || op == "Concat" || op == "Cast";
}

class ConstantFolder {
 public:
  explicit ConstantFolder(ir::Graph& graph) : g_(graph) {
    for (const ir::ValueInfo& out : g_.outputs) graph_outputs_.insert(out.name);
  }

  int Run() {
    std::vector<bool> folded(g_.nodes.size(), false);
    int count = 0;
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      if (TryFold(g_.nodes[i])) {
        folded[i] = true;
        ++count;
      }
    }
    if (count == 0) return 0;
    std::vector<ir::Node> kept;
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      if (!folded[i]) kept.push_back(std::move(g_.nodes[i]));
    }
    g_.nodes = std::move(kept);
    RemoveUnreadInputs();
    return count;
  }

 private:
  // Replaces the output of `node` by an initializer when it can; true if so.
  bool TryFold(const ir::Node& node) {
    if (!IsFoldableOp(node.op_type) || node.outputs.size() != 1 || node.outputs[0].empty() ||
        graph_outputs_.contains(node.outputs[0])) {
      return false;
    }
    ConstInputs in;
    ir::InferContext ctx;
    ctx.opset = g_.opset;
    std::vector<ir::ValueInfo> infos;
    infos.reserve(node.inputs.size());
    int64_t in_elements = 0;
    for (const std::string& name : node.inputs) {
      if (name.empty()) {
        ctx.inputs.push_back(nullptr);
        ctx.constants.push_back(nullptr);
        continue;
      }
      const ir::Tensor* t = g_.FindInitializer(name);
      if (t == nullptr) return false;
      in.push_back(t);
      in_elements += t->NumElements();
      infos.push_back(ir::ValueInfo{name, t->dtype(), t->shape()});
      ctx.inputs.push_back(&infos.back());
      ctx.constants.push_back(t);
    }
    if (in.empty()) return false;
    // Inference may canonicalize attributes in place: work on a copy.
    ir::Node probe = node;
    absl::StatusOr<std::vector<ir::ValueInfo>> outs = ir::InferNodeOutputs(probe, ctx);
    if (!outs.ok() || outs->size() != 1 || !(*outs)[0].shape.IsStatic() ||
        (*outs)[0].shape.NumElements() > in_elements) {
      return false;
    }
    std::optional<ir::Tensor> value = Evaluate(probe, in, (*outs)[0].shape);
    if (!value || value->dtype() != (*outs)[0].dtype || value->shape() != (*outs)[0].shape) {
      return false;
    }
    const std::string& out = node.outputs[0];
    for (const std::string& name : node.inputs) {
      if (!name.empty()) inputs_of_folded_.insert(name);
    }
    g_.value_info[out] = ir::ValueInfo{out, value->dtype(), value->shape()};
    g_.initializers[out] = *std::move(value);
    return true;
  }

  // Initializers that only folded nodes read are dropped with them.
  void RemoveUnreadInputs() {
    absl::flat_hash_set<std::string> read(graph_outputs_.begin(), graph_outputs_.end());
    for (const ir::Node& n : g_.nodes) read.insert(n.inputs.begin(), n.inputs.end());
    for (const std::string& name : inputs_of_folded_) {
      if (read.contains(name)) continue;
      g_.initializers.erase(name);
      g_.value_info.erase(name);
    }
  }

  ir::Graph& g_;
  absl::flat_hash_set<std::string> graph_outputs_;
  absl::flat_hash_set<std::string> inputs_of_folded_;
};

}  // namespace

absl::Status FoldConstants(ir::Graph& graph, int* folded) {
  ConstantFolder folder(graph);
  const int count = folder.Run();
  if (folded != nullptr) *folded = count;
  return absl::OkStatus();
}

}  // namespace fixpoint::transform
