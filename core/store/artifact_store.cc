// ArtifactStore: opening the store and writing model versions (add, label,
// delete). Reads are in model_queries.cc, datasets in dataset_store.cc,
// crash recovery in store_recovery.cc.
//
// Write protocol of a version: stage the complete directory under tmp/
// (files and directory fsynced), take the next number in a SQLite
// transaction, rename the directory into models/<name>/<n>/ (no-replace),
// fsync models/<name>/, then insert the row. A crash between any two steps
// leaves either debris in tmp/ or a directory without a row, both of which
// Open() removes; a committed row always has its complete directory.
#include "core/store/artifact_store.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/store/store_files.h"
#include "core/store/store_rows.h"
#include "core/util/sha256.h"
#include "core/util/status_macros.h"

namespace fixpoint::store {
namespace {

namespace fs = std::filesystem;
using internal::MakeDirs;
using internal::SyncDir;

// The integer parent version a quantizer's manifest names.
absl::StatusOr<int64_t> ParentVersion(const quant::Manifest& manifest) {
  int64_t parent = 0;
  if (!absl::SimpleAtoi(manifest.parent_version, &parent) || parent <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("manifest parent_version '", manifest.parent_version,
                     "' is not a version number (the float version that was quantized)"));
  }
  return parent;
}

absl::StatusOr<std::vector<int64_t>> VersionNumbers(SqlTx& tx, const std::string& name) {
  FP_ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                      tx.Query("SELECT version FROM model_versions WHERE model = ?1 "
                               "ORDER BY version",
                               {name}));
  std::vector<int64_t> out;
  for (const SqlRow& row : rows) out.push_back(SqlInt(row[0]));
  return out;
}

// NOT_FOUND (listing the versions) unless `name` has `version`.
absl::Status RequireVersion(SqlTx& tx, const std::string& name, int64_t version) {
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> versions, VersionNumbers(tx, name));
  for (int64_t v : versions) {
    if (v == version) return absl::OkStatus();
  }
  return internal::NoSuchVersion(name, version, versions);
}

}  // namespace

ArtifactStore::ArtifactStore(std::string root, std::unique_ptr<SqliteDb> db)
    : root_(std::move(root)), db_(std::move(db)) {}

ArtifactStore::~ArtifactStore() = default;

absl::StatusOr<std::unique_ptr<ArtifactStore>> ArtifactStore::Open(const std::string& root) {
  if (root.empty()) return absl::InvalidArgumentError("store root is empty");
  std::error_code ec;
  std::string abs = fs::absolute(root, ec).lexically_normal().string();
  if (ec) return absl::ErrnoToStatus(ec.value(), absl::StrCat("store root '", root, "'"));
  while (abs.size() > 1 && abs.back() == '/') abs.pop_back();
  for (const char* sub : {"", "/models", "/datasets", "/tmp"}) {
    FP_RETURN_IF_ERROR(MakeDirs(abs + sub));
  }
  FP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(abs + "/metadata.sqlite"));
  FP_RETURN_IF_ERROR(db->ExecScript(internal::kSchema));
  std::unique_ptr<ArtifactStore> store(new ArtifactStore(abs, std::move(db)));
  FP_RETURN_IF_ERROR(WithContext(store->Recover(), absl::StrCat("recovering store '", abs, "'")));
  return store;
}

absl::StatusOr<VersionInfo> ArtifactStore::AddFloatVersion(const std::string& name,
                                                           const FloatModel& model) {
  FP_RETURN_IF_ERROR(ValidateName(name));
  const std::string context = absl::StrCat("adding a version of model '", name, "'");
  if (model.onnx_bytes.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(context, ": the ONNX bytes are empty"));
  }
  FP_ASSIGN_OR_RETURN(const std::string stage, internal::MakeTempDir(tmp_dir(), "stage-"));
  const internal::RemoveOnExit cleanup(stage);
  const std::string dir = stage + "/v";
  VersionInfo info;
  info.precision = Precision::kFp32;
  info.sha256 = util::Sha256Hex(model.onnx_bytes);
  info.size_bytes = static_cast<int64_t>(model.onnx_bytes.size());
  info.created_unix_ms = internal::NowUnixMs();
  info.source_format = model.source_format;
  info.description = model.description;
  // Float versions get a manifest too, so ReadManifest works for every
  // version; method empty and scheme "fp32" mark it as not quantized.
  quant::Manifest manifest;
  manifest.source_model = name;
  manifest.source_sha256 = model.source_sha256.empty() ? info.sha256 : model.source_sha256;
  manifest.scheme = "fp32";
  manifest.created_utc = internal::NowUtcIso8601();
  absl::Status s = MakeDirs(dir);
  if (s.ok())
    s = internal::WriteFileSynced(dir + "/" + quant::kArtifactModelFile, model.onnx_bytes);
  if (s.ok()) {
    s = internal::WriteFileSynced(dir + "/" + quant::kArtifactManifestFile,
                                  quant::ManifestToJson(manifest));
  }
  if (s.ok()) s = SyncDir(dir);
  FP_RETURN_IF_ERROR(WithContext(s, context));
  absl::StatusOr<VersionInfo> added = CommitVersion(name, dir, std::move(info));
  FP_RETURN_IF_ERROR(WithContext(added.status(), context));
  return added;
}

