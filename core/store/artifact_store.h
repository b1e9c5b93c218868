// ArtifactStore: the service's durable state on local disk — model versions
// (`models/<name>/<version>/` holding model.onnx and manifest.json, plus the
// per-layer report inside the manifest), datasets (`datasets/<sha256>/`), and
// their metadata (names, versions, labels, lineage) in SQLite
// (`metadata.sqlite`, shared with the job scheduler through db()).
//
// Guarantees: versions are immutable; a version or dataset directory appears
// only complete (written under `tmp/`, fsynced, renamed into place, then the
// row is committed; Open() removes leftovers of an interrupted write and
// directories without a row); names are validated before they touch a path.
// Deleting a version removes its files and row; callers that already loaded
// the model keep their in-memory copy, so requests in flight are unaffected.
// Thread-safe.
#ifndef FIXPOINT_CORE_STORE_ARTIFACT_STORE_H_
#define FIXPOINT_CORE_STORE_ARTIFACT_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "core/io/dataset.h"
#include "core/io/preprocess.h"
#include "core/ir/graph.h"
#include "core/quant/artifact.h"
#include "core/util/sqlite_db.h"

namespace fixpoint::store {

// Model and dataset names: [A-Za-z0-9][A-Za-z0-9._-]{0,63}, not ending in
// '.'. INVALID_ARGUMENT saying which character (and where, counting from 0)
// is not allowed.
absl::Status ValidateName(absl::string_view name);
// Labels: [a-z][a-z0-9_-]{0,31}, and not "latest" (reserved).
absl::Status ValidateLabel(absl::string_view label);

enum class Precision { kFp32, kInt8 };
absl::string_view PrecisionName(Precision p);  // "fp32" / "int8"

struct VersionInfo {
  std::string model;
  int64_t version = 0;
  Precision precision = Precision::kFp32;
  int64_t parent_version = 0;  // 0 for uploaded float versions
  std::string sha256;          // of model.onnx
  int64_t size_bytes = 0;      // of model.onnx
  int64_t created_unix_ms = 0;
  std::string source_format;  // "onnx", "tf_graphdef", "quantized"
  std::string method;         // int8: calibration method
  std::string job_id;         // int8: the job that produced it
  std::string description;
  std::vector<std::string> labels;
  std::string dir;         // absolute path of the version directory
  std::string model_path;  // dir + "/model.onnx"
};

struct ModelInfo {
  std::string name;
  std::vector<VersionInfo> versions;     // ascending by version
  std::map<std::string, int64_t> labels;  // label -> version
};

// A float model to store: the ONNX bytes to serve (the upload itself for
// ONNX, the exported import for TF GraphDef) and where they came from.
struct FloatModel {
  std::string onnx_bytes;
  std::string source_format = "onnx";
  std::string source_sha256;  // of the uploaded bytes
  std::string description;
};

struct DatasetInfo {
  std::string sha256;  // of the images bytes: the dataset's identity
  std::string name;
  io::DatasetFormat format = io::DatasetFormat::kCsv;
  int64_t items = 0;
  bool has_labels = false;
  std::vector<int64_t> item_shape;  // e.g. {1, 28, 28} (spec layout)
  int64_t size_bytes = 0;           // images + labels bytes
  io::PreprocessSpec spec;
  int64_t created_unix_ms = 0;
  std::string images_path;  // absolute
  std::string labels_path;  // absolute; empty when the images carry labels
};

class ArtifactStore {
 public:
  // Opens the store rooted at `root` (created if missing): makes models/,
  // datasets/, tmp/, opens metadata.sqlite, and recovers from a crash
  // (empties tmp/, removes version/dataset directories that have no row and
  // rows whose directory is gone). INTERNAL / PERMISSION_DENIED on I/O errors.
  static absl::StatusOr<std::unique_ptr<ArtifactStore>> Open(const std::string& root);
  ~ArtifactStore();

  // Adds `model` as the next version of `name` (1 for a new name), fp32.
  // INVALID_ARGUMENT for a bad name. The caller has validated the ONNX.
  absl::StatusOr<VersionInfo> AddFloatVersion(const std::string& name, const FloatModel& model);
  // Adds the quantizer's QDQ `graph` as the next version of `name`, int8,
  // with `manifest` (its parent_version should name an existing version of
  // `name`; NOT_FOUND otherwise, INVALID_ARGUMENT if it is not a number).
  // Written by quant::WriteArtifact.
  absl::StatusOr<VersionInfo> AddQuantizedVersion(const std::string& name,
                                                  const ir::Graph& graph,
                                                  const quant::Manifest& manifest,
                                                  const std::string& job_id);

