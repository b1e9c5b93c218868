#include "core/quant/artifact.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <limits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "core/io/onnx_exporter.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {
namespace {

using nlohmann::ordered_json;
namespace fs = std::filesystem;

ordered_json TensorJson(const QuantizedTensorInfo& t) {
  ordered_json j;
  j["name"] = t.name;
  j["scale"] = t.scale;
  j["zero_point"] = t.zero_point;
  j["dtype"] = std::string(ir::DTypeName(t.dtype));
  if (t.fix_pos) j["fix_pos"] = *t.fix_pos;
  j["calibrated_min"] = t.calibrated_min;
  j["calibrated_max"] = t.calibrated_max;
  if (!t.params_from.empty()) j["params_from"] = t.params_from;
  return j;
}

absl::Status Errno(const std::string& what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " '", path, "': ", std::strerror(errno)));
}

// Writes `bytes` to `path` and fsyncs it.
absl::Status WriteSynced(const std::string& path, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create", path);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return Errno("cannot write", path);
    }
    done += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  if (::close(fd) != 0 || !synced) return Errno("cannot sync", path);
  return absl::OkStatus();
}

absl::Status SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open directory", dir);
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok ? absl::OkStatus() : Errno("cannot sync directory", dir);
}

template <typename T>
absl::StatusOr<T> Get(const ordered_json& j, const char* key) {
  if (!j.contains(key)) return absl::InvalidArgumentError(absl::StrCat("manifest: no '", key, "'"));
  try {
    return j.at(key).get<T>();
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("manifest: '", key, "': ", e.what()));
  }
}

ordered_json BiasCorrectionJson(const Manifest& m) {
  const BiasCorrectionReport& r = m.bias_correction;
  ordered_json j = {{"mode", m.bias_correction_mode}, {"applied", r.applied}, {"nodes", r.nodes}};
  // JSON has no infinity: an SQNR is written only when both are finite.
  if (r.calib_sqnr_without_db && r.calib_sqnr_with_db && std::isfinite(*r.calib_sqnr_without_db) &&
      std::isfinite(*r.calib_sqnr_with_db)) {
    j["calib_output_sqnr_db"] = {{"without", *r.calib_sqnr_without_db},
                                 {"with", *r.calib_sqnr_with_db}};
  }
  return j;
}

}  // namespace

std::string SchemeName(const QuantizeOptions& options) {
  if (options.method.rfind("pof2", 0) == 0) {
    return "pof2 (s8 symmetric power-of-two activations and per-tensor weights)";
  }
  return absl::StrCat(options.symmetric_activations ? "s8 symmetric" : "u8 asymmetric",
                      " activations, s8 symmetric ",
                      options.per_channel_weights ? "per-channel" : "per-tensor", " weights");
}

std::string ManifestToJson(const Manifest& m) {
  ordered_json j;
  j["format"] = "fixpoint-artifact/1";
  j["model_file"] = kArtifactModelFile;
  j["source_model"] = m.source_model;
  j["source_sha256"] = m.source_sha256;
  j["parent_version"] = m.parent_version;
  j["method"] = m.method;
  j["scheme"] = m.scheme;
  j["calibration"] = {{"dataset", m.calib_dataset},
                      {"sha256", m.calib_sha256},
                      {"images", m.calib_images},
                      {"seconds", m.calib_seconds}};
  j["versions"] = {{"fixpoint", m.fixpoint_version}, {"onednn", m.onednn_version}};
  j["created_utc"] = m.created_utc;
  j["bias_correction"] = BiasCorrectionJson(m);
  if (m.accuracy) {
    const AccuracyReport& a = *m.accuracy;
    j["accuracy"] = {{"dataset", a.dataset},
                     {"sha256", a.dataset_sha256},
                     {"images", a.images},
                     {"fp32_top1", a.fp32_top1},
                     {"int8_top1", a.int8_top1},
                     {"top1_drop_pp", a.top1_drop_pp()},
                     {"top1_agreement", a.top1_agreement}};
  }
  if (m.max_drop_pp) {
    j["accuracy_aware"] = {{"max_drop_pp", *m.max_drop_pp},
                           {"goal_met", m.goal_met},
                           {"float_nodes", m.float_nodes}};
  }
  ordered_json tensors = ordered_json::array();
  for (const QuantizedTensorInfo& t : m.tensors) tensors.push_back(TensorJson(t));
  j["tensors"] = std::move(tensors);
  if (!m.layers.empty()) {
    ordered_json layers = ordered_json::array();
    for (const LayerError& e : m.layers) {
      // JSON has no infinity: an exact layer gets sqnr_db null.
      layers.push_back({{"tensor", e.tensor},
                        {"mse", e.mse},
                        {"sqnr_db", std::isfinite(e.sqnr_db) ? ordered_json(e.sqnr_db) : ordered_json()},
                        {"elements", e.elements}});
    }
    j["layers"] = std::move(layers);
  }
  return j.dump(2) + "\n";
}

