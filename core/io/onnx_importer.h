// Imports ONNX models (default domain, opsets 7–17) into the IR, in the
// canonical op forms of docs/IR_OPS.md. Thread-safe (pure functions).
//
// Import steps: parse; check the opset; collect initializers, inputs and
// outputs; map nodes (Constant nodes become initializers); refuse unsupported
// ops (one UNIMPLEMENTED error listing them all); fold shape arithmetic
// (transform::FoldShapeConstants) while converting constant inputs to
// canonical attributes node by node; infer shapes; verify.
//
// Error codes:
//  - INVALID_ARGUMENT: the bytes are not a valid model (protobuf parse
//    failure, missing graph or opset, malformed tensors, size over
//    `max_bytes`, cycles, shape-inference or verifier failures).
//  - UNIMPLEMENTED: a valid model we do not support (opset out of range, op
//    types, dtypes, external data, attribute values such as Resize "cubic",
//    a used Dropout mask, and inputs that must be constants for a canonical
//    attribute — e.g. a Reshape shape computed at run time — but are not).
// Every error after parsing starts with "model '<graph name>': ".
#ifndef FIXPOINT_CORE_IO_ONNX_IMPORTER_H_
#define FIXPOINT_CORE_IO_ONNX_IMPORTER_H_

#include <cstddef>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/ir/graph.h"
#include "core/ir/tensor.h"

namespace fixpoint::io {

struct OnnxImportOptions {
  // Graph inputs to treat as constants (frozen to initializers before
  // normalization), e.g. int64 `shape` inputs of conformance tests. Each name
  // must be a graph input; the tensor's dtype must match the declared one
  // and its shape the declared static dims (INVALID_ARGUMENT otherwise).
  std::map<std::string, ir::Tensor> constant_inputs;
  // Maximum model size accepted, bytes.
  size_t max_bytes = size_t{2} << 30;
};

// Imports a serialized onnx.ModelProto. On success the graph is verified and
// its value_info is filled by shape inference; graph.opset is the model's
// default-domain opset (the IR itself follows opset-13 semantics).
absl::StatusOr<ir::Graph> ImportOnnx(absl::string_view bytes,
                                     const OnnxImportOptions& options = {});

// Reads `path` (NOT_FOUND if it cannot be opened; INVALID_ARGUMENT if larger
// than options.max_bytes) and imports it; errors name the file.
absl::StatusOr<ir::Graph> ImportOnnxFile(const std::string& path,
                                         const OnnxImportOptions& options = {});

}  // namespace fixpoint::io

#endif  // FIXPOINT_CORE_IO_ONNX_IMPORTER_H_
