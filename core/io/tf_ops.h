// Internal to core/io: the per-op parts of the TF importer — the op table
// (tf_op_mapping.cc), the layout-aware NN ops (tf_op_conv.cc), the folder
// (tf_fold.cc) and FixNeuron (tf_fixneuron.cc). Only core/io/tf_* include
// this header. Thread-compatible (all functions work on one TfConverter).
//
// Converter contract: read inputs through the converter, emit IR nodes, and
// Define() every output port that consumers may read (port 0 under the node's
// name). Errors name the TF node ("Conv2D 'conv2d/Conv2D': ...").
#ifndef FIXPOINT_CORE_IO_TF_OPS_H_
#define FIXPOINT_CORE_IO_TF_OPS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/io/tf_convert.h"
#include "proto/tensorflow/node_def.pb.h"

namespace fixpoint::io {

// `ir_op` is the op type of the table row (some converters serve several).
using TfConvertFn = absl::Status (*)(TfConverter& cv, const tfproto::NodeDef& node,
                                     absl::string_view ir_op);

// ---- tf_op_mapping.cc ----
// True for op types the importer converts or folds.
bool IsKnownTfOp(absl::string_view op);
// Converts (or folds) one node of the selection.
absl::Status ConvertTfNode(TfConverter& cv, const tfproto::NodeDef& node);
// Defines node's port 0 as the IR value `ir` in the given layout.
void DefineOutput(TfConverter& cv, const tfproto::NodeDef& node, const std::string& ir, bool nchw);

// ---- tf_op_conv.cc ----
absl::Status ConvertConv2D(TfConverter& cv, const tfproto::NodeDef& node, absl::string_view);
absl::Status ConvertDepthwise(TfConverter& cv, const tfproto::NodeDef& node, absl::string_view);
absl::Status ConvertPool(TfConverter& cv, const tfproto::NodeDef& node, absl::string_view ir_op);
absl::Status ConvertFusedBatchNorm(TfConverter& cv, const tfproto::NodeDef& node,
                                   absl::string_view);
absl::Status ConvertPad(TfConverter& cv, const tfproto::NodeDef& node, absl::string_view);
absl::Status ConvertReduce(TfConverter& cv, const tfproto::NodeDef& node, absl::string_view ir_op);

// ---- tf_fold.cc ----
// Folds `node` when its inputs are constants (into an initializer) or shape
// values (into a shape value); false when it is not foldable.
absl::StatusOr<bool> TryFoldTfNode(TfConverter& cv, const tfproto::NodeDef& node);
// The integers of constant input `i` (scalar or vector, any integer dtype);
// UNIMPLEMENTED naming `what` when the input is not a constant.
absl::StatusOr<std::vector<int64_t>> ConstInts(const TfConverter& cv, const tfproto::NodeDef& node,
                                               int i, absl::string_view what);
// The canonical Reshape `shape` attribute for data `data` and TF shape input
// `shape` (a constant or a shape value whose dynamic elements copy the
// matching dims of `data`, TF layout). UNIMPLEMENTED when it cannot be folded.
absl::StatusOr<std::vector<int64_t>> ReshapeTarget(const TfConverter& cv,
                                                   const tfproto::NodeDef& node,
                                                   const TfValue& data, const TfValue& shape);

// ---- tf_fixneuron.cc ----
// Reads and checks FixNeuron attributes (bit_width 8, quantize_pos).
absl::StatusOr<TfFixParams> ReadFixNeuron(const tfproto::NodeDef& node);
// Emits QuantizeLinear -> DequantizeLinear with scale 2^-quantize_pos and an
// int8 zero point 0 on IR value `input`; nodes and constants are named from
// `base`; the DequantizeLinear output is `output` (or a new name when empty).
absl::StatusOr<std::string> EmitFixQdq(TfConverter& cv, const std::string& input,
                                       const TfFixParams& params, absl::string_view base,
                                       std::string output);
absl::Status ConvertFixNeuron(TfConverter& cv, const tfproto::NodeDef& node, absl::string_view);

}  // namespace fixpoint::io

#endif  // FIXPOINT_CORE_IO_TF_OPS_H_
