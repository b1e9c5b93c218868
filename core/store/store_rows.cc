#include "core/store/store_rows.h"

#include <chrono>
#include <ctime>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/util/status_macros.h"

namespace fixpoint::store::internal {

// model_counters keeps the highest version number ever handed out per
// model, so that a deleted number is never reused even when it was the
// highest. Labels go with their version (ON DELETE CASCADE backs up the
// explicit delete).
const char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS model_versions (
  model TEXT NOT NULL,
  version INTEGER NOT NULL,
  precision TEXT NOT NULL,
  parent_version INTEGER NOT NULL DEFAULT 0,
  sha256 TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  created_unix_ms INTEGER NOT NULL,
  source_format TEXT NOT NULL,
  method TEXT NOT NULL DEFAULT '',
  job_id TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (model, version)
);
CREATE TABLE IF NOT EXISTS model_counters (
  model TEXT PRIMARY KEY,
  last_version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS model_labels (
  model TEXT NOT NULL,
  label TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (model, label),
  FOREIGN KEY (model, version) REFERENCES model_versions (model, version) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS datasets (
  sha256 TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  format TEXT NOT NULL,
  items INTEGER NOT NULL,
  has_labels INTEGER NOT NULL,
  item_shape TEXT NOT NULL,
  spec TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  created_unix_ms INTEGER NOT NULL,
  images_file TEXT NOT NULL,
  labels_file TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS datasets_by_name ON datasets (name);
)sql";

const char kVersionColumns[] =
    "model, version, precision, parent_version, sha256, size_bytes, created_unix_ms, "
    "source_format, method, job_id, description";
const char kDatasetColumns[] =
    "sha256, name, format, items, has_labels, item_shape, spec, size_bytes, created_unix_ms, "
    "images_file, labels_file";

std::string VersionDir(const std::string& root, absl::string_view model, int64_t version) {
  return absl::StrCat(root, "/models/", model, "/", version);
}

std::string DatasetDir(const std::string& root, absl::string_view sha256) {
  return absl::StrCat(root, "/datasets/", sha256);
}

VersionInfo VersionFromRow(const SqlRow& row, const std::string& root) {
  VersionInfo v;
  v.model = SqlText(row[0]);
  v.version = SqlInt(row[1]);
  v.precision =
      SqlText(row[2]) == PrecisionName(Precision::kInt8) ? Precision::kInt8 : Precision::kFp32;
  v.parent_version = SqlInt(row[3]);
  v.sha256 = SqlText(row[4]);
  v.size_bytes = SqlInt(row[5]);
  v.created_unix_ms = SqlInt(row[6]);
  v.source_format = SqlText(row[7]);
  v.method = SqlText(row[8]);
  v.job_id = SqlText(row[9]);
  v.description = SqlText(row[10]);
  v.dir = VersionDir(root, v.model, v.version);
  v.model_path = absl::StrCat(v.dir, "/", quant::kArtifactModelFile);
  return v;
}

absl::StatusOr<DatasetInfo> DatasetFromRow(const SqlRow& row, const std::string& root) {
  DatasetInfo d;
  d.sha256 = SqlText(row[0]);
  d.name = SqlText(row[1]);
  const std::string format = SqlText(row[2]);
  bool known = false;
  for (io::DatasetFormat f :
       {io::DatasetFormat::kCsv, io::DatasetFormat::kIdx, io::DatasetFormat::kNpy}) {
    if (format == io::DatasetFormatName(f)) {
      d.format = f;
      known = true;
    }
  }
  const std::string context = absl::StrCat("dataset ", d.sha256.substr(0, 12), " ('", d.name, "')");
  if (!known) {
    return absl::InvalidArgumentError(
        absl::StrCat(context, ": unknown stored format '", format, "'"));
  }
  d.items = SqlInt(row[3]);
  d.has_labels = SqlInt(row[4]) != 0;
  absl::StatusOr<std::vector<int64_t>> shape = ShapeFromString(SqlText(row[5]));
  FP_RETURN_IF_ERROR(WithContext(shape.status(), context));
  d.item_shape = *std::move(shape);
  absl::StatusOr<io::PreprocessSpec> spec = io::PreprocessSpec::Parse(SqlText(row[6]));
  FP_RETURN_IF_ERROR(WithContext(spec.status(), context));
  d.spec = *std::move(spec);
  d.size_bytes = SqlInt(row[7]);
  d.created_unix_ms = SqlInt(row[8]);
  const std::string dir = DatasetDir(root, d.sha256);
  d.images_path = absl::StrCat(dir, "/", SqlText(row[9]));
  const std::string labels_file = SqlText(row[10]);
  if (!labels_file.empty()) d.labels_path = absl::StrCat(dir, "/", labels_file);
  return d;
}

std::string ShapeToString(const std::vector<int64_t>& dims) { return absl::StrJoin(dims, "x"); }

absl::StatusOr<std::vector<int64_t>> ShapeFromString(absl::string_view text) {
  std::vector<int64_t> dims;
  if (text.empty()) return dims;
  for (absl::string_view part : absl::StrSplit(text, 'x')) {
    int64_t d = 0;
    if (!absl::SimpleAtoi(part, &d) || d <= 0) {
      return absl::InvalidArgumentError(absl::StrCat("bad item shape '", text, "'"));
    }
    dims.push_back(d);
  }
  return dims;
}

absl::Status NoSuchModel(absl::string_view model) {
  return absl::NotFoundError(absl::StrCat("model '", model, "' not found"));
}

absl::Status NoSuchVersion(absl::string_view model, int64_t version,
                           const std::vector<int64_t>& versions) {
  if (versions.empty()) return NoSuchModel(model);
  return absl::NotFoundError(absl::StrCat("model '", model, "' has no version ", version,
                                          " (versions: ", absl::StrJoin(versions, ", "), ")"));
}

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string NowUtcIso8601() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char buf[32];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return std::string(buf, n);
}

}  // namespace fixpoint::store::internal
