#include "core/jobs/quantize_job.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/io/onnx_importer.h"
#include "core/quant/calibrator.h"
#include "core/quant/quantize_pipeline.h"
#include "core/util/status_macros.h"

namespace fixpoint::jobs {
namespace {

using json = nlohmann::ordered_json;

// Reads `key` of `j` into `out` when present; INVALID_ARGUMENT on a type
// mismatch. nlohmann's exceptions stay inside this function.
template <typename T>
absl::Status Read(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return absl::OkStatus();
  try {
    out = it->get<T>();
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("job params: key '", key, "': ", e.what()));
  }
  return absl::OkStatus();
}

absl::StatusOr<json> ParseObject(const std::string& text, const char* what) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is not a JSON object"));
  }
  return j;
}

// Maps calibration / evaluation progress into the job's overall fraction.
std::function<void(int64_t, int64_t)> Band(JobContext& context, double from, double to) {
  return [&context, from, to](int64_t done, int64_t total) {
    if (total > 0) context.SetProgress(from + (to - from) * double(done) / double(total));
  };
}

// The int8 version this job committed before an interruption, if any.
std::optional<store::VersionInfo> AlreadyCommitted(const store::ArtifactStore& store,
                                                   const std::string& model,
                                                   const std::string& job_id) {
  auto info = store.GetModel(model);
  if (!info.ok()) return std::nullopt;
  for (const store::VersionInfo& v : info->versions) {
    if (v.job_id == job_id) return v;
  }
  return std::nullopt;
}

absl::StatusOr<std::string> RunQuantizeJob(store::ArtifactStore& store, const VersionCommitted& done,
                                           const std::string& params_json, JobContext& context) {
  FP_ASSIGN_OR_RETURN(QuantizeJobParams p, ParseQuantizeJobParams(params_json));
  if (auto existing = AlreadyCommitted(store, p.model, context.id())) {
    context.Log(absl::StrCat("version ", existing->version,
                             " was committed before an interruption; not quantizing again"));
    return QuantizeJobResultToJson({p.model, existing->version, existing->parent_version});
  }
  context.SetPhase("load");
  FP_ASSIGN_OR_RETURN(p, ValidateQuantizeJob(store, std::move(p)));
  FP_ASSIGN_OR_RETURN(store::VersionInfo source, store.GetVersion(p.model, p.version));
  auto graph = io::ImportOnnxFile(source.model_path);
  if (!graph.ok()) {
    return WithContext(graph.status(), absl::StrCat("model '", p.model, "' v", p.version));
  }
  FP_ASSIGN_OR_RETURN(store::DatasetInfo calib_info, store.GetDataset(p.calib_dataset));
  FP_ASSIGN_OR_RETURN(io::Dataset calib, store.LoadDataset(calib_info, p.calib_images));
  context.Log(absl::StrCat("model ", p.model, " v", p.version, ", calibration set ",
                           calib_info.name, " (", calib.size(), " images), method ", p.method));

  quant::PipelineOptions options;
  quant::QuantizeOptions& q = options.quantize;
  q.method = p.method;
  q.calibrator.percentile = p.percentile;
  q.symmetric_activations = p.symmetric_activations;
  q.per_channel_weights = !p.per_tensor_weights;
  q.selection.exclude_nodes = p.exclude_nodes;
  q.selection.exclude_op_types = p.exclude_op_types;
  q.num_images = p.calib_images;
  q.threads = p.threads;
  q.cancelled = [&context] { return context.cancelled(); };
  std::optional<io::Dataset> eval;
  const double calib_end = p.eval_dataset.empty() ? 0.95 : 0.6;
  q.progress = Band(context, 0.02, calib_end);
  if (!p.eval_dataset.empty()) {
    FP_ASSIGN_OR_RETURN(store::DatasetInfo eval_info, store.GetDataset(p.eval_dataset));
    FP_ASSIGN_OR_RETURN(eval, store.LoadDataset(eval_info, p.eval_images));
    options.eval = &*eval;
    options.eval_name = eval_info.name;
    options.eval_sha256 = eval_info.sha256;
    options.eval_progress = Band(context, calib_end, 0.9);
    options.layer_report_images = p.layer_report_images;
  }
  if (p.max_drop_pp >= 0) {
    options.max_drop_pp = p.max_drop_pp;
    options.time_budget_s = p.time_budget_s;
  }
  options.source_model = absl::StrCat(p.model, "/", p.version);
  options.source_sha256 = source.sha256;
  options.parent_version = std::to_string(p.version);
  options.calib_name = calib_info.name;
  options.calib_sha256 = calib_info.sha256;
  options.on_phase = [&context](absl::string_view phase) {
    context.SetPhase(phase);
    context.Log(absl::StrCat("phase ", phase));
  };
  FP_ASSIGN_OR_RETURN(quant::PipelineResult result,
                      quant::RunQuantizePipeline(*graph, calib, options));
  if (context.cancelled()) return absl::CancelledError("cancelled before writing the artifact");

  context.SetPhase("write");
  FP_ASSIGN_OR_RETURN(store::VersionInfo written,
                      store.AddQuantizedVersion(p.model, result.quantized.graph, result.manifest,
                                                context.id()));
  if (!p.label.empty()) FP_RETURN_IF_ERROR(store.SetLabel(p.model, written.version, p.label));
  context.SetProgress(1.0);
  if (const auto& a = result.manifest.accuracy) {
    context.Log(absl::StrCat("version ", written.version, ": fp32 top-1 ", 100 * a->fp32_top1,
                             " %, int8 top-1 ", 100 * a->int8_top1, " %, agreement ",
                             100 * a->top1_agreement, " %"));
  } else {
    context.Log(absl::StrCat("version ", written.version, " written"));
  }
  if (done) done(written, result.manifest);
  return QuantizeJobResultToJson({p.model, written.version, p.version});
}

}  // namespace

