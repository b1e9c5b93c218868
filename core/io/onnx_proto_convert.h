// Internal to core/io: conversions from libonnx's protobuf messages to IR
// value types. The only header outside onnx_*.cc that sees onnx protos is
// this one, and only core/io includes it. Thread-safe (pure functions).
#ifndef FIXPOINT_CORE_IO_ONNX_PROTO_CONVERT_H_
#define FIXPOINT_CORE_IO_ONNX_PROTO_CONVERT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/ir/attribute.h"
#include "core/ir/graph.h"
#include "core/ir/tensor.h"
#include "onnx/onnx_pb.h"

namespace fixpoint::io {

// "DOUBLE", "FLOAT", ... or "data type 123" for values outside the enum.
std::string OnnxDTypeName(int32_t onnx_type);

// The IR dtype of an onnx.TensorProto.DataType value; UNIMPLEMENTED naming
// `what` and the type for types the IR does not have (double, string, ...),
// INVALID_ARGUMENT for UNDEFINED / out-of-enum values.
absl::StatusOr<ir::DType> DTypeFromOnnx(int32_t onnx_type, absl::string_view what);

// The onnx.TensorProto.DataType value of an IR dtype.
int32_t OnnxFromDType(ir::DType dtype);

// Converts a TensorProto; see core/io/onnx_tensor.h for the error contract.
absl::StatusOr<ir::Tensor> TensorFromProto(const onnx::TensorProto& proto);

// Converts a node attribute (INT, FLOAT, STRING, TENSOR and their lists);
// graphs, sparse tensors, type protos and function references are
// UNIMPLEMENTED. Errors name the attribute.
absl::StatusOr<ir::Attribute> AttributeFromProto(const onnx::AttributeProto& attr);

// Converts a graph input/output declaration. Missing or symbolic dims become
// ir::kDynamicDim. A missing shape (unknown rank) is UNIMPLEMENTED when
// `require_shape`, else yields an empty shape with `*has_shape` = false.
absl::StatusOr<ir::ValueInfo> ValueInfoFromProto(const onnx::ValueInfoProto& info,
                                                 bool require_shape, bool* has_shape);

// Reads a whole file; NOT_FOUND if it cannot be opened, INVALID_ARGUMENT if
// it is larger than `max_bytes`. Errors name the file.
absl::StatusOr<std::string> ReadOnnxFileBytes(const std::string& path, size_t max_bytes);

}  // namespace fixpoint::io

#endif  // FIXPOINT_CORE_IO_ONNX_PROTO_CONVERT_H_
