// ModelProto -> ir::Graph. The graph is first built in a raw form (ONNX
// attributes and inputs as they are, Constant nodes already initializers),
// then FoldShapeConstants visits the nodes in order, calling
// CanonicalizeOnnxNode on each (so a Reshape shape computed by folded shape
// arithmetic is a constant by the time the Reshape is canonicalized), then
// shapes are inferred and the graph verified.
#include "core/io/onnx_importer.h"

#include <limits>
#include <map>
#include <queue>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/io/onnx_node_mapping.h"
#include "core/io/onnx_proto_convert.h"
#include "core/ir/shape_inference.h"
#include "core/ir/verifier.h"
#include "core/transform/fold_shape_constants.h"
#include "core/util/status_macros.h"

namespace fixpoint::io {
namespace {

constexpr int64_t kMinOpset = 7;
constexpr int64_t kMaxOpset = 17;

bool IsDefaultDomain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

absl::StatusOr<int64_t> DefaultOpset(const onnx::ModelProto& model) {
  for (const onnx::OperatorSetIdProto& o : model.opset_import()) {
    if (!IsDefaultDomain(o.domain())) continue;
    if (o.version() < kMinOpset || o.version() > kMaxOpset) {
      return absl::UnimplementedError(absl::StrCat("opset ", o.version(),
                                                   " of the default domain is not supported (",
                                                   kMinOpset, "..", kMaxOpset, ")"));
    }
    return o.version();
  }
  if (model.opset_import_size() == 0) {
    return absl::InvalidArgumentError("the model imports no opset");
  }
  // Valid ONNX (e.g. only ai.onnx.preview.training), just not ours.
  return absl::UnimplementedError(
      absl::StrCat("the model imports no opset of the default domain, only '",
                   model.opset_import(0).domain(), "'"));
}

absl::Status LoadInitializers(const onnx::GraphProto& gp, ir::Graph& g) {
  if (gp.sparse_initializer_size() > 0) {
    return absl::UnimplementedError(absl::StrCat(
        "sparse initializer '", gp.sparse_initializer(0).values().name(), "' is not supported"));
  }
  for (const onnx::TensorProto& tp : gp.initializer()) {
    if (tp.name().empty()) return absl::InvalidArgumentError("an initializer has no name");
    if (g.initializers.count(tp.name())) {
      return absl::InvalidArgumentError(
          absl::StrCat("initializer '", tp.name(), "' is defined twice"));
    }
    auto t = TensorFromProto(tp);
    if (!t.ok()) return WithContext(t.status(), "initializer");
    g.initializers.emplace(tp.name(), std::move(*t));
  }
  return absl::OkStatus();
}

absl::Status CheckConstantInput(const ir::ValueInfo& declared, const ir::Tensor& t) {
  bool shape_ok = declared.shape.rank() == t.shape().rank();
  for (int i = 0; shape_ok && i < t.shape().rank(); ++i) {
    shape_ok = declared.shape[i] == ir::kDynamicDim || declared.shape[i] == t.shape()[i];
  }
  if (declared.dtype != t.dtype() || !shape_ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "constant input '", declared.name, "' is ", ir::DTypeName(t.dtype()), t.shape().ToString(),
        " but the model declares ", ir::DTypeName(declared.dtype), declared.shape.ToString()));
  }
  return absl::OkStatus();
}

absl::Status LoadInputs(const onnx::GraphProto& gp, const OnnxImportOptions& options,
                        ir::Graph& g) {
  absl::flat_hash_set<std::string> frozen;
  for (const onnx::ValueInfoProto& vp : gp.input()) {
    auto constant = options.constant_inputs.find(vp.name());
    const bool has_init = g.initializers.count(vp.name()) > 0;
    if (has_init && constant == options.constant_inputs.end()) continue;  // a weight
    bool has_shape = false;
    FP_ASSIGN_OR_RETURN(ir::ValueInfo info, ValueInfoFromProto(vp, !has_init, &has_shape));
    if (constant != options.constant_inputs.end()) {
      if (has_shape) FP_RETURN_IF_ERROR(CheckConstantInput(info, constant->second));
      g.initializers[vp.name()] = constant->second;
      frozen.insert(vp.name());
      continue;
    }
    g.inputs.push_back(std::move(info));
  }
  for (const auto& [name, t] : options.constant_inputs) {
    if (!frozen.count(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("constant input '", name, "' is not an input of the graph"));
    }
  }
  return absl::OkStatus();
}