absl::StatusOr<VersionInfo> ArtifactStore::AddQuantizedVersion(const std::string& name,
                                                               const ir::Graph& graph,
                                                               const quant::Manifest& manifest,
                                                               const std::string& job_id) {
  FP_RETURN_IF_ERROR(ValidateName(name));
  const std::string context = absl::StrCat("adding an int8 version of model '", name, "'");
  absl::StatusOr<int64_t> parent = ParentVersion(manifest);
  FP_RETURN_IF_ERROR(WithContext(parent.status(), context));
  // Fail before exporting when the parent is already gone; CommitVersion
  // checks again when it inserts the row.
  FP_RETURN_IF_ERROR(WithContext(GetVersion(name, *parent).status(), context));
  FP_ASSIGN_OR_RETURN(const std::string stage, internal::MakeTempDir(tmp_dir(), "stage-"));
  const internal::RemoveOnExit cleanup(stage);
  const std::string dir = stage + "/v";
  FP_RETURN_IF_ERROR(WithContext(quant::WriteArtifact(dir, graph, manifest), context));
  const std::string model_path = dir + "/" + quant::kArtifactModelFile;
  VersionInfo info;
  info.precision = Precision::kInt8;
  info.parent_version = *parent;
  absl::StatusOr<std::string> sha = util::Sha256File(model_path);
  FP_RETURN_IF_ERROR(WithContext(sha.status(), context));
  info.sha256 = *std::move(sha);
  absl::StatusOr<int64_t> size = internal::FileSize(model_path);
  FP_RETURN_IF_ERROR(WithContext(size.status(), context));
  info.size_bytes = *size;
  info.created_unix_ms = internal::NowUnixMs();
  info.source_format = "quantized";
  info.method = manifest.method;
  info.job_id = job_id;
  absl::StatusOr<VersionInfo> added = CommitVersion(name, dir, std::move(info));
  FP_RETURN_IF_ERROR(WithContext(added.status(), context));
  return added;
}

absl::StatusOr<VersionInfo> ArtifactStore::CommitVersion(const std::string& name,
                                                         const std::string& staged_dir,
                                                         VersionInfo info) {
  const std::string model_dir = absl::StrCat(root_, "/models/", name);
  if (!internal::IsDirectory(model_dir)) {
    FP_RETURN_IF_ERROR(MakeDirs(model_dir));
    FP_RETURN_IF_ERROR(SyncDir(root_ + "/models"));
  }
  // The counter row remembers numbers whose version was deleted since.
  int64_t version = 0;
  FP_RETURN_IF_ERROR(db_->Transaction([&](SqlTx& tx) -> absl::Status {
    FP_ASSIGN_OR_RETURN(
        std::vector<SqlRow> rows,
        tx.Query("SELECT MAX(v) FROM (SELECT last_version AS v FROM model_counters "
                 "WHERE model = ?1 UNION ALL SELECT MAX(version) FROM model_versions "
                 "WHERE model = ?1)",
                 {name}));
    version = (rows.empty() ? 0 : SqlInt(rows[0][0])) + 1;
    return tx
        .Exec(
            "INSERT INTO model_counters (model, last_version) VALUES (?1, ?2) "
            "ON CONFLICT (model) DO UPDATE SET last_version = excluded.last_version",
            {name, version})
        .status();
  }));
  info.model = name;
  info.version = version;
  info.dir = internal::VersionDir(root_, name, version);
  info.model_path = absl::StrCat(info.dir, "/", quant::kArtifactModelFile);
  info.labels.clear();
  FP_RETURN_IF_ERROR(internal::RenameNoReplace(staged_dir, info.dir));
  absl::Status s = SyncDir(model_dir);
  if (s.ok()) {
    s = db_->Transaction([&](SqlTx& tx) -> absl::Status {
      if (info.parent_version > 0) {
        FP_RETURN_IF_ERROR(RequireVersion(tx, name, info.parent_version));
      }
      return tx
          .Exec(absl::StrCat("INSERT INTO model_versions (", internal::kVersionColumns,
                             ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
                {info.model, info.version, std::string(PrecisionName(info.precision)),
                 info.parent_version, info.sha256, info.size_bytes, info.created_unix_ms,
                 info.source_format, info.method, info.job_id, info.description})
          .status();
    });
  }
  if (!s.ok()) {
    // Without its row the directory must go; if this fails too, Open() will.
    (void)internal::RemoveOutOfSight(info.dir, tmp_dir());
    return s;
  }
  return info;
}

absl::Status ArtifactStore::DeleteVersion(const std::string& name, int64_t version) {
  FP_RETURN_IF_ERROR(ValidateName(name));
  FP_RETURN_IF_ERROR(db_->Transaction([&](SqlTx& tx) -> absl::Status {
    FP_RETURN_IF_ERROR(RequireVersion(tx, name, version));
    FP_RETURN_IF_ERROR(
        tx.Exec("DELETE FROM model_labels WHERE model = ?1 AND version = ?2", {name, version})
            .status());
    return tx.Exec("DELETE FROM model_versions WHERE model = ?1 AND version = ?2", {name, version})
        .status();
  }));
  // The row is gone, so no reader can resolve the version any more; the
  // directory leaves models/ in one rename and is then removed from tmp/.
  return WithContext(
      internal::RemoveOutOfSight(internal::VersionDir(root_, name, version), tmp_dir()),
      absl::StrCat("model '", name, "' version ", version,
                   " was deleted, but removing its directory failed (the next Open retries)"));
}

absl::Status ArtifactStore::SetLabel(const std::string& name, int64_t version,
                                     const std::string& label) {
  FP_RETURN_IF_ERROR(ValidateName(name));
  FP_RETURN_IF_ERROR(ValidateLabel(label));
  return db_->Transaction([&](SqlTx& tx) -> absl::Status {
    FP_RETURN_IF_ERROR(RequireVersion(tx, name, version));
    return tx
        .Exec(
            "INSERT INTO model_labels (model, label, version) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (model, label) DO UPDATE SET version = excluded.version",
            {name, label, version})
        .status();
  });
}

}  // namespace fixpoint::store
