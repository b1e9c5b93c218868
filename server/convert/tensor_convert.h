// KServe v2 tensors <-> ir::Tensor: request inputs (raw_input_contents or
// typed contents) into tensors in the model's input order, and run outputs
// into a response's raw_output_contents. Every request error is
// INVALID_ARGUMENT naming the input and what is wrong with it.
// Thread-safe (pure functions).
//
// Datatypes: FP32, FP16 (raw only: it has no typed field), INT8 and INT32
// (typed: int_contents), UINT8 (typed: uint_contents), INT64
// (int64_contents), BOOL (bool_contents). Typed INT8/UINT8 values are
// range-checked.
//
// A request's datatype must equal the model's: there is no conversion. In
// particular UINT8 pixels sent to an FP32 input are refused, not converted
// by value, because the reference models expect preprocessed floats (pixel /
// 255): a by-value conversion would hand them 0..255 and silently return
// confident nonsense. Clients preprocess; the error says which type to send.
#ifndef FIXPOINT_SERVER_CONVERT_TENSOR_CONVERT_H_
#define FIXPOINT_SERVER_CONVERT_TENSOR_CONVERT_H_

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/ir/graph.h"
#include "core/ir/tensor.h"
#include "inference/grpc_service.pb.h"

namespace fixpoint::server {

// "FP32", "FP16", "INT8", "UINT8", "INT32", "INT64", "BOOL".
absl::string_view KServeDatatype(ir::DType dtype);
// The inverse; nullopt for names we do not serve (including valid KServe
// names such as "FP64" or "BYTES").
std::optional<ir::DType> ParseKServeDatatype(absl::string_view name);
// Dimensions as KServe reports them: kDynamicDim is -1 as well, so this is
// the shape as a vector, for TensorMetadata.
std::vector<int64_t> KServeShape(const ir::Shape& shape);

// A request's inputs in the model's input order, without copying raw
// bytes: a view of a raw input points into the request's
// raw_input_contents (valid while the request lives and is unchanged); a
// typed input is converted into a tensor of `owned`, which its view points
// into (moving the struct keeps the views valid).
struct RequestInputs {
  std::vector<ir::TensorView> views;
  std::vector<ir::Tensor> owned;
};

// Checks request.inputs and views them as one tensor per entry of
// `model_inputs`, in that order (the request may list them in any order).
// Checks: every model input given exactly once and no others;
// raw_input_contents either unused or one entry per input with no input
// carrying `contents`; known datatype equal to the model's; dimensions >= 0,
// rank and static dimensions equal to the model's, dynamic ones >= 1; raw
// byte count = elements x element size, typed value count = elements, in the
// datatype's typed field.
absl::StatusOr<RequestInputs> ViewRequestInputs(const inference::ModelInferRequest& request,
                                                std::span<const ir::ValueInfo> model_inputs);

// ViewRequestInputs, copied into tensors that own their bytes.
absl::StatusOr<std::vector<ir::Tensor>> RequestInputsToTensors(
    const inference::ModelInferRequest& request, std::span<const ir::ValueInfo> model_inputs);

// Indices into `model_outputs` of the outputs to return, in the order the
// request names them; all outputs in model order when it names none.
// INVALID_ARGUMENT for an unknown or repeated name (listing the outputs).
absl::StatusOr<std::vector<int>> SelectOutputs(const inference::ModelInferRequest& request,
                                               std::span<const ir::ValueInfo> model_outputs);

// Appends outputs[i] for each i in `selected` to `response`: an
// InferOutputTensor (name from model_outputs[i], datatype, shape) and its
// bytes in raw_output_contents.
void AppendOutputs(std::span<const ir::TensorView> outputs,
                   std::span<const ir::ValueInfo> model_outputs, std::span<const int> selected,
                   inference::ModelInferResponse* response);

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_CONVERT_TENSOR_CONVERT_H_
