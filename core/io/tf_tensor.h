// Internal to core/io: TensorFlow DataType / TensorShapeProto / TensorProto
// -> IR value types. Only core/io/tf_* include this header (it exposes our
// generated TF protos). Thread-safe (pure functions).
#ifndef FIXPOINT_CORE_IO_TF_TENSOR_H_
#define FIXPOINT_CORE_IO_TF_TENSOR_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/ir/shape.h"
#include "core/ir/tensor.h"
#include "proto/tensorflow/tensor.pb.h"

namespace fixpoint::io {

// "DT_FLOAT", ... ("_REF" types named as their base type), or "data type 123"
// for values outside the enum.
std::string TfDTypeName(int tf_type);

// The IR dtype of a TF DataType (reference types count as their base type).
// UNIMPLEMENTED naming `what` for types the IR does not have (double,
// string, bfloat16, ...), INVALID_ARGUMENT for DT_INVALID / unknown values.
absl::StatusOr<ir::DType> DTypeFromTf(int tf_type, absl::string_view what);

// Dims of size -1 become ir::kDynamicDim. INVALID_ARGUMENT naming `what` for
// an unknown rank, dims below -1, or a static element count whose bytes (4 per
// element) exceed `max_bytes`.
absl::StatusOr<ir::Shape> ShapeFromTf(const tfproto::TensorShapeProto& proto,
                                      absl::string_view what, size_t max_bytes);

// Decodes a TensorProto: `tensor_content` (little-endian row-major bytes,
// size checked exactly) or the typed repeated field of its dtype
// (float_val, int_val, int64_val, bool_val, half_val), where fewer values
// than elements repeat the last one and none means zeros, as TensorFlow does.
// Every size is checked before anything is allocated; the tensor may not be
// larger than `max_bytes`. Errors name `what` (INVALID_ARGUMENT for malformed
// tensors, UNIMPLEMENTED for dtypes the IR does not have).
absl::StatusOr<ir::Tensor> TensorFromTf(const tfproto::TensorProto& proto, absl::string_view what,
                                        size_t max_bytes);

}  // namespace fixpoint::io

#endif  // FIXPOINT_CORE_IO_TF_TENSOR_H_
