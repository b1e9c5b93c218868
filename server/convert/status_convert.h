// absl::Status -> grpc::Status, in one place. Abseil's codes are gRPC's
// codes, so the mapping is 1:1; the message is kept verbatim.
// Thread-safe (pure functions).
#ifndef FIXPOINT_SERVER_CONVERT_STATUS_CONVERT_H_
#define FIXPOINT_SERVER_CONVERT_STATUS_CONVERT_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace fixpoint::server {

grpc::Status ToGrpcStatus(const absl::Status& status);
// "OK", "INVALID_ARGUMENT", ... (the metrics' `code` label).
absl::string_view GrpcCodeName(grpc::StatusCode code);

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_CONVERT_STATUS_CONVERT_H_