absl::StatusOr<Manifest> ParseManifest(const std::string& text) {
  ordered_json j = ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("manifest: not a JSON object");
  }
  Manifest m;
  FP_ASSIGN_OR_RETURN(m.source_model, Get<std::string>(j, "source_model"));
  FP_ASSIGN_OR_RETURN(m.source_sha256, Get<std::string>(j, "source_sha256"));
  FP_ASSIGN_OR_RETURN(m.parent_version, Get<std::string>(j, "parent_version"));
  FP_ASSIGN_OR_RETURN(m.method, Get<std::string>(j, "method"));
  FP_ASSIGN_OR_RETURN(m.scheme, Get<std::string>(j, "scheme"));
  FP_ASSIGN_OR_RETURN(m.created_utc, Get<std::string>(j, "created_utc"));
  FP_ASSIGN_OR_RETURN(ordered_json calib, Get<ordered_json>(j, "calibration"));
  FP_ASSIGN_OR_RETURN(m.calib_dataset, Get<std::string>(calib, "dataset"));
  FP_ASSIGN_OR_RETURN(m.calib_sha256, Get<std::string>(calib, "sha256"));
  FP_ASSIGN_OR_RETURN(m.calib_images, Get<int64_t>(calib, "images"));
  FP_ASSIGN_OR_RETURN(m.calib_seconds, Get<double>(calib, "seconds"));
  FP_ASSIGN_OR_RETURN(ordered_json versions, Get<ordered_json>(j, "versions"));
  FP_ASSIGN_OR_RETURN(m.fixpoint_version, Get<std::string>(versions, "fixpoint"));
  FP_ASSIGN_OR_RETURN(m.onednn_version, Get<std::string>(versions, "onednn"));
  if (j.contains("bias_correction")) {
    const ordered_json& b = j["bias_correction"];
    FP_ASSIGN_OR_RETURN(m.bias_correction_mode, Get<std::string>(b, "mode"));
    FP_ASSIGN_OR_RETURN(m.bias_correction.applied, Get<bool>(b, "applied"));
    FP_ASSIGN_OR_RETURN(m.bias_correction.nodes, Get<std::vector<std::string>>(b, "nodes"));
    if (b.contains("calib_output_sqnr_db")) {
      const ordered_json& q = b["calib_output_sqnr_db"];
      FP_ASSIGN_OR_RETURN(double without, Get<double>(q, "without"));
      FP_ASSIGN_OR_RETURN(double with, Get<double>(q, "with"));
      m.bias_correction.calib_sqnr_without_db = without;
      m.bias_correction.calib_sqnr_with_db = with;
    }
  }
  if (j.contains("accuracy")) {
    const ordered_json& a = j["accuracy"];
    AccuracyReport r;
    FP_ASSIGN_OR_RETURN(r.dataset, Get<std::string>(a, "dataset"));
    FP_ASSIGN_OR_RETURN(r.dataset_sha256, Get<std::string>(a, "sha256"));
    FP_ASSIGN_OR_RETURN(r.images, Get<int64_t>(a, "images"));
    FP_ASSIGN_OR_RETURN(r.fp32_top1, Get<double>(a, "fp32_top1"));
    FP_ASSIGN_OR_RETURN(r.int8_top1, Get<double>(a, "int8_top1"));
    FP_ASSIGN_OR_RETURN(r.top1_agreement, Get<double>(a, "top1_agreement"));
    m.accuracy = r;
  }
  FP_ASSIGN_OR_RETURN(ordered_json tensors, Get<ordered_json>(j, "tensors"));
  if (!tensors.is_array()) return absl::InvalidArgumentError("manifest: 'tensors' not an array");
  for (const ordered_json& t : tensors) {
    QuantizedTensorInfo info;
    FP_ASSIGN_OR_RETURN(info.name, Get<std::string>(t, "name"));
    FP_ASSIGN_OR_RETURN(info.scale, Get<float>(t, "scale"));
    FP_ASSIGN_OR_RETURN(info.zero_point, Get<int32_t>(t, "zero_point"));
    FP_ASSIGN_OR_RETURN(std::string dtype, Get<std::string>(t, "dtype"));
    FP_ASSIGN_OR_RETURN(info.dtype, ir::ParseDType(dtype));
    if (t.contains("fix_pos")) {
      FP_ASSIGN_OR_RETURN(int fix_pos, Get<int>(t, "fix_pos"));
      info.fix_pos = fix_pos;
    }
    FP_ASSIGN_OR_RETURN(info.calibrated_min, Get<float>(t, "calibrated_min"));
    FP_ASSIGN_OR_RETURN(info.calibrated_max, Get<float>(t, "calibrated_max"));
    if (t.contains("params_from")) {
      FP_ASSIGN_OR_RETURN(info.params_from, Get<std::string>(t, "params_from"));
    }
    m.tensors.push_back(std::move(info));
  }
  if (j.contains("accuracy_aware")) {
    const ordered_json& a = j["accuracy_aware"];
    FP_ASSIGN_OR_RETURN(double goal, Get<double>(a, "max_drop_pp"));
    m.max_drop_pp = goal;
    FP_ASSIGN_OR_RETURN(m.goal_met, Get<bool>(a, "goal_met"));
    FP_ASSIGN_OR_RETURN(m.float_nodes, Get<std::vector<std::string>>(a, "float_nodes"));
  }
  if (j.contains("layers")) {
    for (const ordered_json& l : j["layers"]) {
      LayerError e;
      FP_ASSIGN_OR_RETURN(e.tensor, Get<std::string>(l, "tensor"));
      FP_ASSIGN_OR_RETURN(e.mse, Get<double>(l, "mse"));
      FP_ASSIGN_OR_RETURN(e.elements, Get<int64_t>(l, "elements"));
      if (l.contains("sqnr_db") && l["sqnr_db"].is_null()) {
        e.sqnr_db = std::numeric_limits<double>::infinity();
      } else {
        FP_ASSIGN_OR_RETURN(e.sqnr_db, Get<double>(l, "sqnr_db"));
      }
      m.layers.push_back(std::move(e));
    }
  }
  return m;
}