std::string QuantizeJobParamsToJson(const QuantizeJobParams& p) {
  json j;
  j["model"] = p.model;
  j["version"] = p.version;
  j["calib_dataset"] = p.calib_dataset;
  j["calib_images"] = p.calib_images;
  j["method"] = p.method;
  j["eval_dataset"] = p.eval_dataset;
  j["eval_images"] = p.eval_images;
  j["symmetric_activations"] = p.symmetric_activations;
  j["per_tensor_weights"] = p.per_tensor_weights;
  j["percentile"] = p.percentile;
  j["exclude_nodes"] = p.exclude_nodes;
  j["exclude_op_types"] = p.exclude_op_types;
  j["max_drop_pp"] = p.max_drop_pp;
  j["time_budget_s"] = p.time_budget_s;
  j["label"] = p.label;
  j["layer_report_images"] = p.layer_report_images;
  j["threads"] = p.threads;
  return j.dump();
}

absl::StatusOr<QuantizeJobParams> ParseQuantizeJobParams(const std::string& text) {
  FP_ASSIGN_OR_RETURN(json j, ParseObject(text, "quantize job params"));
  QuantizeJobParams p;
  FP_RETURN_IF_ERROR(Read(j, "model", p.model));
  FP_RETURN_IF_ERROR(Read(j, "version", p.version));
  FP_RETURN_IF_ERROR(Read(j, "calib_dataset", p.calib_dataset));
  FP_RETURN_IF_ERROR(Read(j, "calib_images", p.calib_images));
  FP_RETURN_IF_ERROR(Read(j, "method", p.method));
  FP_RETURN_IF_ERROR(Read(j, "eval_dataset", p.eval_dataset));
  FP_RETURN_IF_ERROR(Read(j, "eval_images", p.eval_images));
  FP_RETURN_IF_ERROR(Read(j, "symmetric_activations", p.symmetric_activations));
  FP_RETURN_IF_ERROR(Read(j, "per_tensor_weights", p.per_tensor_weights));
  FP_RETURN_IF_ERROR(Read(j, "percentile", p.percentile));
  FP_RETURN_IF_ERROR(Read(j, "exclude_nodes", p.exclude_nodes));
  FP_RETURN_IF_ERROR(Read(j, "exclude_op_types", p.exclude_op_types));
  FP_RETURN_IF_ERROR(Read(j, "max_drop_pp", p.max_drop_pp));
  FP_RETURN_IF_ERROR(Read(j, "time_budget_s", p.time_budget_s));
  FP_RETURN_IF_ERROR(Read(j, "label", p.label));
  FP_RETURN_IF_ERROR(Read(j, "layer_report_images", p.layer_report_images));
  FP_RETURN_IF_ERROR(Read(j, "threads", p.threads));
  return p;
}

