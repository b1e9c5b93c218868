// Imports TensorFlow 1.x / TF2 frozen GraphDefs (the Vitis AI flow's
// `frozen_graph.pb`, and Vitis AI `quantize_eval_model.pb` with FixNeuron
// nodes) into the IR, in the canonical op forms of docs/IR_OPS.md.
// Thread-safe (pure functions).
//
// Import steps: parse; select the subgraph between the named input and
// output nodes (following Identity, dropping control inputs `^name`); refuse
// unsupported ops (one UNIMPLEMENTED error listing them all); convert node by
// node, folding constant subgraphs and TF1's dynamic flatten
// (Shape -> StridedSlice -> Pack -> Reshape) into constants/attributes; infer
// shapes; verify.
//
// Layout. Graph inputs and outputs keep TensorFlow's layout (NHWC, as users
// feed it); inside, 4-D tensors are NCHW. A Transpose is inserted once after
// each 4-D input that a layout-aware op reads, before each 4-D output, and
// before ops whose meaning depends on the element order (Reshape, ...).
// Graph outputs are named as the user named them ("dense_1/BiasAdd", or
// "node:1" for another output port).
//
// Error codes:
//  - INVALID_ARGUMENT: the bytes are not a GraphDef (truncated, over
//    `max_bytes`), bad options (unknown input/output node names, with close
//    names suggested; malformed input shapes), cycles, malformed tensors or
//    attributes, absurd sizes, shape-inference or verifier failures.
//  - UNIMPLEMENTED: a valid graph we do not support (op types, listed with
//    their nodes in one error; dtypes; attribute values such as training-mode
//    FusedBatchNorm; shape values that cannot be folded).
#ifndef FIXPOINT_CORE_IO_TF_IMPORTER_H_
#define FIXPOINT_CORE_IO_TF_IMPORTER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/ir/graph.h"

namespace fixpoint::io {

struct TfImportOptions {
  // Nodes whose output 0 becomes a graph input, e.g. {"images_in"}. Usually
  // Placeholders; any node may be named (its own inputs are then not
  // imported). Empty: every Placeholder the outputs depend on.
  std::vector<std::string> input_nodes;
  // One per input node, e.g. {"?,28,28,1"} ('?' or -1 = dynamic; brackets and
  // spaces allowed). Empty: each input's `shape` attribute.
  std::vector<std::string> input_shapes;
  // Output tensors, e.g. {"dense_1/BiasAdd"} or {"split:1"}. Required.
  std::vector<std::string> output_nodes;
  // Maximum model size accepted, bytes; also the largest static input
  // accepted. Constants together may take at most max(4 x the model's size,
  // 256 MiB), capped at max_bytes (splat constants and folds expand).
  size_t max_bytes = size_t{2} << 30;
};

// Imports a serialized tensorflow.GraphDef. On success the graph is verified
// and its value_info is filled.
absl::StatusOr<ir::Graph> ImportTfGraphDef(absl::string_view bytes, const TfImportOptions& options);

// Reads `path` (NOT_FOUND if it cannot be opened; INVALID_ARGUMENT if larger
// than options.max_bytes) and imports it; errors name the file.
absl::StatusOr<ir::Graph> ImportTfGraphDefFile(const std::string& path,
                                               const TfImportOptions& options);

}  // namespace fixpoint::io

#endif  // FIXPOINT_CORE_IO_TF_IMPORTER_H_
