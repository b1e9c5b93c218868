// Internal to core/io: the per-format dataset readers behind LoadDataset and
// the helpers they share. Inputs are already gunzipped. Pure functions;
// thread-safe.
#ifndef FIXPOINT_CORE_IO_DATASET_READERS_H_
#define FIXPOINT_CORE_IO_DATASET_READERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/io/dataset.h"
#include "core/io/preprocess.h"

namespace fixpoint::io::internal {

struct ReaderContext {
  const PreprocessSpec& spec;  // already validated
  const LoadOptions& opts;
  std::string name;         // images source, prefixed to its errors
  std::string labels_name;  // labels source, prefixed to its errors
};

// Reader entry points. `labels` is empty when there is no separate labels
// input. Errors are prefixed with the name of the input at fault.
absl::StatusOr<Dataset> ReadIdx(absl::string_view images, absl::string_view labels,
                                const ReaderContext& ctx);
absl::StatusOr<Dataset> ReadCsv(absl::string_view text, const ReaderContext& ctx);
absl::StatusOr<Dataset> ReadNpy(absl::string_view images, absl::string_view labels,
                                const ReaderContext& ctx);

// Inflates gzip `bytes` (concatenated members allowed). INVALID_ARGUMENT on
// corrupt or truncated data, RESOURCE_EXHAUSTED past `max_out` bytes.
absl::StatusOr<std::string> Gunzip(absl::string_view bytes, int64_t max_out);
bool IsGzip(absl::string_view bytes);

// Product of `dims` times `elem_size` in bytes. INVALID_ARGUMENT naming the
// dims (as "60000×28×28") on negative dims or int64 overflow,
// RESOURCE_EXHAUSTED if it exceeds max_bytes.
absl::StatusOr<int64_t> CheckedByteSize(absl::Span<const int64_t> dims, int64_t elem_size,
                                        int64_t max_bytes);
std::string DimsToString(absl::Span<const int64_t> dims);  // "60000×28×28"

// How an array of shape `dims` ([N, ...]) holds items of spec's C×H×W:
// [N,C,H,W] → kNCHW, [N,H,W,C] → kNHWC, [N,H,W] (C = 1) or [N,C·H·W] →
// kNCHW. INVALID_ARGUMENT listing the accepted shapes otherwise.
absl::StatusOr<PreprocessSpec::Layout> ResolveItemLayout(absl::Span<const int64_t> dims,
                                                         const PreprocessSpec& spec);

// INVALID_ARGUMENT unless there are as many labels as images (both counted
// before max_items applies).
absl::Status CheckLabelCount(int64_t label_count, int64_t image_count);

// Decodes `count` integer labels of `type` from `data`, which starts at byte
// `offset` of its file. INVALID_ARGUMENT for a float type, or a label that is
// negative or above INT32_MAX (naming its index and byte offset).
absl::StatusOr<std::vector<int32_t>> DecodeLabels(absl::string_view data, SampleType type,
                                                  bool big_endian, int64_t count, int64_t offset);

// Applies max_items and max_bytes, preprocesses, and assembles the Dataset.
// `labels` is empty or holds raw.count entries.
absl::StatusOr<Dataset> BuildDataset(RawImages raw, std::vector<int32_t> labels,
                                     DatasetFormat format, const ReaderContext& ctx);

// Images held as one array [N, ...] (IDX, NPY) and how to read their labels.
struct ArrayImages {
  absl::string_view data;
  SampleType type = SampleType::kU8;
  bool big_endian = false;
  absl::Span<const int64_t> dims;
};
using LabelReader = absl::StatusOr<std::vector<int32_t>> (*)(absl::string_view labels,
                                                             int64_t image_count,
                                                             int64_t max_bytes);

// The shared tail of the array readers: resolves the item layout of
// images.dims against ctx.spec, reads `labels` (if not empty) with
// `read_labels`, and builds the Dataset. Errors carry ctx.name / ctx.labels_name.
absl::StatusOr<Dataset> BuildArrayDataset(const ArrayImages& images, absl::string_view labels,
                                          LabelReader read_labels, DatasetFormat format,
                                          const ReaderContext& ctx);

}  // namespace fixpoint::io::internal

#endif  // FIXPOINT_CORE_IO_DATASET_READERS_H_
