// ArtifactStore: datasets. A dataset is identified by the sha256 of its
// images bytes and stored as datasets/<sha256>/images.<ext> (plus
// labels.<ext> for IDX / NPY labels), written like a version: staged under
// tmp/, fsynced, renamed into place, then its row is inserted.
#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/store/artifact_store.h"
#include "core/store/store_files.h"
#include "core/store/store_rows.h"
#include "core/util/sha256.h"
#include "core/util/status_macros.h"

namespace fixpoint::store {
namespace {

constexpr size_t kMinPrefixDigits = 12;

bool IsGzip(absl::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

// "images.csv", "labels.idx.gz", ...: the extension keeps io::LoadDataset's
// format detection in agreement with the format the upload was parsed as.
std::string FileName(absl::string_view stem, io::DatasetFormat format, absl::string_view bytes) {
  return absl::StrCat(stem, ".", io::DatasetFormatName(format), IsGzip(bytes) ? ".gz" : "");
}

bool IsHex(absl::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return absl::ascii_isxdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

absl::StatusOr<std::optional<DatasetInfo>> ArtifactStore::FindDataset(
    const std::string& sha256) const {
  FP_ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                      db_->Query(absl::StrCat("SELECT ", internal::kDatasetColumns,
                                              " FROM datasets WHERE sha256 = ?1"),
                                 {sha256}));
  if (rows.empty()) return std::optional<DatasetInfo>();
  FP_ASSIGN_OR_RETURN(DatasetInfo info, internal::DatasetFromRow(rows[0], root_));
  return std::optional<DatasetInfo>(std::move(info));
}

absl::StatusOr<DatasetInfo> ArtifactStore::AddDataset(const std::string& name,
                                                      absl::string_view images,
                                                      absl::string_view labels,
                                                      io::DatasetFormat format,
                                                      const io::PreprocessSpec& spec) {
  FP_RETURN_IF_ERROR(ValidateName(name));
  const std::string context = absl::StrCat("dataset '", name, "'");
  DatasetInfo info;
  info.sha256 = util::Sha256Hex(images);
  FP_ASSIGN_OR_RETURN(std::optional<DatasetInfo> existing, FindDataset(info.sha256));
  if (existing) return *std::move(existing);
  // Parse it whole now, so that a stored dataset always loads.
  io::LoadOptions options;
  options.source_name = context;
  FP_ASSIGN_OR_RETURN(const io::Dataset dataset,
                      io::LoadDatasetFromBytes(images, format, spec, options, labels));
  info.name = name;
  info.format = format;
  info.items = dataset.size();
  info.has_labels = dataset.has_labels();
  const std::vector<int64_t>& dims = dataset.images.shape().dims();
  info.item_shape.assign(dims.begin() + std::min<size_t>(1, dims.size()), dims.end());
  info.size_bytes = static_cast<int64_t>(images.size() + labels.size());
  info.spec = spec;
  info.created_unix_ms = internal::NowUnixMs();
  const std::string images_file = FileName("images", format, images);
  const std::string labels_file = labels.empty() ? "" : FileName("labels", format, labels);

  FP_ASSIGN_OR_RETURN(const std::string stage, internal::MakeTempDir(tmp_dir(), "stage-"));
  const internal::RemoveOnExit cleanup(stage);
  const std::string dir = stage + "/d";
  absl::Status s = internal::MakeDirs(dir);
  if (s.ok()) s = internal::WriteFileSynced(dir + "/" + images_file, images);
  if (s.ok() && !labels_file.empty())
    s = internal::WriteFileSynced(dir + "/" + labels_file, labels);
  if (s.ok()) s = internal::SyncDir(dir);
  FP_RETURN_IF_ERROR(WithContext(s, context));
  absl::StatusOr<DatasetInfo> added = CommitDataset(dir, info, images_file, labels_file);
  FP_RETURN_IF_ERROR(WithContext(added.status(), context));
  return added;
}

absl::StatusOr<DatasetInfo> ArtifactStore::CommitDataset(const std::string& staged_dir,
                                                         const DatasetInfo& info,
                                                         const std::string& images_file,
                                                         const std::string& labels_file) {
  {
    absl::MutexLock lock(&datasets_mu_);
    while (datasets_in_flight_.count(info.sha256) > 0) datasets_released_.Wait(&datasets_mu_);
    datasets_in_flight_.insert(info.sha256);
  }
  struct Release {
    ArtifactStore* store;
    const std::string& sha256;
    ~Release() {
      absl::MutexLock lock(&store->datasets_mu_);
      store->datasets_in_flight_.erase(sha256);
      store->datasets_released_.SignalAll();
    }
  } release{this, info.sha256};

  // An upload of the same bytes may have committed while this one staged.
  FP_ASSIGN_OR_RETURN(std::optional<DatasetInfo> existing, FindDataset(info.sha256));
  if (existing) return *std::move(existing);
  const std::string dir = internal::DatasetDir(root_, info.sha256);
  FP_RETURN_IF_ERROR(internal::RenameNoReplace(staged_dir, dir));
  absl::Status s = internal::SyncDir(root_ + "/datasets");
  if (s.ok()) {
    s = db_->Exec(absl::StrCat("INSERT INTO datasets (", internal::kDatasetColumns,
                               ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
                  {info.sha256, info.name, std::string(io::DatasetFormatName(info.format)),
                   info.items, int64_t{info.has_labels ? 1 : 0},
                   internal::ShapeToString(info.item_shape), info.spec.ToString(), info.size_bytes,
                   info.created_unix_ms, images_file, labels_file})
            .status();
  }
  if (!s.ok()) {
    (void)internal::RemoveOutOfSight(dir, tmp_dir());
    return s;
  }
  DatasetInfo out = info;
  out.images_path = absl::StrCat(dir, "/", images_file);
  if (!labels_file.empty()) out.labels_path = absl::StrCat(dir, "/", labels_file);
  return out;
}

// Like ListModels, a failing query reads as an empty list; rows that no
// longer parse are skipped.
std::vector<DatasetInfo> ArtifactStore::ListDatasets() const {
  auto rows = db_->Query(absl::StrCat("SELECT ", internal::kDatasetColumns,
                                      " FROM datasets ORDER BY created_unix_ms, sha256"));
  std::vector<DatasetInfo> out;
  if (!rows.ok()) return out;
  for (const SqlRow& row : *rows) {
    absl::StatusOr<DatasetInfo> info = internal::DatasetFromRow(row, root_);
    if (info.ok()) out.push_back(*std::move(info));
  }
  return out;
}

absl::StatusOr<DatasetInfo> ArtifactStore::GetDataset(const std::string& id) const {
  if (id.empty()) return absl::InvalidArgumentError("dataset id is empty");
  const std::string hex = absl::AsciiStrToLower(id);
  const bool is_hex = IsHex(hex);
  const std::string select = absl::StrCat("SELECT ", internal::kDatasetColumns, " FROM datasets ");
  std::vector<SqlRow> rows;
  if (is_hex && hex.size() >= kMinPrefixDigits && hex.size() <= 64) {
    FP_ASSIGN_OR_RETURN(rows, db_->Query(select + "WHERE substr(sha256, 1, ?2) = ?1 "
                                                  "ORDER BY sha256",
                                         {hex, static_cast<int64_t>(hex.size())}));
  }
  const bool by_name = rows.empty();
  if (by_name) {
    FP_ASSIGN_OR_RETURN(rows, db_->Query(select + "WHERE name = ?1 ORDER BY sha256", {id}));
  }
  if (rows.size() == 1) return internal::DatasetFromRow(rows[0], root_);
  const std::string shown = absl::CHexEscape(id);
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "no dataset has the sha256, sha256 prefix or name '", shown, "'",
        is_hex && hex.size() < kMinPrefixDigits
            ? absl::StrCat(" (a sha256 prefix needs at least ", kMinPrefixDigits, " hex digits)")
            : ""));
  }
  std::vector<std::string> shas;
  for (const SqlRow& row : rows) shas.push_back(SqlText(row[0]).substr(0, 16));
  return absl::InvalidArgumentError(
      absl::StrCat("dataset id '", shown, "' is ambiguous: ", rows.size(),
                   by_name ? " datasets have this name" : " sha256s start with it", " (",
                   absl::StrJoin(shas, "..., "), "...); ",
                   by_name ? "use a sha256 prefix instead" : "give more sha256 digits"));
}

absl::StatusOr<io::Dataset> ArtifactStore::LoadDataset(const DatasetInfo& info,
                                                       int64_t max_items) const {
  io::LoadOptions options;
  options.labels_path = info.labels_path;
  options.max_items = max_items;
  absl::StatusOr<io::Dataset> dataset = io::LoadDataset(info.images_path, info.spec, options);
  FP_RETURN_IF_ERROR(WithContext(
      dataset.status(),
      absl::StrCat("loading dataset '", info.name, "' (", info.sha256.substr(0, 12), ")")));
  return dataset;
}

}  // namespace fixpoint::store
