// fixpoint.v1 messages <-> what the command line reads and prints: the
// preprocessing spec, model / dataset formats, job states, timestamps, the
// proto3 JSON form, and a remote Report as a quant::Manifest (so the local
// and the remote `report` print through one function). Pure functions;
// thread-safe.
#ifndef FIXPOINT_CLIENT_REMOTE_CONVERT_H_
#define FIXPOINT_CLIENT_REMOTE_CONVERT_H_

#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/io/preprocess.h"
#include "core/quant/artifact.h"
#include "fixpoint/v1/datasets.pb.h"
#include "fixpoint/v1/models.pb.h"
#include "fixpoint/v1/quantization.pb.h"

namespace fixpoint::client {

// `text` in io::PreprocessSpec::Parse form, as the proto message.
// INVALID_ARGUMENT from the parser.
absl::StatusOr<v1::Preprocessing> ParsePreprocessing(absl::string_view text);
// A stored dataset's preprocessing in the spec text form, the server's
// defaults filled in for unset fields (scale 1/255, mean 0, std 1, NCHW).
std::string PreprocessingText(const v1::Preprocessing& p);

// `format` ("onnx" | "tf_graphdef", case-insensitive) or, when empty, by the
// extension of `path` (.onnx, .pb). INVALID_ARGUMENT otherwise.
absl::StatusOr<v1::ModelFormat> ModelFormatOf(absl::string_view format, const std::string& path);
// `format` ("csv" | "idx" | "npy") or, when empty, what io::DetectDatasetFormat
// makes of `path`, else UNSPECIFIED (the server sniffs). INVALID_ARGUMENT for
// an unknown `format`.
absl::StatusOr<v1::DatasetFormat> DatasetFormatOf(absl::string_view format,
                                                  const std::string& path);
absl::string_view ModelFormatName(v1::ModelFormat f);      // "onnx", "tf_graphdef", "-"
absl::string_view DatasetFormatName(v1::DatasetFormat f);  // "csv", "idx", "npy", "-"
absl::string_view PrecisionName(v1::Precision p);          // "fp32", "int8", "-"

// "queued", "running", "succeeded", "failed", "cancelled", "-".
absl::string_view JobStateName(v1::JobState state);
// The names above (or "JOB_STATE_RUNNING"), case-insensitive; "" and "all"
// give UNSPECIFIED. INVALID_ARGUMENT otherwise.
absl::StatusOr<v1::JobState> ParseJobState(absl::string_view text);
// SUCCEEDED, FAILED or CANCELLED.
bool IsFinal(v1::JobState state);

// True for what QuantizeRequest takes as a dataset id: 12 to 64 lowercase
// hex digits (a sha256 or a unique prefix of one).
bool IsDatasetId(absl::string_view text);

// "2024-05-01 12:34:56" in local time; "-" when unset.
std::string FormatTimestamp(const google::protobuf::Timestamp& t);

// The proto3 JSON mapping of `message` with the .proto field names and
// every field present (scripts see stable keys), on one line.
std::string ToJson(const google::protobuf::Message& message);

// The manifest behind a remote report: its verbatim manifest_json when that
// parses, otherwise rebuilt from the report's fields (calibrated min / max
// are then NaN: the report does not carry them).
quant::Manifest ManifestFromReport(const v1::Report& report);

}  // namespace fixpoint::client

#endif  // FIXPOINT_CLIENT_REMOTE_CONVERT_H_