absl::Status LoadOutputs(const onnx::GraphProto& gp, ir::Graph& g,
                         std::vector<bool>& dtype_declared) {
  for (const onnx::ValueInfoProto& vp : gp.output()) {
    const bool untyped =
        !vp.type().has_tensor_type() && vp.type().value_case() == onnx::TypeProto::VALUE_NOT_SET;
    if (untyped || (vp.type().has_tensor_type() && vp.type().tensor_type().elem_type() == 0)) {
      if (vp.name().empty()) return absl::InvalidArgumentError("a graph output has no name");
      g.outputs.push_back(ir::ValueInfo{vp.name(), ir::DType::kF32, {}});
      dtype_declared.push_back(false);
      continue;
    }
    bool has_shape = false;
    FP_ASSIGN_OR_RETURN(ir::ValueInfo info, ValueInfoFromProto(vp, false, &has_shape));
    g.outputs.push_back(std::move(info));
    dtype_declared.push_back(true);
  }
  if (g.outputs.empty()) return absl::InvalidArgumentError("the graph has no outputs");
  return absl::OkStatus();
}

// Unique, non-empty node names: empty ones become "<op>_<index>", repeated
// ones get a "_<k>" suffix.
std::vector<std::string> UniqueNodeNames(const onnx::GraphProto& gp) {
  absl::flat_hash_set<std::string> taken, seen;
  for (const onnx::NodeProto& n : gp.node()) {
    if (!n.name().empty()) taken.insert(n.name());
  }
  std::vector<std::string> names;
  for (int i = 0; i < gp.node_size(); ++i) {
    const std::string& name = gp.node(i).name();
    if (!name.empty() && seen.insert(name).second) {
      names.push_back(name);
      continue;
    }
    const std::string base = name.empty() ? absl::StrCat(gp.node(i).op_type(), "_", i) : name;
    std::string candidate = base;
    for (int k = 1; taken.count(candidate); ++k) candidate = absl::StrCat(base, "_", k);
    taken.insert(candidate);
    seen.insert(candidate);
    names.push_back(candidate);
  }
  return names;
}

// One error listing every unsupported op type with its nodes.
absl::Status CheckSupported(const onnx::GraphProto& gp, const std::vector<std::string>& names) {
  std::map<std::string, std::vector<std::string>> unsupported;
  for (int i = 0; i < gp.node_size(); ++i) {
    const onnx::NodeProto& n = gp.node(i);
    if (IsDefaultDomain(n.domain()) && IsImportableOnnxOp(n.op_type())) continue;
    const std::string op =
        IsDefaultDomain(n.domain()) ? n.op_type() : absl::StrCat(n.domain(), ".", n.op_type());
    unsupported[op].push_back(absl::StrCat("'", names[i], "'"));
  }
  if (unsupported.empty()) return absl::OkStatus();
  std::vector<std::string> parts;
  for (const auto& [op, nodes] : unsupported) {
    parts.push_back(
        absl::StrCat(op, " (node", nodes.size() > 1 ? "s " : " ", absl::StrJoin(nodes, ", "), ")"));
  }
  return absl::UnimplementedError(absl::StrCat("unsupported ops: ", absl::StrJoin(parts, ", ")));
}