absl::Status WriteArtifact(const std::string& dir, const ir::Graph& graph,
                           const Manifest& manifest) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    return absl::AlreadyExistsError(absl::StrCat("artifact '", dir, "' exists (artifacts are immutable)"));
  }
  io::OnnxExportOptions options;
  options.producer_version = manifest.fixpoint_version;
  options.doc_string = absl::StrCat("fixpoint int8 QDQ model; method ", manifest.method);
  options.metadata_props = {{"fixpoint.method", manifest.method},
                            {"fixpoint.scheme", manifest.scheme},
                            {"fixpoint.calibration_sha256", manifest.calib_sha256}};
  FP_ASSIGN_OR_RETURN(std::string model, io::ExportOnnx(graph, options));
  const fs::path target(dir);
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  fs::create_directories(parent, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create '", parent.string(), "': ", ec.message()));
  std::string tmp = (parent / (".tmp-" + target.filename().string() + "-XXXXXX")).string();
  if (::mkdtemp(tmp.data()) == nullptr) return Errno("cannot create", tmp);
  ::chmod(tmp.c_str(), 0755);  // mkdtemp makes it 0700
  absl::Status s = WriteSynced((fs::path(tmp) / kArtifactModelFile).string(), model);
  if (s.ok()) s = WriteSynced((fs::path(tmp) / kArtifactManifestFile).string(), ManifestToJson(manifest));
  if (s.ok()) s = SyncDir(tmp);
  // rename(2) onto a missing path is atomic; renameat2(RENAME_NOREPLACE) would
  // close the race with a concurrent writer, which the store serializes.
  if (s.ok() && ::rename(tmp.c_str(), dir.c_str()) != 0) s = Errno("cannot rename onto", dir);
  if (s.ok()) s = SyncDir(parent.string());
  if (!s.ok()) fs::remove_all(tmp, ec);
  return s;
}

absl::StatusOr<Manifest> ReadManifest(const std::string& dir) {
  const std::string path = (fs::path(dir) / kArtifactManifestFile).string();
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("no manifest at '", path, "'"));
  std::stringstream text;
  text << in.rdbuf();
  auto m = ParseManifest(text.str());
  if (!m.ok()) return WithContext(m.status(), path);
  return m;
}

}  // namespace fixpoint::quant
