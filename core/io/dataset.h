// Calibration / evaluation datasets: readers for IDX (MNIST, optionally
// gzip-compressed), CSV (Sign-Language-MNIST layout) and NumPy .npy files,
// preprocessing into an f32 image tensor, and batched access.
// Loading is a pure function; a loaded `Dataset` is immutable and its const
// methods are thread-safe.
#ifndef FIXPOINT_CORE_IO_DATASET_H_
#define FIXPOINT_CORE_IO_DATASET_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/io/preprocess.h"
#include "core/ir/tensor.h"

namespace fixpoint::io {

enum class DatasetFormat { kIdx, kCsv, kNpy };
absl::string_view DatasetFormatName(DatasetFormat format);  // "idx", "csv", "npy"

// Format of the file at `path`: by extension (.csv, .npy, -idx3-ubyte, .idx,
// each optionally followed by .gz), otherwise by sniffing its first bytes.
// NOT_FOUND / PERMISSION_DENIED if an unknown extension forces a read that
// fails; INVALID_ARGUMENT if the contents match no format.
absl::StatusOr<DatasetFormat> DetectDatasetFormat(const std::string& path);
// Format of file contents (gzip-compressed contents are sniffed after
// inflating their first bytes). INVALID_ARGUMENT if none matches.
absl::StatusOr<DatasetFormat> SniffDatasetFormat(absl::string_view bytes);

struct LoadOptions {
  // Labels for IDX or NPY images: an IDX (idx1) or .npy file holding one
  // integer label per image. CSV rows carry their own labels.
  std::string labels_path;
  // Name used in messages and Dataset::source_path by LoadDatasetFromBytes.
  std::string source_name = "<upload>";
  // Keep at most this many items (0 = all). IDX and NPY files are still
  // checked whole; CSV rows after the limit are not read.
  int64_t max_items = 0;
  // Upper bound on bytes read from a file, on decompressed bytes, and on the
  // produced f32 tensor. Larger inputs fail with RESOURCE_EXHAUSTED before
  // allocating.
  int64_t max_bytes = int64_t{2} << 30;
};

// A slice of a dataset that borrows its memory.
struct DatasetBatch {
  int64_t first = 0;                // index of the first item
  ir::TensorView images;            // [count, ...] view into Dataset::images
  std::span<const int32_t> labels;  // empty if the dataset has no labels
};

struct Dataset {
  ir::Tensor images;            // f32 [N, C, H, W] or [N, H, W, C] (spec.layout)
  std::vector<int32_t> labels;  // N labels >= 0, or empty if the source had none
  PreprocessSpec spec;          // how `images` were produced
  DatasetFormat format = DatasetFormat::kCsv;
  std::string source_path;  // for messages

  int64_t size() const { return images.empty() ? 0 : images.shape()[0]; }
  bool has_labels() const { return !labels.empty(); }

  // Items [first, first + count). INVALID_ARGUMENT unless
  // 0 <= first, 0 < count and first + count <= size().
  absl::StatusOr<DatasetBatch> Items(int64_t first, int64_t count) const;
  // ceil(size() / batch_size); 0 if batch_size <= 0.
  int64_t NumBatches(int64_t batch_size) const;
  // Batch `index` of `batch_size` items; the last one may be smaller.
  // INVALID_ARGUMENT if batch_size <= 0 or index is not in [0, NumBatches).
  absl::StatusOr<DatasetBatch> Batch(int64_t index, int64_t batch_size) const;
};

// Reads `path` (format by DetectDatasetFormat; gzip detected by magic bytes)
// and applies `spec`. Errors carry the path and, for malformed contents, the
// byte offset or CSV line/column: INVALID_ARGUMENT for malformed or
// mismatching data (including label/image count mismatch and dims that
// disagree with spec), RESOURCE_EXHAUSTED over opts.max_bytes, NOT_FOUND /
// PERMISSION_DENIED for unreadable files.
absl::StatusOr<Dataset> LoadDataset(const std::string& path, const PreprocessSpec& spec,
                                    const LoadOptions& opts = {});

// Same for contents already in memory (uploads). `labels_bytes` takes the
// place of opts.labels_path (which is ignored here); both may be gzipped.
absl::StatusOr<Dataset> LoadDatasetFromBytes(absl::string_view bytes, DatasetFormat format,
                                             const PreprocessSpec& spec,
                                             const LoadOptions& opts = {},
                                             absl::string_view labels_bytes = {});

}  // namespace fixpoint::io

#endif  // FIXPOINT_CORE_IO_DATASET_H_
