#include "proto/convert/preprocessing_convert.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace fixpoint {

absl::StatusOr<io::PreprocessSpec> PreprocessSpecFromProto(const v1::Preprocessing& p) {
  io::PreprocessSpec spec;
  if (p.layout().empty() || absl::EqualsIgnoreCase(p.layout(), "NCHW")) {
    spec.layout = io::PreprocessSpec::Layout::kNCHW;
  } else if (absl::EqualsIgnoreCase(p.layout(), "NHWC")) {
    spec.layout = io::PreprocessSpec::Layout::kNHWC;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("preprocessing.layout must be NCHW or NHWC, got '", p.layout(), "'"));
  }
  if (p.scale() != 0) spec.scale = p.scale();
  if (p.mean_size() > 0) spec.mean.assign(p.mean().begin(), p.mean().end());
  if (p.std_size() > 0) spec.std.assign(p.std().begin(), p.std().end());
  if (p.channels() != 0) spec.channels = p.channels();
  if (p.height() != 0) spec.height = p.height();
  if (p.width() != 0) spec.width = p.width();
  absl::Status valid = spec.Validate();
  if (!valid.ok()) return absl::InvalidArgumentError(absl::StrCat("preprocessing: ", valid.message()));
  return spec;
}

v1::Preprocessing PreprocessSpecToProto(const io::PreprocessSpec& spec) {
  v1::Preprocessing p;
  p.set_layout(spec.layout == io::PreprocessSpec::Layout::kNHWC ? "NHWC" : "NCHW");
  p.set_scale(spec.scale);
  for (float m : spec.mean) p.add_mean(m);
  for (float s : spec.std) p.add_std(s);
  p.set_channels(spec.channels);
  p.set_height(spec.height);
  p.set_width(spec.width);
  return p;
}

}  // namespace fixpoint