  // Every model that has at least one version, by name. Empty when the
  // database cannot be read (GetModel reports such errors).
  std::vector<ModelInfo> ListModels() const;
  // NOT_FOUND naming the model.
  absl::StatusOr<ModelInfo> GetModel(const std::string& name) const;
  // NOT_FOUND naming the model and version.
  absl::StatusOr<VersionInfo> GetVersion(const std::string& name, int64_t version) const;
  // `selector` is a version number ("3"), "latest" / "" (highest version), or
  // a label. NOT_FOUND naming what was not found.
  absl::StatusOr<VersionInfo> Resolve(const std::string& name, absl::string_view selector) const;
  // The version's manifest.json (float versions have one too: source info).
  absl::StatusOr<quant::Manifest> ReadManifest(const std::string& name, int64_t version) const;
  // Removes a version (row, labels pointing at it, then its directory).
  // NOT_FOUND if absent.
  absl::Status DeleteVersion(const std::string& name, int64_t version);
  // Points `label` at `version` (moving it if set elsewhere).
  absl::Status SetLabel(const std::string& name, int64_t version, const std::string& label);

  // Validates the dataset by parsing it whole (io::LoadDatasetFromBytes with
  // `spec`), then stores images (and labels) under datasets/<sha256>/.
  // Identical images bytes return the existing entry (its name, spec and
  // labels; the new ones are ignored). INVALID_ARGUMENT with
  // the reader's line / byte for malformed data.
  absl::StatusOr<DatasetInfo> AddDataset(const std::string& name, absl::string_view images,
                                         absl::string_view labels, io::DatasetFormat format,
                                         const io::PreprocessSpec& spec);
  // Oldest first. Empty when the database cannot be read.
  std::vector<DatasetInfo> ListDatasets() const;
  // By full sha256 or a unique prefix of at least 12 hex digits, or by name
  // when exactly one dataset has it. NOT_FOUND / INVALID_ARGUMENT (ambiguous).
  absl::StatusOr<DatasetInfo> GetDataset(const std::string& id) const;
  // Loads a stored dataset (at most `max_items`, 0 = all).
  absl::StatusOr<io::Dataset> LoadDataset(const DatasetInfo& info, int64_t max_items = 0) const;

  const std::string& root() const { return root_; }
  // The metadata database, for the job scheduler's tables.
  SqliteDb& db() { return *db_; }

 private:
  ArtifactStore(std::string root, std::unique_ptr<SqliteDb> db);

  // Crash recovery at Open (store_recovery.cc): see Open's contract.
  absl::Status Recover();
  absl::Status RecoverModels();
  absl::Status RecoverDatasets();

  // Moves the complete, fsynced directory `staged_dir` (under tmp/) into
  // place as the next version of `name` and commits its row; fills in the
  // version number, paths and labels of `info`. Version numbers come from a
  // SQLite transaction (model_counters), so concurrent callers get distinct
  // numbers without a lock held across the rename. NOT_FOUND if
  // info.parent_version > 0 names no version (checked again in the
  // transaction that inserts the row).
  absl::StatusOr<VersionInfo> CommitVersion(const std::string& name, const std::string& staged_dir,
                                            VersionInfo info);
  // Every version of `name` (ascending) with its labels; empty if none.
  absl::StatusOr<std::vector<VersionInfo>> QueryVersions(const std::string& name) const;
  // The dataset row with this exact sha256, or nullopt.
  absl::StatusOr<std::optional<DatasetInfo>> FindDataset(const std::string& sha256) const;
  // Moves the staged dataset directory into datasets/<info.sha256>/ and
  // inserts its row, or returns the entry a concurrent upload of the same
  // bytes committed first.
  absl::StatusOr<DatasetInfo> CommitDataset(const std::string& staged_dir, const DatasetInfo& info,
                                            const std::string& images_file,
                                            const std::string& labels_file);

  std::string tmp_dir() const { return root_ + "/tmp"; }

  const std::string root_;  // absolute, no trailing '/'
  const std::unique_ptr<SqliteDb> db_;
  // Dataset sha256s whose directory is being moved into place. A second
  // upload of the same bytes waits here (without I/O under the lock) and
  // then finds the first one's row, instead of racing it for the directory.
  absl::Mutex datasets_mu_;
  absl::CondVar datasets_released_;  // signalled when a sha256 leaves the set
  std::set<std::string> datasets_in_flight_ ABSL_GUARDED_BY(datasets_mu_);
};

}  // namespace fixpoint::store

#endif  // FIXPOINT_CORE_STORE_ARTIFACT_STORE_H_