std::string QuantizeJobResultToJson(const QuantizeJobResult& r) {
  json j;
  j["model"] = r.model;
  j["version"] = r.version;
  j["parent_version"] = r.parent_version;
  return j.dump();
}

absl::StatusOr<QuantizeJobResult> ParseQuantizeJobResult(const std::string& text) {
  FP_ASSIGN_OR_RETURN(json j, ParseObject(text, "quantize job result"));
  QuantizeJobResult r;
  FP_RETURN_IF_ERROR(Read(j, "model", r.model));
  FP_RETURN_IF_ERROR(Read(j, "version", r.version));
  FP_RETURN_IF_ERROR(Read(j, "parent_version", r.parent_version));
  return r;
}

absl::StatusOr<QuantizeJobParams> ValidateQuantizeJob(const store::ArtifactStore& store,
                                                      QuantizeJobParams p) {
  FP_ASSIGN_OR_RETURN(store::ModelInfo model, store.GetModel(p.model));
  if (p.version == 0) {
    for (const store::VersionInfo& v : model.versions) {
      if (v.precision == store::Precision::kFp32) p.version = std::max(p.version, v.version);
    }
    if (p.version == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("model '", p.model, "' has no float version to quantize"));
    }
  }
  FP_ASSIGN_OR_RETURN(store::VersionInfo source, store.GetVersion(p.model, p.version));
  if (source.precision != store::Precision::kFp32) {
    return absl::FailedPreconditionError(absl::StrCat(
        "model '", p.model, "' version ", p.version, " is already int8; quantize its float parent ",
        source.parent_version));
  }
  const std::vector<std::string> methods = quant::CalibrationMethods();
  if (std::find(methods.begin(), methods.end(), p.method) == methods.end()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown calibration method '", p.method,
                                                   "'; one of: ", absl::StrJoin(methods, ", ")));
  }
  if (p.calib_images < 0 || p.eval_images < 0) {
    return absl::InvalidArgumentError("calib_images and eval_images must be >= 0");
  }
  if (!(p.percentile > 0 && p.percentile <= 100)) {
    return absl::InvalidArgumentError(
        absl::StrCat("percentile must be in (0, 100], got ", p.percentile));
  }
  if (p.calib_dataset.empty()) return absl::InvalidArgumentError("calib_dataset is required");
  FP_ASSIGN_OR_RETURN(store::DatasetInfo calib, store.GetDataset(p.calib_dataset));
  p.calib_dataset = calib.sha256;
  if (!p.eval_dataset.empty()) {
    FP_ASSIGN_OR_RETURN(store::DatasetInfo eval, store.GetDataset(p.eval_dataset));
    if (!eval.has_labels) {
      return absl::InvalidArgumentError(
          absl::StrCat("evaluation dataset '", eval.name, "' has no labels"));
    }
    p.eval_dataset = eval.sha256;
  }
  if (p.max_drop_pp >= 0 && p.eval_dataset.empty()) {
    return absl::InvalidArgumentError("max_drop_pp (accuracy-aware mode) needs eval_dataset");
  }
  if (!p.label.empty()) FP_RETURN_IF_ERROR(store::ValidateLabel(p.label));
  return p;
}

JobHandler MakeQuantizeJobHandler(store::ArtifactStore* store, VersionCommitted on_committed) {
  return [store, on_committed = std::move(on_committed)](const std::string& params,
                                                         JobContext& context) {
    return RunQuantizeJob(*store, on_committed, params, context);
  };
}

}  // namespace fixpoint::jobs