absl::StatusOr<ir::Tensor> ConstantValue(const ir::Node& node) {
  if (node.attrs.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(node.Describe(), ": needs exactly one value attribute"));
  }
  const auto& [key, a] = *node.attrs.begin();
  if (key == "value") {
    FP_ASSIGN_OR_RETURN(const ir::Tensor* t, node.GetTensor("value"));
    return *t;
  }
  if (key == "value_float" && std::holds_alternative<float>(a)) {
    const float v = std::get<float>(a);
    return ir::Tensor::FromF32(ir::Shape(), {&v, 1});
  }
  if (key == "value_int" && std::holds_alternative<int64_t>(a)) {
    const int64_t v = std::get<int64_t>(a);
    return ir::Tensor::FromI64(ir::Shape(), {&v, 1});
  }
  if (key == "value_floats" && std::holds_alternative<std::vector<float>>(a)) {
    const auto& v = std::get<std::vector<float>>(a);
    return ir::Tensor::FromF32(ir::Shape({static_cast<int64_t>(v.size())}), v);
  }
  if (key == "value_ints" && std::holds_alternative<std::vector<int64_t>>(a)) {
    const auto& v = std::get<std::vector<int64_t>>(a);
    return ir::Tensor::FromI64(ir::Shape({static_cast<int64_t>(v.size())}), v);
  }
  return absl::UnimplementedError(
      absl::StrCat(node.Describe(), ": attribute '", key, "' is not supported"));
}

absl::StatusOr<ir::Node> NodeFromProto(const onnx::NodeProto& np, std::string name) {
  ir::Node node;
  node.name = std::move(name);
  node.op_type = np.op_type();
  node.inputs.assign(np.input().begin(), np.input().end());
  node.outputs.assign(np.output().begin(), np.output().end());
  for (const onnx::AttributeProto& ap : np.attribute()) {
    auto a = AttributeFromProto(ap);
    if (!a.ok()) return WithContext(a.status(), node.Describe());
    if (!node.attrs.emplace(ap.name(), std::move(*a)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(node.Describe(), ": attribute '", ap.name(), "' given twice"));
    }
  }
  return node;
}

// Nodes in raw form; Constant nodes become initializers.
absl::Status LoadNodes(const onnx::GraphProto& gp, const std::vector<std::string>& names,
                       ir::Graph& g) {
  for (int i = 0; i < gp.node_size(); ++i) {
    FP_ASSIGN_OR_RETURN(ir::Node node, NodeFromProto(gp.node(i), names[i]));
    if (node.op_type != "Constant") {
      g.nodes.push_back(std::move(node));
      continue;
    }
    if (node.outputs.size() != 1 || node.outputs[0].empty()) {
      return absl::InvalidArgumentError(absl::StrCat(node.Describe(), ": needs one output"));
    }
    FP_ASSIGN_OR_RETURN(ir::Tensor value, ConstantValue(node));
    if (!g.initializers.emplace(node.outputs[0], std::move(value)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(node.Describe(), ": value '", node.outputs[0], "' is defined twice"));
    }
  }
  return absl::OkStatus();
}

// Stable topological order (ONNX requires one; some exporters get it wrong).
absl::Status SortNodes(ir::Graph& g) {
  absl::flat_hash_map<std::string, int> producer;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (const std::string& out : g.nodes[i].outputs) {
      if (!out.empty()) producer.emplace(out, static_cast<int>(i));
    }
  }
  std::vector<int> pending(g.nodes.size(), 0);
  std::vector<std::vector<int>> readers(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (const std::string& in : g.nodes[i].inputs) {
      auto it = producer.find(in);
      if (in.empty() || it == producer.end()) continue;
      ++pending[i];
      readers[it->second].push_back(static_cast<int>(i));
    }
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (pending[i] == 0) ready.push(static_cast<int>(i));
  }
  std::vector<ir::Node> sorted;
  while (!ready.empty()) {
    const int i = ready.top();
    ready.pop();
    sorted.push_back(std::move(g.nodes[i]));
    for (int r : readers[i]) {
      if (--pending[r] == 0) ready.push(r);
    }
  }
  if (sorted.size() != g.nodes.size()) {
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      if (pending[i] > 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("the graph has a cycle through ", g.nodes[i].Describe()));
      }
    }
  }
  g.nodes = std::move(sorted);
  return absl::OkStatus();
}

