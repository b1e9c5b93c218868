// Reading serialized onnx.TensorProto messages (the input_N.pb / output_N.pb
// files of ONNX test data sets) into IR tensors. Thread-safe (pure functions).
//
// Supported element types are those of the IR (f32, f16, i8, u8, i32, i64,
// bool); data may be in raw_data (little-endian) or in the typed fields.
// Malformed input never crashes: it yields INVALID_ARGUMENT saying what is
// wrong; a valid tensor we cannot represent (double, string, external data)
// yields UNIMPLEMENTED naming the tensor and the reason.
#ifndef FIXPOINT_CORE_IO_ONNX_TENSOR_H_
#define FIXPOINT_CORE_IO_ONNX_TENSOR_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/ir/tensor.h"

namespace fixpoint::io {

// Parses a serialized onnx.TensorProto. INVALID_ARGUMENT for bytes that are
// not a TensorProto, negative or overflowing dims, or data whose size does
// not match the dims; UNIMPLEMENTED for unsupported dtypes and external data.
absl::StatusOr<ir::Tensor> ParseOnnxTensor(absl::string_view bytes);

// Reads and parses the file at `path` (NOT_FOUND if it cannot be opened);
// errors name the file.
absl::StatusOr<ir::Tensor> ReadOnnxTensorFile(const std::string& path);

// The `name` field of a serialized TensorProto (may be empty), for matching
// test data to graph inputs. INVALID_ARGUMENT if the bytes do not parse.
absl::StatusOr<std::string> OnnxTensorName(absl::string_view bytes);

}  // namespace fixpoint::io

#endif  // FIXPOINT_CORE_IO_ONNX_TENSOR_H_
