// fixpoint.v1.Preprocessing <-> io::PreprocessSpec, shared by the server
// (dataset uploads) and the client (--preprocess, dataset listings), which
// must agree on the defaults. Pure functions; thread-safe.
#ifndef FIXPOINT_PROTO_CONVERT_PREPROCESSING_CONVERT_H_
#define FIXPOINT_PROTO_CONVERT_PREPROCESSING_CONVERT_H_

#include "absl/status/statusor.h"
#include "core/io/preprocess.h"
#include "fixpoint/v1/datasets.pb.h"

namespace fixpoint {

// Unset fields take PreprocessSpec's defaults (scale 1/255, NCHW, mean 0,
// std 1, 1x28x28); layout is case-insensitive. INVALID_ARGUMENT naming the
// bad field.
absl::StatusOr<io::PreprocessSpec> PreprocessSpecFromProto(const v1::Preprocessing& p);
v1::Preprocessing PreprocessSpecToProto(const io::PreprocessSpec& spec);

}  // namespace fixpoint

#endif  // FIXPOINT_PROTO_CONVERT_PREPROCESSING_CONVERT_H_
