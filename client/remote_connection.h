// The remote commands' connection to fixpointd: a gRPC channel built from
// the connection flags (--server, --token_file, --tls_ca, --tls_cert,
// --tls_key, --tls_server_name, --timeout_s), stubs of the four services,
// per-call contexts carrying the bearer token and deadline, and the mapping
// of a failed call to the CLI's exit codes. Thread-compatible.
#ifndef FIXPOINT_CLIENT_REMOTE_CONNECTION_H_
#define FIXPOINT_CLIENT_REMOTE_CONNECTION_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "fixpoint/v1/datasets.grpc.pb.h"
#include "fixpoint/v1/models.grpc.pb.h"
#include "fixpoint/v1/quantization.grpc.pb.h"
#include "inference/grpc_service.grpc.pb.h"

namespace fixpoint::client {

// Exit codes of `fixpoint` (also in its usage text).
inline constexpr int kExitOk = 0;
inline constexpr int kExitServerError = 1;  // the server answered with an error
inline constexpr int kExitUsage = 2;        // bad flags or unreadable local input
inline constexpr int kExitUnreachable = 3;  // no connection (UNAVAILABLE / deadline, not connected)
inline constexpr int kExitJobFailed = 4;    // a watched job ended FAILED or CANCELLED

// Prints "fixpoint: <message>" and the command's usage line to stderr;
// returns kExitUsage.
int UsageError(absl::string_view message, absl::string_view usage);

class Connection {
 public:
  // Reads the connection flags and the files they name. INVALID_ARGUMENT for
  // --tls_cert without --tls_key (or the reverse) or a bad --timeout_s;
  // NOT_FOUND for an unreadable token or PEM file.
  static absl::StatusOr<std::unique_ptr<Connection>> FromFlags();

  // Sets the bearer token and, when `with_deadline`, the --timeout_s
  // deadline. Streams that last as long as a job or an upload pass false.
  void Prepare(grpc::ClientContext* context, bool with_deadline = true) const;

  // Prints "fixpoint: <what>: <CODE>: <message>" (with a hint for
  // unreachable servers) and returns the exit code: kExitUnreachable for
  // UNAVAILABLE or DEADLINE_EXCEEDED while the channel is not connected;
  // kExitServerError for everything else (the server's own answer).
  int Fail(const grpc::Status& status, absl::string_view what) const;

  const std::string& server() const { return server_; }
  v1::ModelService::Stub& models() { return *models_; }
  v1::DatasetService::Stub& datasets() { return *datasets_; }
  v1::QuantizationService::Stub& quantization() { return *quantization_; }
  inference::GRPCInferenceService::Stub& inference() { return *inference_; }

 private:
  Connection() = default;

  std::string server_;
  std::string token_;
  absl::Duration timeout_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ModelService::Stub> models_;
  std::unique_ptr<v1::DatasetService::Stub> datasets_;
  std::unique_ptr<v1::QuantizationService::Stub> quantization_;
  std::unique_ptr<inference::GRPCInferenceService::Stub> inference_;
};

}  // namespace fixpoint::client

#endif  // FIXPOINT_CLIENT_REMOTE_CONNECTION_H_
