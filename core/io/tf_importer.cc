// GraphDef -> ir::Graph: parse, select the subgraph, refuse unsupported ops
// in one error, convert node by node (tf_op_*.cc, tf_fold.cc), add the graph
// outputs in TF layout under the names the user gave, drop what no output
// needs, infer shapes, verify.
#include "core/io/tf_importer.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <system_error>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/io/tf_convert.h"
#include "core/io/tf_graph_select.h"
#include "core/io/tf_ops.h"
#include "core/ir/shape_inference.h"
#include "core/ir/verifier.h"
#include "core/util/status_macros.h"
#include "proto/tensorflow/graph.pb.h"

namespace fixpoint::io {
namespace {

// One error listing every unsupported op type with its nodes.
absl::Status CheckSupported(const TfSelection& sel) {
  std::map<std::string, std::vector<std::string>> unsupported;
  for (const tfproto::NodeDef* n : sel.nodes) {
    if (!IsKnownTfOp(n->op())) unsupported[n->op()].push_back(absl::StrCat("'", n->name(), "'"));
  }
  if (unsupported.empty()) return absl::OkStatus();
  std::vector<std::string> parts;
  for (const auto& [op, nodes] : unsupported) {
    parts.push_back(
        absl::StrCat(op, " (node", nodes.size() > 1 ? "s " : " ", absl::StrJoin(nodes, ", "), ")"));
  }
  return absl::UnimplementedError(
      absl::StrCat("unsupported TensorFlow ops: ", absl::StrJoin(parts, ", ")));
}

bool IsGraphInputOrOutput(const ir::Graph& g, const std::string& value) {
  for (const ir::ValueInfo& v : g.inputs) {
    if (v.name == value) return true;
  }
  for (const ir::ValueInfo& v : g.outputs) {
    if (v.name == value) return true;
  }
  return false;
}

// Makes the IR value `name` hold TF tensor `out` in TF layout.
absl::Status AddOutput(TfConverter& cv, const TfTensorName& out) {
  const std::string name = TfTensorKey(out.node, out.port);
  auto found = cv.Lookup(out);
  if (!found.ok()) return WithContext(found.status(), absl::StrCat("output '", name, "'"));
  TfValue v = *std::move(found);
  if (v.shape_value) {
    return absl::UnimplementedError(
        absl::StrCat("output '", name, "' is a shape value that depends on a dynamic dimension"));
  }
  ir::Graph& g = cv.graph();
  if (v.nchw) {
    if (v.ir == name) {  // the NCHW value gives its name to the NHWC output
      const std::string inner = cv.NewName(absl::StrCat(name, "/nchw"));
      cv.RenameValue(name, inner);
      v.ir = inner;
    }
    FP_RETURN_IF_ERROR(cv.Emit("Transpose", cv.NewName(absl::StrCat(name, "/to_nhwc")), {v.ir},
                               {{"perm", kToNhwc}}, name)
                           .status());
  } else if (v.ir != name) {
    if (g.ProducerOf(v.ir) >= 0 && !IsGraphInputOrOutput(g, v.ir)) {
      cv.RenameValue(v.ir, name);
    } else {  // a graph input, a constant or another output: copy it
      FP_RETURN_IF_ERROR(
          cv.Emit("Identity", cv.NewName(absl::StrCat(name, "/identity")), {v.ir}, {}, name)
              .status());
    }
  }
  const ir::ValueInfo* info = cv.Info(name);
  g.outputs.push_back(ir::ValueInfo{name, info->dtype, info->shape});
  return absl::OkStatus();
}

// Drops nodes and initializers no graph output depends on (the originals of
// re-laid-out weights, FixNeuron pairs superseded by re-laid-out ones).
void RemoveDeadCode(ir::Graph& g) {
  absl::flat_hash_set<std::string> live;
  for (const ir::ValueInfo& v : g.outputs) live.insert(v.name);
  std::vector<ir::Node> kept;
  for (auto it = g.nodes.rbegin(); it != g.nodes.rend(); ++it) {
    bool needed = false;
    for (const std::string& out : it->outputs) needed |= live.count(out) > 0;
    if (!needed) continue;
    live.insert(it->inputs.begin(), it->inputs.end());
    kept.push_back(std::move(*it));
  }
  g.nodes.assign(std::make_move_iterator(kept.rbegin()), std::make_move_iterator(kept.rend()));
  for (auto it = g.initializers.begin(); it != g.initializers.end();) {
    it = live.count(it->first) ? std::next(it) : g.initializers.erase(it);
  }
  for (const ir::ValueInfo& v : g.inputs) live.insert(v.name);
  absl::erase_if(g.value_info, [&live](const auto& kv) { return live.count(kv.first) == 0; });
}

// Constants may take a few times the model's own bytes (weights are decoded
// and re-laid out, small splat constants expand), never more than max_bytes.
constexpr size_t kMinConstantBudget = size_t{256} << 20;
constexpr size_t kConstantBudgetFactor = 4;

absl::StatusOr<ir::Graph> ImportGraph(const tfproto::GraphDef& def, size_t model_bytes,
                                      const TfImportOptions& options) {
  FP_ASSIGN_OR_RETURN(TfSelection sel, SelectTfSubgraph(def, options));
  FP_RETURN_IF_ERROR(CheckSupported(sel));
  ir::Graph g;
  g.name = "tf_graphdef";
  absl::flat_hash_set<std::string> reserved;
  for (const tfproto::NodeDef& n : def.node()) reserved.insert(n.name());
  const size_t budget = std::min(options.max_bytes,
                                 std::max(kMinConstantBudget, kConstantBudgetFactor * model_bytes));
  TfConverter cv(g, std::move(reserved), budget);
  for (const TfGraphInput& in : sel.inputs) cv.AddGraphInput(in.info);
  for (const tfproto::NodeDef* n : sel.nodes) FP_RETURN_IF_ERROR(ConvertTfNode(cv, *n));
  for (const TfTensorName& out : sel.outputs) FP_RETURN_IF_ERROR(AddOutput(cv, out));
  RemoveDeadCode(g);
  g.value_info.clear();
  FP_RETURN_IF_ERROR(ir::InferShapes(g));
  FP_RETURN_IF_ERROR(ir::VerifyGraph(g));
  for (ir::ValueInfo& out : g.outputs) {
    if (const ir::ValueInfo* info = g.FindValueInfo(out.name)) out = *info;
  }
  return g;
}

absl::StatusOr<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  std::ifstream f(path, std::ios::binary);
  if (ec || !f) return absl::NotFoundError(absl::StrCat("cannot open '", path, "'"));
  if (size > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "' is ", size, " bytes, more than the limit of ", max_bytes));
  }
  std::string bytes(size, '\0');
  if (!f.read(bytes.data(), static_cast<std::streamsize>(size))) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read '", path, "'"));
  }
  return bytes;
}

}  // namespace

absl::StatusOr<ir::Graph> ImportTfGraphDef(absl::string_view bytes,
                                           const TfImportOptions& options) {
  if (bytes.size() > options.max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "model is ", bytes.size(), " bytes, more than the limit of ", options.max_bytes));
  }
  tfproto::GraphDef def;
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !def.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "malformed protobuf: ", bytes.size(),
        " bytes are not a valid tensorflow.GraphDef (truncated or not a frozen graph)"));
  }
  return ImportGraph(def, bytes.size(), options);
}

absl::StatusOr<ir::Graph> ImportTfGraphDefFile(const std::string& path,
                                               const TfImportOptions& options) {
  FP_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path, options.max_bytes));
  auto graph = ImportTfGraphDef(bytes, options);
  if (!graph.ok()) return WithContext(graph.status(), absl::StrCat("'", path, "'"));
  return graph;
}

}  // namespace fixpoint::io
