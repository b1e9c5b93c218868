// Subgraph selection: input/output node names -> the nodes to convert, in
// topological order (an iterative depth-first walk, so deep graphs cannot
// overflow the stack).
#include "core/io/tf_graph_select.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/io/tf_attr.h"
#include "core/io/tf_tensor.h"
#include "core/util/status_macros.h"

namespace fixpoint::io {
namespace {

using tfproto::GraphDef;
using tfproto::NodeDef;
using NodeIndex = absl::flat_hash_map<std::string, int>;

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string Quoted(const std::vector<std::string>& names) {
  std::vector<std::string> q;
  for (const std::string& n : names) q.push_back(absl::StrCat("'", n, "'"));
  return absl::StrJoin(q, ", ");
}

// " (did you mean 'a', 'b'?)": up to three names within a small edit
// distance, or containing `name` as a path component; for inputs without
// such names, the graph's Placeholders.
std::string Suggest(const GraphDef& g, absl::string_view name, bool for_input) {
  constexpr size_t kMaxCompared = 256;  // keeps the quadratic distance cheap
  const size_t limit = std::max<size_t>(2, name.size() / 3);
  std::vector<std::pair<size_t, std::string>> close;
  std::vector<std::string> placeholders;
  for (const NodeDef& n : g.node()) {
    if (n.op() == "Placeholder" && placeholders.size() < 5) placeholders.push_back(n.name());
    const size_t len_gap = n.name().size() > name.size() ? n.name().size() - name.size()
                                                         : name.size() - n.name().size();
    const bool component = absl::EndsWith(n.name(), absl::StrCat("/", name));
    if (!component && (len_gap > limit || name.size() > kMaxCompared)) continue;
    const size_t d = component ? 0 : EditDistance(name, n.name());
    if (d <= limit) close.emplace_back(d, n.name());
  }
  std::sort(close.begin(), close.end());
  std::vector<std::string> names;
  for (size_t i = 0; i < close.size() && i < 3; ++i) names.push_back(close[i].second);
  if (!names.empty()) return absl::StrCat(" (did you mean ", Quoted(names), "?)");
  if (for_input && !placeholders.empty()) {
    return absl::StrCat(" (Placeholder nodes: ", Quoted(placeholders), ")");
  }
  return "";
}

absl::StatusOr<NodeIndex> IndexNodes(const GraphDef& g) {
  NodeIndex index;
  for (int i = 0; i < g.node_size(); ++i) {
    const NodeDef& n = g.node(i);
    if (n.name().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("node #", i, " (op ", n.op(), ") has no name"));
    }
    if (!index.emplace(n.name(), i).second) {
      return absl::InvalidArgumentError(absl::StrCat("two nodes are named '", n.name(), "'"));
    }
  }
  return index;
}

absl::StatusOr<int> FindNode(const GraphDef& g, const NodeIndex& index, const std::string& name,
                             absl::string_view role) {
  auto it = index.find(name);
  if (it != index.end()) return it->second;
  return absl::InvalidArgumentError(absl::StrCat(role, " '", name, "' is not in the graph",
                                                 Suggest(g, name, role == "input node")));
}

// The declared shape of an input node: its `shape` attribute (Placeholder)
// or the first of `_output_shapes`; nullptr if neither is usable.
const tfproto::TensorShapeProto* DeclaredShape(const NodeDef& n) {
  if (const auto* a = FindTfAttr(n, "shape"); a != nullptr && a->has_shape()) {
    if (!a->shape().unknown_rank()) return &a->shape();
  }
  if (const auto* a = FindTfAttr(n, "_output_shapes");
      a != nullptr && a->has_list() && a->list().shape_size() > 0) {
    if (!a->list().shape(0).unknown_rank()) return &a->list().shape(0);
  }
  return nullptr;
}

absl::Status CheckAgrees(const NodeDef& n, const ir::Shape& given, const ir::Shape& declared) {
  bool ok = given.rank() == declared.rank();
  for (int i = 0; ok && i < given.rank(); ++i) {
    ok = given[i] == declared[i] || given[i] == ir::kDynamicDim || declared[i] == ir::kDynamicDim;
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("input shape ", given.ToString(), " given for '",
                                                 n.name(), "' does not match its declared shape ",
                                                 declared.ToString()));
}

absl::StatusOr<ir::ValueInfo> InputInfo(const NodeDef& n, const std::string* shape_text,
                                        size_t max_bytes) {
  ir::ValueInfo info;
  info.name = n.name();
  const std::string what = absl::StrCat("input node '", n.name(), "'");
  int tf_type = 0;
  if (FindTfAttr(n, "dtype") != nullptr) {
    FP_ASSIGN_OR_RETURN(tf_type, TfAttrType(n, "dtype"));
  } else {
    FP_ASSIGN_OR_RETURN(tf_type, TfAttrType(n, "T", tfproto::DT_FLOAT));
  }
  FP_ASSIGN_OR_RETURN(info.dtype, DTypeFromTf(tf_type, what));
  std::optional<ir::Shape> declared;
  if (const auto* s = DeclaredShape(n)) {
    FP_ASSIGN_OR_RETURN(declared, ShapeFromTf(*s, what, max_bytes));
  }
  if (shape_text == nullptr) {
    if (!declared) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " has no known shape; give its input shape (e.g. \"?,28,28,1\")"));
    }
    info.shape = *declared;
    return info;
  }
  auto given = ParseTfInputShape(*shape_text);
  if (!given.ok()) return WithContext(given.status(), what);
  tfproto::TensorShapeProto proto;
  for (int64_t d : given->dims()) proto.add_dim()->set_size(d);
  FP_RETURN_IF_ERROR(ShapeFromTf(proto, what, max_bytes).status());
  if (declared) FP_RETURN_IF_ERROR(CheckAgrees(n, *given, *declared));
  info.shape = *std::move(given);
  return info;
}

