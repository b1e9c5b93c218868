// Exports an IR graph as a standard ONNX model (default domain, opset 13 by
// default, IR version 8): the inverse of the importer's canonicalization, so
// that quantized QDQ graphs and TF-imported graphs run in any ONNX runtime.
// Thread-safe (pure functions; ExportOnnxFile touches only its own files).
//
// What the exporter undoes (docs/IR_OPS.md): attributes that were constant
// inputs become initializer inputs again (Reshape shape, Clip min/max, Pad
// pads/value, Slice starts/ends/axes/steps, Squeeze/Unsqueeze axes, ReduceSum
// axes, Resize scales/sizes, Expand shape, Tile repeats, Split split,
// ConstantOfShape shape); Cast `to` becomes the TensorProto enum; `coerce_2d`
// Softmax/LogSoftmax/Hardmax become Flatten -> op(axis=1) -> Reshape; fused
// activations (core/transform/fuse_activations.h) become a following
// activation node that writes the original output name. Only attributes that
// exist in ONNX at the target opset are written.
//
// Error codes:
//  - UNIMPLEMENTED: the graph has something the target opset cannot express
//    (an op type, an attribute, a coerce_2d op with two dynamic dims, a model
//    over 2 GiB); the message lists every such op and node.
//  - INVALID_ARGUMENT: bad options (opset outside 13..17) or a malformed
//    graph (shape inference fails, attribute of the wrong kind).
//  - Errors of ExportOnnxFile name the path (INTERNAL with strerror for I/O
//    failures); the target is never left half-written.
#ifndef FIXPOINT_CORE_IO_ONNX_EXPORTER_H_
#define FIXPOINT_CORE_IO_ONNX_EXPORTER_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/ir/graph.h"

namespace fixpoint::io {

struct OnnxExportOptions {
  std::string producer_name = "fixpoint";
  std::string producer_version;
  // Default-domain opset of the model, 13..17. Ops newer than it (HardSwish
  // before 14) are written as equivalent compositions.
  int64_t opset = 13;
  std::string doc_string;
  // ModelProto.metadata_props, written in key order.
  std::map<std::string, std::string> metadata_props;
  // dim_param of a dynamic dimension 0 of graph inputs and outputs; other
  // dynamic dims get "<value>_d<index>".
  std::string batch_dim_param = "batch";
};

// Serializes `graph` as an onnx.ModelProto. The graph is not modified (shapes
// are re-inferred on a copy, so any verified graph, fused or not, is fine).
absl::StatusOr<std::string> ExportOnnx(const ir::Graph& graph,
                                       const OnnxExportOptions& options = {});

// ExportOnnx, then writes `path` atomically: a temporary file in the same
// directory, fsync, rename over `path`, fsync of the directory.
absl::Status ExportOnnxFile(const ir::Graph& graph, const std::string& path,
                            const OnnxExportOptions& options = {});

}  // namespace fixpoint::io

#endif  // FIXPOINT_CORE_IO_ONNX_EXPORTER_H_
