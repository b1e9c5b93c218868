// The conversion state: TF tensor -> IR value map, node emission with
// immediate shape inference, and the layout helpers.
#include "core/io/tf_convert.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/io/tf_attr.h"
#include "core/io/tf_ops.h"
#include "core/ir/shape_inference.h"
#include "core/util/status_macros.h"

namespace fixpoint::io {
namespace {

bool IsQdqOp(absl::string_view op) { return op == "QuantizeLinear" || op == "DequantizeLinear"; }

absl::Status CheckReshape(const ir::Shape& from, const std::vector<int64_t>& to,
                          absl::string_view tag) {
  const ir::Shape target(to);
  if (target.NumElements() == from.NumElements()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("cannot reshape ", from.ToString(), " to ", target.ToString(), " (", tag, ")"));
}

}  // namespace

ir::Tensor TransposeTensor(const ir::Tensor& t, const std::vector<int64_t>& perm) {
  const int r = t.shape().rank();
  const std::vector<int64_t> in_strides = ir::RowMajorStrides(t.shape());
  std::vector<int64_t> out_dims(r), step(r);
  for (int i = 0; i < r; ++i) {
    out_dims[i] = t.shape()[static_cast<int>(perm[i])];
    step[i] = in_strides[perm[i]];
  }
  ir::Tensor out(t.dtype(), ir::Shape(out_dims));
  const size_t es = ir::DTypeSize(t.dtype());
  const auto* src = static_cast<const std::byte*>(t.raw());
  auto* dst = static_cast<std::byte*>(out.raw());
  std::vector<int64_t> idx(r, 0);
  int64_t off = 0;
  const int64_t n = out.NumElements();
  for (int64_t o = 0; o < n; ++o) {
    std::memcpy(dst + o * es, src + off * es, es);
    for (int d = r - 1; d >= 0; --d) {  // odometer over the output index
      if (++idx[d] < out_dims[d]) {
        off += step[d];
        break;
      }
      off -= step[d] * (out_dims[d] - 1);
      idx[d] = 0;
    }
  }
  return out;
}

absl::StatusOr<ir::Tensor> RelayoutTensor(const ir::Tensor& t, const Relayout& r) {
  ir::Tensor cur = t;
  if (!r.pre.empty()) {
    FP_RETURN_IF_ERROR(CheckReshape(cur.shape(), r.pre, r.tag));
    cur.Reshape(ir::Shape(r.pre));
  }
  if (!r.perm.empty()) {
    if (static_cast<int>(r.perm.size()) != cur.shape().rank()) {
      return absl::InvalidArgumentError(absl::StrCat("cannot transpose ", cur.shape().ToString(),
                                                     " by [", absl::StrJoin(r.perm, ","), "]"));
    }
    cur = TransposeTensor(cur, r.perm);
  }
  if (!r.post.empty()) {
    FP_RETURN_IF_ERROR(CheckReshape(cur.shape(), r.post, r.tag));
    cur.Reshape(ir::Shape(r.post));
  }
  return cur;
}

TfConverter::TfConverter(ir::Graph& graph, absl::flat_hash_set<std::string> reserved,
                         size_t constant_bytes)
    : graph_(graph), taken_(std::move(reserved)), constant_budget_(constant_bytes) {}

void TfConverter::AddGraphInput(const ir::ValueInfo& info) {
  graph_.inputs.push_back(info);
  graph_.value_info[info.name] = info;
  taken_.insert(info.name);
  ir_values_.insert(info.name);
  values_[info.name] = TfValue::Of(info.name);
}

void TfConverter::Define(const std::string& tf_key, TfValue value) {
  values_[tf_key] = std::move(value);
}

void TfConverter::DefineConstant(const std::string& tf_key, ir::Tensor t) {
  constant_budget_ -= std::min(constant_budget_, t.ByteSize());
  taken_.insert(tf_key);
  ir_values_.insert(tf_key);
  graph_.value_info[tf_key] = ir::ValueInfo{tf_key, t.dtype(), t.shape()};
  graph_.initializers[tf_key] = std::move(t);
  values_[tf_key] = TfValue::Of(tf_key);
}

int TfConverter::NumInputs(const tfproto::NodeDef& node) const {
  int n = 0;
  for (const std::string& in : node.input()) n += (in.empty() || in[0] != '^') ? 1 : 0;
  return n;
}

absl::StatusOr<TfValue> TfConverter::Input(const tfproto::NodeDef& node, int i) const {
  int k = 0;
  for (const std::string& in : node.input()) {
    if (!in.empty() && in[0] == '^') continue;
    if (k++ != i) continue;
    FP_ASSIGN_OR_RETURN(TfTensorName name, ParseTfTensorName(in));
    auto v = Lookup(name);
    if (!v.ok()) return WithContext(v.status(), DescribeTf(node));
    return v;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(DescribeTf(node), ": input ", i, " is missing (it has ", k, ")"));
}

absl::StatusOr<TfValue> TfConverter::Lookup(const TfTensorName& name) const {
  auto it = values_.find(TfTensorKey(name.node, name.port));
  if (it != values_.end()) return it->second;
  // Producers are converted first, so the node exists but made no such tensor
  // (an output port beyond the imported ones, an empty IdentityN, ...).
  return absl::InvalidArgumentError(
      absl::StrCat("node '", name.node, "' has no output ", name.port, " that can be imported"));
}

const ir::ValueInfo* TfConverter::Info(const std::string& ir) const {
  auto it = graph_.value_info.find(ir);
  return it == graph_.value_info.end() ? nullptr : &it->second;
}

absl::StatusOr<ir::Shape> TfConverter::TfShape(const TfValue& v) const {
  const ir::ValueInfo* info = v.ir.empty() ? nullptr : Info(v.ir);
  if (info == nullptr) {
    return absl::InternalError(absl::StrCat("no shape for value '", v.ir, "'"));
  }
  if (!v.nchw) return info->shape;
  const ir::Shape& s = info->shape;
  return ir::Shape({s[0], s[2], s[3], s[1]});
}

const ir::Tensor* TfConverter::Constant(const TfValue& v) const {
  return v.ir.empty() ? nullptr : graph_.FindInitializer(v.ir);
}

absl::Status TfConverter::RequireTensor(const tfproto::NodeDef& node, const TfValue& v) const {
  if (!v.shape_value) return absl::OkStatus();
  return absl::UnimplementedError(
      absl::StrCat(DescribeTf(node),
                   ": reads a shape value that depends on a dynamic dimension; such values "
                   "are only supported as a Reshape's shape"));
}

std::string TfConverter::NewName(absl::string_view base) {
  std::string name(base);
  for (int k = 1; taken_.count(name); ++k) name = absl::StrCat(base, "_", k);
  taken_.insert(name);
  return name;
}

std::string TfConverter::AddConstant(absl::string_view base, ir::Tensor t) {
  const std::string name = NewName(base);
  constant_budget_ -= std::min(constant_budget_, t.ByteSize());
  ir_values_.insert(name);
  graph_.value_info[name] = ir::ValueInfo{name, t.dtype(), t.shape()};
  graph_.initializers.emplace(name, std::move(t));
  return name;
}

absl::StatusOr<std::string> TfConverter::Emit(absl::string_view op, std::string name,
                                              std::vector<std::string> inputs,
                                              std::map<std::string, ir::Attribute> attrs,
                                              std::string output) {
  ir::Node n;
  n.op_type = std::string(op);
  n.name = name.empty() ? NewName(op) : std::move(name);
  taken_.insert(n.name);
  // Helper nodes name their output after themselves.
  if (output.empty()) output = ir_values_.count(n.name) ? NewName(n.name) : n.name;
  taken_.insert(output);
  ir_values_.insert(output);
  n.inputs = std::move(inputs);
  n.outputs = {output};
  n.attrs = std::move(attrs);
  graph_.nodes.push_back(std::move(n));
  FP_RETURN_IF_ERROR(InferLast());
  return output;
}

absl::Status TfConverter::InferLast() {
  ir::Node& n = graph_.nodes.back();
  ir::InferContext ctx;
  for (const std::string& in : n.inputs) {
    const ir::ValueInfo* info = in.empty() ? nullptr : Info(in);
    if (!in.empty() && info == nullptr) {
      return absl::InternalError(absl::StrCat(n.Describe(), ": input '", in, "' has no info"));
    }
    ctx.inputs.push_back(info);
    ctx.constants.push_back(in.empty() ? nullptr : graph_.FindInitializer(in));
  }
  std::vector<ir::ValueInfo> outs;
  if (IsQdqOp(n.op_type) && !ir::IsSupportedOp(n.op_type)) {
    // Shape inference does not cover Q/DQ yet; both keep the shape.
    const bool q = n.op_type == "QuantizeLinear";
    outs.push_back(ir::ValueInfo{"", q ? ir::DType::kI8 : ir::DType::kF32,
                                 ctx.inputs.empty() ? ir::Shape() : ctx.inputs[0]->shape});
  } else {
    FP_ASSIGN_OR_RETURN(outs, ir::InferNodeOutputs(n, ctx));
  }
  for (size_t i = 0; i < outs.size() && i < n.outputs.size(); ++i) {
    outs[i].name = n.outputs[i];
    graph_.value_info[n.outputs[i]] = outs[i];
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> TfConverter::AsNchw(const TfValue& v) {
  if (v.nchw) return v.ir;
  const ir::ValueInfo* info = v.ir.empty() ? nullptr : Info(v.ir);
  if (info == nullptr || info->shape.rank() != 4) {
    return absl::InvalidArgumentError(absl::StrCat(
        "value '", v.ir, "' is ", info ? info->shape.ToString() : "unknown", ", expected 4-D"));
  }
  return Relaid(v, Relayout{"nchw", {}, kToNchw, {}});
}

absl::StatusOr<std::string> TfConverter::AsTf(const TfValue& v) {
  if (!v.nchw) return v.ir;
  return Relaid(v, Relayout{"nhwc", {}, kToNhwc, {}});
}

absl::StatusOr<std::string> TfConverter::Relaid(const TfValue& v, const Relayout& r) {
  const std::string key = absl::StrCat(v.ir, "|", r.tag);
  if (auto it = relaid_.find(key); it != relaid_.end()) return it->second;
  std::string out;
  if (const ir::Tensor* c = Constant(v)) {
    auto t = RelayoutTensor(*c, r);
    if (!t.ok()) return WithContext(t.status(), absl::StrCat("constant '", v.ir, "'"));
    out = AddConstant(absl::StrCat(v.ir, "/", r.tag), *std::move(t));
  } else if (v.fix) {
    // Per-tensor Q/DQ commutes with re-layouts: move it after them.
    FP_ASSIGN_OR_RETURN(std::string src, Relaid(TfValue::Of(v.fix_source, v.nchw), r));
    FP_ASSIGN_OR_RETURN(out, EmitFixQdq(*this, src, *v.fix, absl::StrCat(v.ir, "/", r.tag), ""));
  } else {
    FP_ASSIGN_OR_RETURN(out, RelaidRuntime(v.ir, r));
  }
  relaid_[key] = out;
  return out;
}

absl::StatusOr<std::string> TfConverter::RelaidRuntime(const std::string& ir, const Relayout& r) {
  std::string cur = ir;
  const std::string base = absl::StrCat(ir, "/", r.tag);
  if (!r.pre.empty()) {
    FP_ASSIGN_OR_RETURN(cur, Emit("Reshape", NewName(base), {cur}, {{"shape", r.pre}}));
  }
  if (!r.perm.empty()) {
    FP_ASSIGN_OR_RETURN(cur, Emit("Transpose", NewName(base), {cur}, {{"perm", r.perm}}));
  }
  if (!r.post.empty()) {
    FP_ASSIGN_OR_RETURN(cur, Emit("Reshape", NewName(base), {cur}, {{"shape", r.post}}));
  }
  return cur;
}

void TfConverter::RenameValue(const std::string& from, const std::string& to) {
  taken_.insert(to);
  ir_values_.erase(from);
  ir_values_.insert(to);
  for (ir::Node& n : graph_.nodes) {
    for (std::string& in : n.inputs) {
      if (in == from) in = to;
    }
    for (std::string& out : n.outputs) {
      if (out == from) out = to;
    }
  }
  for (ir::ValueInfo& v : graph_.outputs) {
    if (v.name == from) v.name = to;
  }
  if (auto it = graph_.value_info.find(from); it != graph_.value_info.end()) {
    ir::ValueInfo info = it->second;
    info.name = to;
    graph_.value_info.erase(it);
    graph_.value_info[to] = std::move(info);
  }
  for (auto& [key, v] : values_) {
    if (v.ir == from) v.ir = to;
    if (v.fix_source == from) v.fix_source = to;
  }
  for (auto& [key, v] : relaid_) {
    if (v == from) v = to;
  }
}

}  // namespace fixpoint::io