// Depth-first walk from the outputs over data edges, stopping at input nodes.
class Walker {
 public:
  Walker(const GraphDef& g, const NodeIndex& index, const std::vector<char>& is_input)
      : g_(g),
        index_(index),
        is_input_(is_input),
        state_(g.node_size(), kUnseen),
        parsed_(g.node_size()) {}

  absl::Status Visit(int root);
  const std::vector<int>& order() const { return order_; }
  bool Reached(int i) const { return state_[i] == kDone; }

 private:
  enum State : uint8_t { kUnseen, kOnStack, kDone };
  absl::StatusOr<int> Producer(int consumer, const TfTensorName& in) const;
  absl::Status Cycle(int back_to) const;

  const GraphDef& g_;
  const NodeIndex& index_;
  const std::vector<char>& is_input_;
  std::vector<State> state_;
  std::vector<std::vector<TfTensorName>> parsed_;
  std::vector<std::pair<int, int>> stack_;  // node, next input
  std::vector<int> order_;
};

absl::StatusOr<int> Walker::Producer(int consumer, const TfTensorName& in) const {
  const NodeDef& c = g_.node(consumer);
  auto it = index_.find(in.node);
  if (it == index_.end()) {
    return absl::InvalidArgumentError(absl::StrCat(DescribeTf(c), " reads '", in.node,
                                                   "', which is not in the graph",
                                                   Suggest(g_, in.node, false)));
  }
  if (g_.node(it->second).op() == "NoOp" && !is_input_[it->second]) {
    return absl::InvalidArgumentError(
        absl::StrCat(DescribeTf(c), " reads '", in.node, "', a NoOp, which produces no tensor"));
  }
  return it->second;
}

