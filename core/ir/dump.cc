#include "core/ir/dump.h"

#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace fixpoint::ir {
namespace {

std::string TypeOf(DType dtype, const Shape& shape) {
  return absl::StrCat(DTypeName(dtype), shape.ToString());
}

std::string Quoted(const std::string& s) { return absl::StrCat("\"", s, "\""); }

// Compact attribute value: 3, 0.5, "NOTSET", [1,1], ["a","b"]; a tensor as
// its dtype and shape only.
std::string AttrToString(const Attribute& attr) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return Quoted(v);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          return absl::StrCat("[",
                              absl::StrJoin(v, ",",
                                            [](std::string* out, const std::string& s) {
                                              absl::StrAppend(out, Quoted(s));
                                            }),
                              "]");
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>> ||
                             std::is_same_v<T, std::vector<float>>) {
          return absl::StrCat("[", absl::StrJoin(v, ","), "]");
        } else if constexpr (std::is_same_v<T, Tensor>) {
          return TypeOf(v.dtype(), v.shape());
        } else {
          return absl::StrCat(v);
        }
      },
      attr);
}

// "%name:f32[?,3]" when the value's type is known, else "%name".
std::string TypedValue(const Graph& graph, const std::string& name) {
  if (name.empty()) return "_";
  const ValueInfo* info = graph.FindValueInfo(name);
  if (info == nullptr) return absl::StrCat("%", name);
  return absl::StrCat("%", name, ":", TypeOf(info->dtype, info->shape));
}

std::string NodeLine(const Graph& graph, const Node& node) {
  std::string line = absl::StrJoin(node.outputs, ", ", [&](std::string* out, const std::string& o) {
    absl::StrAppend(out, TypedValue(graph, o));
  });
  absl::StrAppend(&line, " = ", node.Describe(), "(");
  absl::StrAppend(&line,
                  absl::StrJoin(node.inputs, ", ",
                                [](std::string* out, const std::string& i) {
                                  absl::StrAppend(out, i.empty() ? "_" : absl::StrCat("%", i));
                                }),
                  ")");
  if (!node.attrs.empty()) {
    absl::StrAppend(&line, " {",
                    absl::StrJoin(node.attrs, ", ",
                                  [](std::string* out, const auto& kv) {
                                    absl::StrAppend(out, kv.first, "=", AttrToString(kv.second));
                                  }),
                    "}");
  }
  return line;
}

}  // namespace

std::string DumpGraph(const Graph& graph) {
  std::string s = absl::StrCat("graph '", graph.name, "' (opset ", graph.opset, ")\n");
  for (const ValueInfo& in : graph.inputs) {
    absl::StrAppend(&s, "input %", in.name, ": ", TypeOf(in.dtype, in.shape), "\n");
  }
  for (const auto& [name, tensor] : graph.initializers) {
    absl::StrAppend(&s, "init %", name, ": ", TypeOf(tensor.dtype(), tensor.shape()), "\n");
  }
  for (const Node& node : graph.nodes) absl::StrAppend(&s, NodeLine(graph, node), "\n");
  for (const ValueInfo& out : graph.outputs) {
    const ValueInfo* info = graph.FindValueInfo(out.name);
    const ValueInfo& shown = info != nullptr ? *info : out;
    absl::StrAppend(&s, "output %", out.name, ": ", TypeOf(shown.dtype, shown.shape), "\n");
  }
  return s;
}

}  // namespace fixpoint::ir
