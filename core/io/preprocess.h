// How raw dataset pixels become model input: a `PreprocessSpec` (scale, per-
// channel mean/std, item shape, output layout) that is recorded with every
// dataset, and `Preprocess`, which applies it to decoded source samples.
// Value types and pure functions; thread-safe.
#ifndef FIXPOINT_CORE_IO_PREPROCESS_H_
#define FIXPOINT_CORE_IO_PREPROCESS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/ir/tensor.h"

namespace fixpoint::io {

// x' = (x * scale - mean[c]) / std[c], then laid out as `layout`.
struct PreprocessSpec {
  enum class Layout { kNCHW, kNHWC };

  Layout layout = Layout::kNCHW;  // layout of the produced tensor
  float scale = 1.0f / 255.0f;
  std::vector<float> mean = {0.0f};  // one value, or one per channel
  std::vector<float> std = {1.0f};   // one value, or one per channel
  // Item shape. Files that carry dimensions (IDX, NPY) must agree with it;
  // CSV rows and flat [N, K] arrays are reshaped by it (K = C·H·W).
  int channels = 1;
  int height = 28;
  int width = 28;

  int64_t ItemElements() const { return int64_t{channels} * height * width; }
  float MeanOf(int c) const { return mean.size() == 1 ? mean[0] : mean[c]; }
  float StdOf(int c) const { return std.size() == 1 ? std[0] : std[c]; }

  // OK if dims are positive and modest (C·H·W <= 2^28), mean/std have one or
  // `channels` values, every value is finite and every std is non-zero;
  // INVALID_ARGUMENT naming the offending field otherwise.
  absl::Status Validate() const;

  // Compact, round-trippable form, e.g.
  // "layout=nchw,scale=0.003921569,mean=0,std=1,shape=1x28x28".
  // Per-channel lists are ':'-separated: "mean=0.485:0.456:0.406".
  std::string ToString() const;

  // Parses the ToString() form. Keys may come in any order and be omitted
  // (defaults above); `scale` also accepts a fraction such as "1/255".
  // INVALID_ARGUMENT on unknown or repeated keys, bad values, or a spec that
  // fails Validate().
  static absl::StatusOr<PreprocessSpec> Parse(absl::string_view text);

  friend bool operator==(const PreprocessSpec&, const PreprocessSpec&) = default;
};

absl::string_view LayoutName(PreprocessSpec::Layout layout);  // "nchw" / "nhwc"

// Element encodings of decoded source data.
enum class SampleType { kU8, kI8, kI16, kI32, kI64, kF32, kF64 };
absl::string_view SampleTypeName(SampleType t);  // "u8", "i16", "f64", ...
size_t SampleTypeSize(SampleType t);
bool IsFloatSampleType(SampleType t);

// Decoded-but-unprocessed images: `count` items of `spec.ItemElements()`
// samples each, stored contiguously in `bytes`. Borrows `bytes`.
struct RawImages {
  absl::string_view bytes;
  SampleType type = SampleType::kU8;
  bool big_endian = false;
  int64_t count = 0;
  // Order of each item's samples: kNCHW means C,H,W (also used for flat rows),
  // kNHWC means H,W,C.
  PreprocessSpec::Layout item_layout = PreprocessSpec::Layout::kNCHW;
};

// Converts `raw` to an f32 tensor [count, C, H, W] (or [count, H, W, C] for
// spec.layout == kNHWC). INVALID_ARGUMENT if `spec` is invalid, `raw.bytes`
// has the wrong size, or a floating-point sample is NaN or infinite (the
// message names the item and sample index). Allocates count·C·H·W·4 bytes:
// callers bound that first.
absl::StatusOr<ir::Tensor> Preprocess(const RawImages& raw, const PreprocessSpec& spec);

}  // namespace fixpoint::io

#endif  // FIXPOINT_CORE_IO_PREPROCESS_H_
