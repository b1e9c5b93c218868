// ArtifactStore: reading model versions (list, get, resolve a selector,
// read a manifest). Every answer comes from the rows; a version directory
// without a row is invisible.
#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/store/artifact_store.h"
#include "core/store/store_rows.h"
#include "core/util/status_macros.h"

namespace fixpoint::store {
namespace {

// Attaches label rows (model, label, version) to `versions` (one model or
// several, ascending by model then version).
void AttachLabels(const std::vector<SqlRow>& label_rows, std::vector<VersionInfo>* versions) {
  for (const SqlRow& row : label_rows) {
    const std::string model = SqlText(row[0]);
    const int64_t version = SqlInt(row[2]);
    for (VersionInfo& v : *versions) {
      if (v.model == model && v.version == version) v.labels.push_back(SqlText(row[1]));
    }
  }
}

ModelInfo ToModel(std::string name, std::vector<VersionInfo> versions) {
  ModelInfo m;
  m.name = std::move(name);
  for (const VersionInfo& v : versions) {
    for (const std::string& label : v.labels) m.labels[label] = v.version;
  }
  m.versions = std::move(versions);
  return m;
}

std::vector<int64_t> Numbers(const std::vector<VersionInfo>& versions) {
  std::vector<int64_t> out;
  for (const VersionInfo& v : versions) out.push_back(v.version);
  return out;
}

}  // namespace

absl::StatusOr<std::vector<VersionInfo>> ArtifactStore::QueryVersions(
    const std::string& name) const {
  FP_ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                      db_->Query(absl::StrCat("SELECT ", internal::kVersionColumns,
                                              " FROM model_versions WHERE model = ?1 "
                                              "ORDER BY version"),
                                 {name}));
  std::vector<VersionInfo> versions;
  for (const SqlRow& row : rows) versions.push_back(internal::VersionFromRow(row, root_));
  if (versions.empty()) return versions;
  FP_ASSIGN_OR_RETURN(std::vector<SqlRow> labels,
                      db_->Query("SELECT model, label, version FROM model_labels "
                                 "WHERE model = ?1 ORDER BY label",
                                 {name}));
  AttachLabels(labels, &versions);
  return versions;
}

// The signature has no room for an error: a failing query reads as an
// empty store (GetModel / GetVersion report such errors).
std::vector<ModelInfo> ArtifactStore::ListModels() const {
  auto rows = db_->Query(absl::StrCat("SELECT ", internal::kVersionColumns,
                                      " FROM model_versions ORDER BY model, version"));
  auto labels = db_->Query("SELECT model, label, version FROM model_labels ORDER BY label");
  if (!rows.ok() || !labels.ok()) return {};
  std::vector<VersionInfo> all;
  for (const SqlRow& row : *rows) all.push_back(internal::VersionFromRow(row, root_));
  AttachLabels(*labels, &all);
  std::vector<ModelInfo> models;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j < all.size() && all[j].model == all[i].model) ++j;
    std::vector<VersionInfo> versions(std::make_move_iterator(all.begin() + i),
                                      std::make_move_iterator(all.begin() + j));
    std::string name = versions.front().model;
    models.push_back(ToModel(std::move(name), std::move(versions)));
    i = j;
  }
  return models;
}

absl::StatusOr<ModelInfo> ArtifactStore::GetModel(const std::string& name) const {
  FP_RETURN_IF_ERROR(ValidateName(name));
  FP_ASSIGN_OR_RETURN(std::vector<VersionInfo> versions, QueryVersions(name));
  if (versions.empty()) return internal::NoSuchModel(name);
  return ToModel(name, std::move(versions));
}

absl::StatusOr<VersionInfo> ArtifactStore::GetVersion(const std::string& name,
                                                      int64_t version) const {
  FP_RETURN_IF_ERROR(ValidateName(name));
  FP_ASSIGN_OR_RETURN(std::vector<VersionInfo> versions, QueryVersions(name));
  for (VersionInfo& v : versions) {
    if (v.version == version) return std::move(v);
  }
  return internal::NoSuchVersion(name, version, Numbers(versions));
}

absl::StatusOr<VersionInfo> ArtifactStore::Resolve(const std::string& name,
                                                   absl::string_view selector) const {
  FP_RETURN_IF_ERROR(ValidateName(name));
  FP_ASSIGN_OR_RETURN(std::vector<VersionInfo> versions, QueryVersions(name));
  if (versions.empty()) return internal::NoSuchModel(name);
  if (selector.empty() || selector == "latest") return std::move(versions.back());
  if (std::all_of(selector.begin(), selector.end(),
                  [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); })) {
    int64_t number = 0;
    if (absl::SimpleAtoi(selector, &number)) {
      for (VersionInfo& v : versions) {
        if (v.version == number) return std::move(v);
      }
    }
    return absl::NotFoundError(absl::StrCat("model '", name, "' has no version ", selector,
                                            " (versions: ", absl::StrJoin(Numbers(versions), ", "),
                                            ")"));
  }
  std::vector<std::string> labels;
  for (VersionInfo& v : versions) {
    for (const std::string& label : v.labels) {
      if (label == selector) return std::move(v);
      labels.push_back(label);
    }
  }
  std::sort(labels.begin(), labels.end());
  return absl::NotFoundError(absl::StrCat(
      "model '", name, "' has no label '", absl::CHexEscape(selector), "' (",
      labels.empty() ? "it has no labels" : absl::StrCat("labels: ", absl::StrJoin(labels, ", ")),
      "; a selector is a version number, a label, or 'latest')"));
}

absl::StatusOr<quant::Manifest> ArtifactStore::ReadManifest(const std::string& name,
                                                            int64_t version) const {
  FP_ASSIGN_OR_RETURN(const VersionInfo info, GetVersion(name, version));
  absl::StatusOr<quant::Manifest> manifest = quant::ReadManifest(info.dir);
  FP_RETURN_IF_ERROR(
      WithContext(manifest.status(), absl::StrCat("model '", name, "' version ", version)));
  return manifest;
}

}  // namespace fixpoint::store
