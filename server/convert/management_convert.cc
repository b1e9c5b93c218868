#include "server/convert/management_convert.h"

#include <google/protobuf/util/time_util.h>

#include <cmath>

#include "absl/strings/str_cat.h"

namespace fixpoint::server {
namespace {

google::protobuf::Timestamp FromUnixMs(int64_t ms) {
  return google::protobuf::util::TimeUtil::MillisecondsToTimestamp(ms);
}

v1::JobState ToProto(jobs::JobState s) {
  switch (s) {
    case jobs::JobState::kQueued: return v1::JOB_STATE_QUEUED;
    case jobs::JobState::kRunning: return v1::JOB_STATE_RUNNING;
    case jobs::JobState::kSucceeded: return v1::JOB_STATE_SUCCEEDED;
    case jobs::JobState::kFailed: return v1::JOB_STATE_FAILED;
    case jobs::JobState::kCancelled: return v1::JOB_STATE_CANCELLED;
  }
  return v1::JOB_STATE_UNSPECIFIED;
}

v1::DatasetFormat ToProto(io::DatasetFormat f) {
  switch (f) {
    case io::DatasetFormat::kCsv: return v1::DATASET_FORMAT_CSV;
    case io::DatasetFormat::kIdx: return v1::DATASET_FORMAT_IDX;
    case io::DatasetFormat::kNpy: return v1::DATASET_FORMAT_NPY;
  }
  return v1::DATASET_FORMAT_UNSPECIFIED;
}

}  // namespace

v1::ModelVersion ToProto(const store::VersionInfo& v) {
  v1::ModelVersion out;
  out.set_model(v.model);
  out.set_version(v.version);
  out.set_precision(v.precision == store::Precision::kInt8 ? v1::PRECISION_INT8
                                                            : v1::PRECISION_FP32);
  out.set_parent_version(v.parent_version);
  out.set_sha256(v.sha256);
  out.set_size_bytes(v.size_bytes);
  *out.mutable_created() = FromUnixMs(v.created_unix_ms);
  out.set_source_format(v.source_format);
  out.set_method(v.method);
  out.set_job_id(v.job_id);
  for (const std::string& l : v.labels) out.add_labels(l);
  out.set_description(v.description);
  return out;
}

v1::Model ToProto(const store::ModelInfo& m) {
  v1::Model out;
  out.set_name(m.name);
  for (const store::VersionInfo& v : m.versions) *out.add_versions() = ToProto(v);
  for (const auto& [label, version] : m.labels) (*out.mutable_labels())[label] = version;
  return out;
}

v1::Dataset ToProto(const store::DatasetInfo& d) {
  v1::Dataset out;
  out.set_sha256(d.sha256);
  out.set_name(d.name);
  out.set_format(ToProto(d.format));
  out.set_items(d.items);
  out.set_has_labels(d.has_labels);
  for (int64_t dim : d.item_shape) out.add_item_shape(dim);
  out.set_size_bytes(d.size_bytes);
  *out.mutable_preprocessing() = PreprocessSpecToProto(d.spec);
  *out.mutable_created() = FromUnixMs(d.created_unix_ms);
  return out;
}

v1::Job ToProto(const jobs::JobRecord& job) {
  v1::Job out;
  out.set_id(job.id);
  out.set_kind(job.kind);
  out.set_state(ToProto(job.state));
  out.set_phase(job.phase);
  out.set_progress(job.progress);
  out.set_eta_seconds(job.eta_seconds);
  out.set_error(job.error);
  out.set_attempts(job.attempts);
  if (job.created_unix_ms) *out.mutable_created() = FromUnixMs(job.created_unix_ms);
  if (job.started_unix_ms) *out.mutable_started() = FromUnixMs(job.started_unix_ms);
  if (job.finished_unix_ms) *out.mutable_finished() = FromUnixMs(job.finished_unix_ms);
  if (job.kind == jobs::kQuantizeJobKind) {
    if (auto params = jobs::ParseQuantizeJobParams(job.params); params.ok()) {
      *out.mutable_request() = ToProto(*params);
    }
    if (!job.result.empty()) {
      if (auto result = jobs::ParseQuantizeJobResult(job.result); result.ok()) {
        out.set_result_model(result->model);
        out.set_result_version(result->version);
      }
    }
  }
  return out;
}

v1::Report ToReport(const std::string& model, int64_t version, const quant::Manifest& m,
                    const std::string& manifest_json) {
  v1::Report r;
  r.set_model(model);
  r.set_version(version);
  int64_t parent = 0;
  if (!m.parent_version.empty()) parent = std::strtoll(m.parent_version.c_str(), nullptr, 10);
  r.set_parent_version(parent);
  r.set_method(m.method);
  r.set_scheme(m.scheme);
  r.set_calib_sha256(m.calib_sha256);
  r.set_calib_images(m.calib_images);
  r.set_calib_seconds(m.calib_seconds);
  if (m.accuracy) {
    r.set_has_accuracy(true);
    r.set_eval_dataset(m.accuracy->dataset);
    r.set_eval_images(m.accuracy->images);
    r.set_fp32_top1(m.accuracy->fp32_top1);
    r.set_int8_top1(m.accuracy->int8_top1);
    r.set_top1_drop_pp(m.accuracy->top1_drop_pp());
    r.set_top1_agreement(m.accuracy->top1_agreement);
  }
  for (const quant::QuantizedTensorInfo& t : m.tensors) {
    v1::QuantizedTensor* q = r.add_tensors();
    q->set_name(t.name);
    q->set_scale(t.scale);
    q->set_zero_point(t.zero_point);
    q->set_dtype(t.dtype == ir::DType::kU8 ? "u8" : "s8");
    q->set_has_fix_pos(t.fix_pos.has_value());
    q->set_fix_pos(t.fix_pos.value_or(0));
  }
  for (const quant::LayerError& e : m.layers) {
    v1::LayerError* l = r.add_layers();
    l->set_tensor(e.tensor);
    l->set_mse(e.mse);
    l->set_sqnr_db(e.sqnr_db);
    l->set_elements(e.elements);
  }
  for (const std::string& n : m.float_nodes) r.add_float_nodes(n);
  r.set_manifest_json(manifest_json);
  return r;
}

jobs::QuantizeJobParams FromProto(const v1::QuantizeRequest& r) {
  jobs::QuantizeJobParams p;
  p.model = r.model();
  p.version = r.version();
  p.calib_dataset = r.calib_dataset();
  p.calib_images = r.calib_images() != 0 ? r.calib_images() : 1000;
  p.method = r.method().empty() ? "minmax" : r.method();
  p.eval_dataset = r.eval_dataset();
  p.eval_images = r.eval_images();
  p.symmetric_activations = r.symmetric_activations();
  p.per_tensor_weights = r.per_tensor_weights();
  if (r.percentile() != 0) p.percentile = r.percentile();
  p.exclude_nodes.assign(r.exclude_nodes().begin(), r.exclude_nodes().end());
  p.exclude_op_types.assign(r.exclude_op_types().begin(), r.exclude_op_types().end());
  p.max_drop_pp = r.max_drop_pp() > 0 ? r.max_drop_pp() : -1;
  if (r.time_budget_s() > 0) p.time_budget_s = r.time_budget_s();
  p.label = r.label();
  return p;
}

v1::QuantizeRequest ToProto(const jobs::QuantizeJobParams& p) {
  v1::QuantizeRequest r;
  r.set_model(p.model);
  r.set_version(p.version);
  r.set_calib_dataset(p.calib_dataset);
  r.set_calib_images(p.calib_images);
  r.set_method(p.method);
  r.set_eval_dataset(p.eval_dataset);
  r.set_eval_images(p.eval_images);
  r.set_symmetric_activations(p.symmetric_activations);
  r.set_per_tensor_weights(p.per_tensor_weights);
  r.set_percentile(p.percentile);
  for (const std::string& n : p.exclude_nodes) r.add_exclude_nodes(n);
  for (const std::string& t : p.exclude_op_types) r.add_exclude_op_types(t);
  r.set_max_drop_pp(p.max_drop_pp > 0 ? p.max_drop_pp : 0);
  r.set_time_budget_s(p.time_budget_s);
  r.set_label(p.label);
  return r;
}

}  // namespace fixpoint::server