absl::Status Walker::Cycle(int back_to) const {
  // stack_[k+1] is an input of stack_[k]; data flows from the top down.
  constexpr size_t kMaxShown = 20;
  std::vector<std::string> names{g_.node(back_to).name()};
  for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
    if (names.size() == kMaxShown) {
      names.push_back("...");
      names.push_back(g_.node(back_to).name());
      break;
    }
    names.push_back(g_.node(it->first).name());
    if (it->first == back_to) break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("the graph has a cycle: ", absl::StrJoin(names, " -> ")));
}

absl::Status Walker::Visit(int root) {
  if (state_[root] != kUnseen) return absl::OkStatus();
  stack_.emplace_back(root, 0);
  state_[root] = kOnStack;
  while (!stack_.empty()) {
    auto& [i, next] = stack_.back();
    const NodeDef& n = g_.node(i);
    if (next == 0 && !is_input_[i]) {
      for (const std::string& s : n.input()) {
        auto in = ParseTfTensorName(s);
        if (!in.ok()) return WithContext(in.status(), DescribeTf(n));
        if (!in->control) parsed_[i].push_back(*std::move(in));
      }
    }
    if (is_input_[i] || next >= static_cast<int>(parsed_[i].size())) {
      state_[i] = kDone;
      if (!is_input_[i]) order_.push_back(i);
      stack_.pop_back();
      continue;
    }
    const TfTensorName in = parsed_[i][next++];
    FP_ASSIGN_OR_RETURN(int p, Producer(i, in));
    if (state_[p] == kOnStack) return Cycle(p);
    if (state_[p] == kUnseen) {
      state_[p] = kOnStack;
      stack_.emplace_back(p, 0);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int>> InputNodes(const GraphDef& g, const NodeIndex& index,
                                            const TfImportOptions& options) {
  std::vector<int> inputs;
  if (options.input_nodes.empty()) {
    if (!options.input_shapes.empty()) {
      return absl::InvalidArgumentError("input shapes are given but no input nodes");
    }
    for (int i = 0; i < g.node_size(); ++i) {
      if (g.node(i).op() == "Placeholder") inputs.push_back(i);
    }
    return inputs;
  }
  if (!options.input_shapes.empty() && options.input_shapes.size() != options.input_nodes.size()) {
    return absl::InvalidArgumentError(absl::StrCat(options.input_nodes.size(), " input nodes but ",
                                                   options.input_shapes.size(), " input shapes"));
  }
  absl::flat_hash_set<int> seen;
  for (const std::string& name : options.input_nodes) {
    FP_ASSIGN_OR_RETURN(int i, FindNode(g, index, name, "input node"));
    if (!seen.insert(i).second) {
      return absl::InvalidArgumentError(absl::StrCat("input node '", name, "' is given twice"));
    }
    inputs.push_back(i);
  }
  return inputs;
}

absl::StatusOr<std::vector<TfTensorName>> OutputNames(const GraphDef& g, const NodeIndex& index,
                                                      const TfImportOptions& options) {
  if (options.output_nodes.empty()) return absl::InvalidArgumentError("no output nodes given");
  std::vector<TfTensorName> outputs;
  absl::flat_hash_set<std::string> seen;
  for (const std::string& text : options.output_nodes) {
    auto out = ParseTfTensorName(text);
    if (!out.ok() || out->control) {
      return absl::InvalidArgumentError(absl::StrCat("output '", text, "' is not a tensor name"));
    }
    FP_ASSIGN_OR_RETURN(int i, FindNode(g, index, out->node, "output node"));
    if (g.node(i).op() == "NoOp") {
      return absl::InvalidArgumentError(
          absl::StrCat("output node '", out->node, "' is a NoOp, which produces no tensor"));
    }
    if (!seen.insert(TfTensorKey(out->node, out->port)).second) {
      return absl::InvalidArgumentError(absl::StrCat("output '", text, "' is given twice"));
    }
    outputs.push_back(*std::move(out));
  }
  return outputs;
}

// Placeholders the outputs need that are not inputs.
absl::Status CheckPlaceholders(const GraphDef& g, const std::vector<int>& order) {
  std::vector<std::string> missing;
  for (int i : order) {
    if (g.node(i).op() == "Placeholder") missing.push_back(g.node(i).name());
  }
  if (missing.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("the outputs depend on Placeholder ", Quoted(missing),
                   ", which is not an input node; add it to the input nodes"));
}

}  // namespace

absl::StatusOr<TfTensorName> ParseTfTensorName(absl::string_view text) {
  TfTensorName out;
  if (absl::ConsumePrefix(&text, "^")) out.control = true;
  const size_t colon = text.rfind(':');
  if (colon != absl::string_view::npos) {
    int port = 0;
    if (!absl::SimpleAtoi(text.substr(colon + 1), &port) || port < 0) {
      return absl::InvalidArgumentError(absl::StrCat("'", text, "' has a malformed output port"));
    }
    out.port = port;
    text = text.substr(0, colon);
  }
  if (text.empty()) return absl::InvalidArgumentError("empty node name in a tensor name");
  out.node = std::string(text);
  return out;
}

std::string TfTensorKey(const std::string& node, int port) {
  return port == 0 ? node : absl::StrCat(node, ":", port);
}

absl::StatusOr<ir::Shape> ParseTfInputShape(absl::string_view text) {
  absl::string_view t = absl::StripAsciiWhitespace(text);
  if (absl::ConsumePrefix(&t, "[") && !absl::ConsumeSuffix(&t, "]")) {
    return absl::InvalidArgumentError(absl::StrCat("input shape '", text, "' lacks a ']'"));
  }
  std::vector<int64_t> dims;
  if (absl::StripAsciiWhitespace(t).empty()) return ir::Shape();
  for (absl::string_view part : absl::StrSplit(t, ',')) {
    part = absl::StripAsciiWhitespace(part);
    int64_t d = 0;
    if (part == "?" || part == "-1" || part == "None") {
      dims.push_back(ir::kDynamicDim);
    } else if (absl::SimpleAtoi(part, &d) && d >= 0) {
      dims.push_back(d);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("input shape '", text, "': '", part,
                                                     "' is not a dimension (a size or '?')"));
    }
  }
  return ir::Shape(std::move(dims));
}

absl::StatusOr<TfSelection> SelectTfSubgraph(const GraphDef& g, const TfImportOptions& options) {
  if (g.node_size() == 0) return absl::InvalidArgumentError("the graph has no nodes");
  FP_ASSIGN_OR_RETURN(NodeIndex index, IndexNodes(g));
  FP_ASSIGN_OR_RETURN(std::vector<int> inputs, InputNodes(g, index, options));
  FP_ASSIGN_OR_RETURN(std::vector<TfTensorName> outputs, OutputNames(g, index, options));
  std::vector<char> is_input(g.node_size(), 0);
  for (int i : inputs) is_input[i] = 1;
  Walker walker(g, index, is_input);
  for (const TfTensorName& out : outputs) FP_RETURN_IF_ERROR(walker.Visit(index.at(out.node)));
  FP_RETURN_IF_ERROR(CheckPlaceholders(g, walker.order()));
  TfSelection sel;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const NodeDef& n = g.node(inputs[k]);
    if (!walker.Reached(inputs[k])) {
      if (options.input_nodes.empty()) continue;  // an unused Placeholder
      return absl::InvalidArgumentError(
          absl::StrCat("input node '", n.name(), "' does not feed any of the output nodes"));
    }
    const std::string* shape = options.input_shapes.empty() ? nullptr : &options.input_shapes[k];
    FP_ASSIGN_OR_RETURN(ir::ValueInfo info, InputInfo(n, shape, options.max_bytes));
    sel.inputs.push_back(TfGraphInput{n.name(), std::move(info)});
  }
  for (int i : walker.order()) sel.nodes.push_back(&g.node(i));
  sel.outputs = std::move(outputs);
  return sel;
}

}  // namespace fixpoint::io
