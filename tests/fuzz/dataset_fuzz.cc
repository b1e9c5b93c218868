// Fuzz entry point for the dataset readers (IDX, CSV, NPY, each optionally
// gzipped) behind io::LoadDatasetFromBytes; see fuzz_targets.h for the input
// format.
#include <algorithm>
#include <iterator>
#include <string>

#include "absl/strings/string_view.h"
#include "core/io/dataset.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_targets.h"

namespace fixpoint::fuzz {
namespace {

struct ItemShape {
  int channels, height, width;
};
// Small shapes keep seeds short; 1x28x28 is the real MNIST item.
constexpr ItemShape kShapes[] = {{1, 28, 28}, {1, 2, 2}, {3, 2, 2}, {1, 1, 4},
                                 {2, 1, 3},   {1, 3, 1}, {3, 1, 1}, {1, 1, 1}};
constexpr io::DatasetFormat kFormats[] = {io::DatasetFormat::kIdx, io::DatasetFormat::kCsv,
                                          io::DatasetFormat::kNpy};

}  // namespace

absl::Status RunDatasetReader(const uint8_t* data, size_t size) {
  if (size < 2) return absl::InvalidArgumentError("fuzz input shorter than its 2-byte header");
  const uint8_t mode = data[0];
  const size_t labels_size = std::min<size_t>(data[1], size - 2);
  absl::string_view labels(reinterpret_cast<const char*>(data) + 2, labels_size);
  absl::string_view images(reinterpret_cast<const char*>(data) + 2 + labels_size,
                           size - 2 - labels_size);

  io::PreprocessSpec spec;
  spec.layout = (mode & 4) ? io::PreprocessSpec::Layout::kNHWC : io::PreprocessSpec::Layout::kNCHW;
  const ItemShape shape = kShapes[(mode >> 4) % std::size(kShapes)];
  spec.channels = shape.channels;
  spec.height = shape.height;
  spec.width = shape.width;
  io::LoadOptions opts;
  opts.max_bytes = kFuzzMaxBytes;
  opts.max_items = (mode & 8) ? 2 : 0;

  io::DatasetFormat format;
  if ((mode & 3) == 3) {
    auto sniffed = io::SniffDatasetFormat(images);
    CheckErrorContract(sniffed.status(),
                       {absl::StatusCode::kInvalidArgument, absl::StatusCode::kResourceExhausted});
    if (!sniffed.ok()) return sniffed.status();
    format = *sniffed;
  } else {
    format = kFormats[mode & 3];
  }
  auto ds = io::LoadDatasetFromBytes(images, format, spec, opts, labels);
  CheckErrorContract(ds.status(),
                     {absl::StatusCode::kInvalidArgument, absl::StatusCode::kResourceExhausted});
  if (!ds.ok()) return ds.status();

  // A loaded dataset is what the header says it is, and every batch of it is
  // addressable.
  const ir::Shape& s = ds->images.shape();
  const bool nchw = spec.layout == io::PreprocessSpec::Layout::kNCHW;
  FP_FUZZ_CHECK(ds->images.empty() || s.rank() == 4, "images are not 4-D: " + s.ToString());
  if (!ds->images.empty()) {
    const ir::Shape want = nchw ? ir::Shape{s[0], spec.channels, spec.height, spec.width}
                                : ir::Shape{s[0], spec.height, spec.width, spec.channels};
    FP_FUZZ_CHECK(s == want, "images are " + s.ToString() + ", spec says " + want.ToString());
  }
  FP_FUZZ_CHECK(opts.max_items == 0 || ds->size() <= opts.max_items, "max_items ignored");
  FP_FUZZ_CHECK(!ds->has_labels() || static_cast<int64_t>(ds->labels.size()) == ds->size(),
                "label count differs from the image count");
  for (int32_t label : ds->labels) FP_FUZZ_CHECK(label >= 0, "negative label");
  for (int64_t b = 0; b < ds->NumBatches(3); ++b) {
    auto batch = ds->Batch(b, 3);
    FP_FUZZ_CHECK(batch.ok(), "batch " + std::to_string(b) + ": " + batch.status().ToString());
  }
  return absl::OkStatus();
}

}  // namespace fixpoint::fuzz
