// The store's SQLite schema and the mapping between its rows and the public
// structs (internal to core/store/). Paths are not stored: they follow from
// the store root, the model name and version, or the dataset's sha256.
// Pure functions; thread-safe.
#ifndef FIXPOINT_CORE_STORE_STORE_ROWS_H_
#define FIXPOINT_CORE_STORE_STORE_ROWS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/store/artifact_store.h"
#include "core/util/sqlite_db.h"

namespace fixpoint::store::internal {

// CREATE TABLE IF NOT EXISTS for every store table (model_versions,
// model_counters, model_labels, datasets). The scheduler owns `jobs`.
extern const char kSchema[];

// Columns to SELECT for VersionFromRow / DatasetFromRow, in order.
extern const char kVersionColumns[];
extern const char kDatasetColumns[];

std::string VersionDir(const std::string& root, absl::string_view model, int64_t version);
std::string DatasetDir(const std::string& root, absl::string_view sha256);

// A model_versions row (kVersionColumns) as a VersionInfo; labels are left
// empty for the caller to fill.
VersionInfo VersionFromRow(const SqlRow& row, const std::string& root);
// A datasets row (kDatasetColumns). INVALID_ARGUMENT if a stored field
// (format, spec) no longer parses.
absl::StatusOr<DatasetInfo> DatasetFromRow(const SqlRow& row, const std::string& root);

// "1x28x28" and back (INVALID_ARGUMENT for anything else).
std::string ShapeToString(const std::vector<int64_t>& dims);
absl::StatusOr<std::vector<int64_t>> ShapeFromString(absl::string_view text);

// NOT_FOUND messages that name what is missing and what exists, e.g.
// "model 'seed_cnn' has no version 7 (versions: 1, 2)".
absl::Status NoSuchModel(absl::string_view model);
absl::Status NoSuchVersion(absl::string_view model, int64_t version,
                           const std::vector<int64_t>& versions);

int64_t NowUnixMs();
// The current time as ISO 8601 UTC, e.g. "2026-11-25T10:04:05Z".
std::string NowUtcIso8601();

}  // namespace fixpoint::store::internal

#endif  // FIXPOINT_CORE_STORE_STORE_ROWS_H_
