#include "client/remote_convert.h"

#include <google/protobuf/util/json_util.h>

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/io/dataset.h"
#include "proto/convert/preprocessing_convert.h"

namespace fixpoint::client {

absl::StatusOr<v1::Preprocessing> ParsePreprocessing(absl::string_view text) {
  absl::StatusOr<io::PreprocessSpec> spec = io::PreprocessSpec::Parse(text);
  if (!spec.ok()) return spec.status();
  return PreprocessSpecToProto(*spec);
}

std::string PreprocessingText(const v1::Preprocessing& p) {
  absl::StatusOr<io::PreprocessSpec> spec = PreprocessSpecFromProto(p);
  if (!spec.ok()) return p.ShortDebugString();  // shown as stored
  return spec->ToString();
}

absl::StatusOr<v1::ModelFormat> ModelFormatOf(absl::string_view format, const std::string& path) {
  const std::string f = absl::AsciiStrToLower(format);
  if (f == "onnx") return v1::MODEL_FORMAT_ONNX;
  if (f == "tf_graphdef" || f == "tf" || f == "graphdef") return v1::MODEL_FORMAT_TF_GRAPHDEF;
  if (!f.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--format '", format, "' is not a model format (onnx, tf_graphdef)"));
  }
  if (absl::EndsWithIgnoreCase(path, ".onnx")) return v1::MODEL_FORMAT_ONNX;
  if (absl::EndsWithIgnoreCase(path, ".pb")) return v1::MODEL_FORMAT_TF_GRAPHDEF;
  return absl::InvalidArgumentError(absl::StrCat(
      "cannot tell the format of '", path, "' from its extension; pass --format onnx|tf_graphdef"));
}

absl::StatusOr<v1::DatasetFormat> DatasetFormatOf(absl::string_view format,
                                                  const std::string& path) {
  const std::string f = absl::AsciiStrToLower(format);
  if (f == "csv") return v1::DATASET_FORMAT_CSV;
  if (f == "idx") return v1::DATASET_FORMAT_IDX;
  if (f == "npy") return v1::DATASET_FORMAT_NPY;
  if (!f.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--format '", format, "' is not a dataset format (csv, idx, npy)"));
  }
  absl::StatusOr<io::DatasetFormat> detected = io::DetectDatasetFormat(path);
  if (!detected.ok()) return v1::DATASET_FORMAT_UNSPECIFIED;
  switch (*detected) {
    case io::DatasetFormat::kCsv:
      return v1::DATASET_FORMAT_CSV;
    case io::DatasetFormat::kIdx:
      return v1::DATASET_FORMAT_IDX;
    case io::DatasetFormat::kNpy:
      return v1::DATASET_FORMAT_NPY;
  }
  return v1::DATASET_FORMAT_UNSPECIFIED;
}

absl::string_view ModelFormatName(v1::ModelFormat f) {
  switch (f) {
    case v1::MODEL_FORMAT_ONNX:
      return "onnx";
    case v1::MODEL_FORMAT_TF_GRAPHDEF:
      return "tf_graphdef";
    default:
      return "-";
  }
}

absl::string_view DatasetFormatName(v1::DatasetFormat f) {
  switch (f) {
    case v1::DATASET_FORMAT_CSV:
      return "csv";
    case v1::DATASET_FORMAT_IDX:
      return "idx";
    case v1::DATASET_FORMAT_NPY:
      return "npy";
    default:
      return "-";
  }
}

absl::string_view PrecisionName(v1::Precision p) {
  switch (p) {
    case v1::PRECISION_FP32:
      return "fp32";
    case v1::PRECISION_INT8:
      return "int8";
    default:
      return "-";
  }
}

absl::string_view JobStateName(v1::JobState state) {
  switch (state) {
    case v1::JOB_STATE_QUEUED:
      return "queued";
    case v1::JOB_STATE_RUNNING:
      return "running";
    case v1::JOB_STATE_SUCCEEDED:
      return "succeeded";
    case v1::JOB_STATE_FAILED:
      return "failed";
    case v1::JOB_STATE_CANCELLED:
      return "cancelled";
    default:
      return "-";
  }
}

absl::StatusOr<v1::JobState> ParseJobState(absl::string_view text) {
  std::string t = absl::AsciiStrToLower(text);
  if (absl::StartsWith(t, "job_state_")) t = t.substr(10);
  if (t.empty() || t == "all" || t == "unspecified") return v1::JOB_STATE_UNSPECIFIED;
  for (v1::JobState s : {v1::JOB_STATE_QUEUED, v1::JOB_STATE_RUNNING, v1::JOB_STATE_SUCCEEDED,
                         v1::JOB_STATE_FAILED, v1::JOB_STATE_CANCELLED}) {
    if (t == JobStateName(s)) return s;
  }
  if (t == "canceled") return v1::JOB_STATE_CANCELLED;
  return absl::InvalidArgumentError(absl::StrCat(
      "--state '", text, "' is not one of queued, running, succeeded, failed, cancelled"));
}

bool IsFinal(v1::JobState state) {
  return state == v1::JOB_STATE_SUCCEEDED || state == v1::JOB_STATE_FAILED ||
         state == v1::JOB_STATE_CANCELLED;
}

bool IsDatasetId(absl::string_view text) {
  if (text.size() < 12 || text.size() > 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string FormatTimestamp(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixSeconds(t.seconds()),
                          absl::LocalTimeZone());
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  // Only fails for messages with unresolvable Any types, which the API has none of.
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

quant::Manifest ManifestFromReport(const v1::Report& report) {
  if (!report.manifest_json().empty()) {
    absl::StatusOr<quant::Manifest> parsed = quant::ParseManifest(report.manifest_json());
    if (parsed.ok()) return *std::move(parsed);
  }
  quant::Manifest m;
  m.parent_version = report.parent_version() > 0 ? absl::StrCat(report.parent_version()) : "";
  m.method = report.method();
  m.scheme = report.scheme();
  m.calib_sha256 = report.calib_sha256();
  m.calib_images = report.calib_images();
  m.calib_seconds = report.calib_seconds();
  if (report.has_accuracy()) {
    quant::AccuracyReport a;
    a.dataset = report.eval_dataset();
    a.images = report.eval_images();
    a.fp32_top1 = report.fp32_top1();
    a.int8_top1 = report.int8_top1();
    a.top1_agreement = report.top1_agreement();
    m.accuracy = a;
  }
  for (const v1::QuantizedTensor& t : report.tensors()) {
    quant::QuantizedTensorInfo info;
    info.name = t.name();
    info.scale = t.scale();
    info.zero_point = t.zero_point();
    info.dtype = t.dtype() == "u8" ? ir::DType::kU8 : ir::DType::kI8;
    if (t.has_fix_pos()) info.fix_pos = t.fix_pos();
    info.calibrated_min = std::numeric_limits<float>::quiet_NaN();
    info.calibrated_max = std::numeric_limits<float>::quiet_NaN();
    m.tensors.push_back(std::move(info));
  }
  for (const v1::LayerError& l : report.layers()) {
    m.layers.push_back({l.tensor(), l.mse(), l.sqnr_db(), l.elements()});
  }
  m.float_nodes.assign(report.float_nodes().begin(), report.float_nodes().end());
  return m;
}

}  // namespace fixpoint::client
