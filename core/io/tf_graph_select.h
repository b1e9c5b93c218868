// Internal to core/io: picks the part of a GraphDef that computes the named
// outputs from the named inputs, in topological order. Only core/io/tf_*
// include this header. Thread-safe (pure functions).
//
// Walks data inputs backwards from the outputs, stopping at input nodes;
// control inputs ("^name") are dropped (they order execution, they carry no
// data), so NoOp/Assert nodes hanging off control edges are never imported.
#ifndef FIXPOINT_CORE_IO_TF_GRAPH_SELECT_H_
#define FIXPOINT_CORE_IO_TF_GRAPH_SELECT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/io/tf_importer.h"
#include "core/ir/graph.h"
#include "proto/tensorflow/graph.pb.h"

namespace fixpoint::io {

// One endpoint of an edge: "node" / "node:port" / "^node" (control).
struct TfTensorName {
  std::string node;
  int port = 0;
  bool control = false;
};

// Parses an input string of a NodeDef or an output option. INVALID_ARGUMENT
// for an empty node name or a malformed port.
absl::StatusOr<TfTensorName> ParseTfTensorName(absl::string_view text);

// The IR value name of a TF tensor: "node" for port 0, else "node:port".
std::string TfTensorKey(const std::string& node, int port);

// Parses an input shape option: "?,28,28,1", "[-1, 28, 28, 1]", "" (scalar).
absl::StatusOr<ir::Shape> ParseTfInputShape(absl::string_view text);

struct TfGraphInput {
  std::string node;
  ir::ValueInfo info;  // name = node
};

struct TfSelection {
  // The nodes to convert, producers before consumers; input nodes excluded.
  std::vector<const tfproto::NodeDef*> nodes;
  std::vector<TfGraphInput> inputs;
  std::vector<TfTensorName> outputs;
};

// Selects the subgraph. INVALID_ARGUMENT for: unknown or repeated names
// (input or output; close names are suggested), input shapes that do not
// match the inputs, a node reading a tensor that is not in the graph, a
// Placeholder the outputs need that is not an input, an input that no output
// depends on, a NoOp read as data, and cycles (the cycle is printed).
absl::StatusOr<TfSelection> SelectTfSubgraph(const tfproto::GraphDef& graph,
                                             const TfImportOptions& options);

}  // namespace fixpoint::io

#endif  // FIXPOINT_CORE_IO_TF_GRAPH_SELECT_H_