absl::Status Normalize(ir::Graph& g) {
  absl::flat_hash_set<std::string> used;
  for (const ir::Node& n : g.nodes) used.insert(n.inputs.begin(), n.inputs.end());
  for (const ir::ValueInfo& out : g.outputs) used.insert(out.name);
  OnnxNodeContext ctx{g.opset, &used};
  transform::FoldShapeOptions fold;
  fold.canonicalize = [&ctx](ir::Node& node, ir::Graph& graph) {
    return CanonicalizeOnnxNode(node, graph, ctx);
  };
  return transform::FoldShapeConstants(g, fold);
}

// Outputs take their inferred dtype and shape; a declared dtype must agree.
absl::Status FillOutputs(ir::Graph& g, const std::vector<bool>& dtype_declared) {
  for (size_t i = 0; i < g.outputs.size(); ++i) {
    ir::ValueInfo& out = g.outputs[i];
    const ir::ValueInfo* inferred = g.FindValueInfo(out.name);
    if (inferred == nullptr) continue;  // the verifier reported unproduced outputs
    if (dtype_declared[i] && inferred->dtype != out.dtype) {
      return absl::InvalidArgumentError(absl::StrCat("output '", out.name, "' is declared ",
                                                     ir::DTypeName(out.dtype), " but computes ",
                                                     ir::DTypeName(inferred->dtype)));
    }
    out.dtype = inferred->dtype;
    out.shape = inferred->shape;
  }
  return absl::OkStatus();
}

absl::StatusOr<ir::Graph> ImportGraph(const onnx::ModelProto& model,
                                      const OnnxImportOptions& options) {
  const onnx::GraphProto& gp = model.graph();
  ir::Graph g;
  g.name = gp.name();
  FP_ASSIGN_OR_RETURN(g.opset, DefaultOpset(model));
  const std::vector<std::string> names = UniqueNodeNames(gp);
  FP_RETURN_IF_ERROR(CheckSupported(gp, names));
  FP_RETURN_IF_ERROR(LoadInitializers(gp, g));
  FP_RETURN_IF_ERROR(LoadInputs(gp, options, g));
  std::vector<bool> dtype_declared;
  FP_RETURN_IF_ERROR(LoadOutputs(gp, g, dtype_declared));
  FP_RETURN_IF_ERROR(LoadNodes(gp, names, g));
  FP_RETURN_IF_ERROR(SortNodes(g));
  FP_RETURN_IF_ERROR(Normalize(g));
  FP_RETURN_IF_ERROR(ir::InferShapes(g));
  FP_RETURN_IF_ERROR(ir::VerifyGraph(g));
  FP_RETURN_IF_ERROR(FillOutputs(g, dtype_declared));
  return g;
}

}  // namespace

absl::StatusOr<ir::Graph> ImportOnnx(absl::string_view bytes, const OnnxImportOptions& options) {
  if (bytes.size() > options.max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "model is ", bytes.size(), " bytes, more than the limit of ", options.max_bytes));
  }
  onnx::ModelProto model;
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed protobuf: ", bytes.size(),
                     " bytes are not a valid onnx.ModelProto (truncated or not an ONNX model)"));
  }
  if (!model.has_graph()) {
    return absl::InvalidArgumentError("not an ONNX model: the ModelProto has no graph");
  }
  const std::string name = model.graph().name().empty() ? "unnamed" : model.graph().name();
  auto graph = ImportGraph(model, options);
  if (!graph.ok()) return WithContext(graph.status(), absl::StrCat("model '", name, "'"));
  return graph;
}

absl::StatusOr<ir::Graph> ImportOnnxFile(const std::string& path,
                                         const OnnxImportOptions& options) {
  FP_ASSIGN_OR_RETURN(std::string bytes, ReadOnnxFileBytes(path, options.max_bytes));
  auto graph = ImportOnnx(bytes, options);
  if (!graph.ok()) return WithContext(graph.status(), absl::StrCat("'", path, "'"));
  return graph;
}

}  // namespace fixpoint::io
