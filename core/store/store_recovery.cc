// ArtifactStore::Recover: brings the directories and the rows back into
// agreement after a crash. Runs in Open() before the store is shared, so it
// takes no locks. What it fixes follows from the write protocol (see
// artifact_store.cc): debris under tmp/ (interrupted staging or removal),
// a directory without a row (crash between the rename and the insert, or
// between a delete's row removal and its rename), and a row without its
// files (someone removed them behind the store's back).
#include <filesystem>
#include <set>
#include <string>
#include <system_error>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/store/artifact_store.h"
#include "core/store/store_files.h"
#include "core/store/store_rows.h"
#include "core/util/status_macros.h"

namespace fixpoint::store {
namespace {

// The version number a directory entry names, or 0 when it names none
// (only canonical decimal numbers do: "3", not "03" or "+3").
int64_t VersionOfEntry(const std::string& entry) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(entry, &v) || v <= 0 || std::to_string(v) != entry) return 0;
  return v;
}

}  // namespace

absl::Status ArtifactStore::Recover() {
  FP_RETURN_IF_ERROR(internal::EmptyDir(tmp_dir()));
  FP_RETURN_IF_ERROR(RecoverModels());
  return RecoverDatasets();
}

absl::Status ArtifactStore::RecoverModels() {
  FP_ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                      db_->Query("SELECT model, version FROM model_versions"));
  std::set<std::pair<std::string, int64_t>> kept;
  for (const SqlRow& row : rows) {
    const std::string model = SqlText(row[0]);
    const int64_t version = SqlInt(row[1]);
    const std::string model_file =
        absl::StrCat(internal::VersionDir(root_, model, version), "/", quant::kArtifactModelFile);
    if (ValidateName(model).ok() && internal::IsRegularFile(model_file)) {
      kept.emplace(model, version);
      continue;
    }
    // The files are gone: drop the row and its labels. The version counter
    // keeps the number, so it is not handed out again.
    FP_RETURN_IF_ERROR(db_->Transaction([&](SqlTx& tx) -> absl::Status {
      FP_RETURN_IF_ERROR(
          tx.Exec("DELETE FROM model_labels WHERE model = ?1 AND version = ?2", {model, version})
              .status());
      return tx
          .Exec("DELETE FROM model_versions WHERE model = ?1 AND version = ?2", {model, version})
          .status();
    }));
  }
  const std::string models_dir = root_ + "/models";
  FP_ASSIGN_OR_RETURN(const std::vector<std::string> models, internal::ListDir(models_dir));
  for (const std::string& model : models) {
    const std::string model_dir = absl::StrCat(models_dir, "/", model);
    // Only entries the store could have written are touched.
    if (!ValidateName(model).ok() || !internal::IsDirectory(model_dir)) continue;
    FP_ASSIGN_OR_RETURN(const std::vector<std::string> entries, internal::ListDir(model_dir));
    size_t left = entries.size();
    for (const std::string& entry : entries) {
      const int64_t version = VersionOfEntry(entry);
      if (version > 0 && kept.count({model, version}) > 0) continue;
      FP_RETURN_IF_ERROR(
          internal::RemoveOutOfSight(absl::StrCat(model_dir, "/", entry), tmp_dir()));
      --left;
    }
    if (left == 0) {
      std::error_code ec;
      std::filesystem::remove(model_dir, ec);  // best effort: it is empty and unreferenced
    }
  }
  return absl::OkStatus();
}

absl::Status ArtifactStore::RecoverDatasets() {
  FP_ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                      db_->Query("SELECT sha256, images_file, labels_file FROM datasets"));
  std::set<std::string> kept;
  for (const SqlRow& row : rows) {
    const std::string sha256 = SqlText(row[0]);
    const std::string dir = internal::DatasetDir(root_, sha256);
    const std::string labels_file = SqlText(row[2]);
    const bool complete =
        sha256.size() == 64 && internal::IsRegularFile(absl::StrCat(dir, "/", SqlText(row[1]))) &&
        (labels_file.empty() || internal::IsRegularFile(absl::StrCat(dir, "/", labels_file)));
    if (complete) {
      kept.insert(sha256);
      continue;
    }
    FP_RETURN_IF_ERROR(db_->Exec("DELETE FROM datasets WHERE sha256 = ?1", {sha256}).status());
  }
  const std::string datasets_dir = root_ + "/datasets";
  FP_ASSIGN_OR_RETURN(const std::vector<std::string> entries, internal::ListDir(datasets_dir));
  for (const std::string& entry : entries) {
    if (kept.count(entry) > 0) continue;
    FP_RETURN_IF_ERROR(
        internal::RemoveOutOfSight(absl::StrCat(datasets_dir, "/", entry), tmp_dir()));
  }
  return absl::OkStatus();
}

}  // namespace fixpoint::store
