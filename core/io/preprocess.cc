#include "core/io/preprocess.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/util/status_macros.h"

namespace fixpoint::io {
namespace {

using Layout = PreprocessSpec::Layout;

constexpr int64_t kMaxItemElements = int64_t{1} << 28;

// Shortest text that parses back to exactly `v`.
std::string FloatToString(float v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, end);
}

absl::StatusOr<float> ParseFloat(absl::string_view key, absl::string_view text) {
  float v = 0;
  if (!absl::SimpleAtof(text, &v) || !std::isfinite(v)) {
    return absl::InvalidArgumentError(
        absl::StrCat("preprocess spec: ", key, "='", text, "' is not a finite number"));
  }
  return v;
}

// "0.5" or a fraction "1/255".
absl::StatusOr<float> ParseScale(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '/');
  if (parts.size() == 1) return ParseFloat("scale", text);
  if (parts.size() == 2) {
    FP_ASSIGN_OR_RETURN(float num, ParseFloat("scale", parts[0]));
    FP_ASSIGN_OR_RETURN(float den, ParseFloat("scale", parts[1]));
    if (den != 0) return num / den;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("preprocess spec: scale='", text, "' is not a number or a fraction a/b"));
}

absl::StatusOr<std::vector<float>> ParseFloatList(absl::string_view key, absl::string_view text) {
  std::vector<float> values;
  for (absl::string_view part : absl::StrSplit(text, ':')) {
    FP_ASSIGN_OR_RETURN(float v, ParseFloat(key, absl::StripAsciiWhitespace(part)));
    values.push_back(v);
  }
  return values;
}

absl::Status ParseShape(absl::string_view text, PreprocessSpec* spec) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, absl::ByAnyChar("xX"));
  int dims[3] = {0, 0, 0};
  bool ok = parts.size() == 3;
  for (size_t i = 0; ok && i < 3; ++i) {
    ok = absl::SimpleAtoi(parts[i], &dims[i]) && dims[i] > 0;
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "preprocess spec: shape='", text, "' is not CxHxW with positive integers (e.g. 1x28x28)"));
  }
  spec->channels = dims[0];
  spec->height = dims[1];
  spec->width = dims[2];
  return absl::OkStatus();
}

absl::Status ParseField(absl::string_view key, absl::string_view value, PreprocessSpec* spec) {
  if (key == "layout") {
    const std::string lower = absl::AsciiStrToLower(value);
    if (lower == "nchw") {
      spec->layout = Layout::kNCHW;
    } else if (lower == "nhwc") {
      spec->layout = Layout::kNHWC;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("preprocess spec: layout='", value, "' is not nchw or nhwc"));
    }
    return absl::OkStatus();
  }
  if (key == "scale") {
    FP_ASSIGN_OR_RETURN(spec->scale, ParseScale(value));
    return absl::OkStatus();
  }
  if (key == "mean") {
    FP_ASSIGN_OR_RETURN(spec->mean, ParseFloatList(key, value));
    return absl::OkStatus();
  }
  if (key == "std") {
    FP_ASSIGN_OR_RETURN(spec->std, ParseFloatList(key, value));
    return absl::OkStatus();
  }
  if (key == "shape") return ParseShape(value, spec);
  return absl::InvalidArgumentError(absl::StrCat("preprocess spec: unknown key '", key,
                                                 "' (expected layout, scale, mean, std, shape)"));
}

absl::Status ValidateChannelValues(absl::string_view name, const std::vector<float>& values,
                                   int channels) {
  if (values.size() != 1 && values.size() != static_cast<size_t>(channels)) {
    return absl::InvalidArgumentError(absl::StrCat("preprocess spec: ", name, " has ",
                                                   values.size(), " values; expected 1 or ",
                                                   channels, " (one per channel)"));
  }
  for (float v : values) {
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("preprocess spec: ", name, " contains a non-finite value"));
    }
    if (name == "std" && v == 0) {
      return absl::InvalidArgumentError("preprocess spec: std contains 0");
    }
  }
  return absl::OkStatus();
}

// Reads one sample of type T stored at `p`, byte-swapping when `swap`.
template <typename T>
T LoadSample(const char* p, bool swap) {
  if constexpr (sizeof(T) == 1) {
    T v;
    std::memcpy(&v, p, 1);
    return v;
  } else {
    using U = std::conditional_t<sizeof(T) == 2, uint16_t,
                                 std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>;
    U u;
    std::memcpy(&u, p, sizeof(U));
    if (swap) {
      if constexpr (sizeof(U) == 2) u = __builtin_bswap16(u);
      if constexpr (sizeof(U) == 4) u = __builtin_bswap32(u);
      if constexpr (sizeof(U) == 8) u = __builtin_bswap64(u);
    }
    return std::bit_cast<T>(u);
  }
}

// Decodes `n` samples of item `item` into floats.
template <typename T>
absl::Status DecodeItem(const char* src, int64_t n, bool swap, int64_t item, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    out[i] = static_cast<float>(LoadSample<T>(src + i * sizeof(T), swap));
    if constexpr (std::is_floating_point_v<T>) {
      if (!std::isfinite(out[i])) {
        return absl::InvalidArgumentError(
            absl::StrCat("item ", item, ", value ", i, " is NaN, infinite or out of f32 range"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status DecodeItemAs(SampleType type, const char* src, int64_t n, bool swap, int64_t item,
                          float* out) {
  switch (type) {
    case SampleType::kU8:
      return DecodeItem<uint8_t>(src, n, swap, item, out);
    case SampleType::kI8:
      return DecodeItem<int8_t>(src, n, swap, item, out);
    case SampleType::kI16:
      return DecodeItem<int16_t>(src, n, swap, item, out);
    case SampleType::kI32:
      return DecodeItem<int32_t>(src, n, swap, item, out);
    case SampleType::kI64:
      return DecodeItem<int64_t>(src, n, swap, item, out);
    case SampleType::kF32:
      return DecodeItem<float>(src, n, swap, item, out);
    case SampleType::kF64:
      return DecodeItem<double>(src, n, swap, item, out);
  }
  return absl::InternalError("unknown sample type");
}

}  // namespace

absl::string_view LayoutName(Layout layout) { return layout == Layout::kNCHW ? "nchw" : "nhwc"; }

absl::string_view SampleTypeName(SampleType t) {
  switch (t) {
    case SampleType::kU8:
      return "u8";
    case SampleType::kI8:
      return "i8";
    case SampleType::kI16:
      return "i16";
    case SampleType::kI32:
      return "i32";
    case SampleType::kI64:
      return "i64";
    case SampleType::kF32:
      return "f32";
    case SampleType::kF64:
      return "f64";
  }
  return "?";
}

size_t SampleTypeSize(SampleType t) {
  switch (t) {
    case SampleType::kU8:
    case SampleType::kI8:
      return 1;
    case SampleType::kI16:
      return 2;
    case SampleType::kI32:
    case SampleType::kF32:
      return 4;
    case SampleType::kI64:
    case SampleType::kF64:
      return 8;
  }
  return 1;
}

bool IsFloatSampleType(SampleType t) { return t == SampleType::kF32 || t == SampleType::kF64; }

absl::Status PreprocessSpec::Validate() const {
  const bool positive = channels > 0 && height > 0 && width > 0;
  // Multiplied stepwise so that huge dims cannot overflow int64.
  if (!positive || int64_t{channels} * height > kMaxItemElements ||
      ItemElements() > kMaxItemElements) {
    return absl::InvalidArgumentError(absl::StrCat("preprocess spec: shape ", channels, "x", height,
                                                   "x", width,
                                                   " must be positive with C*H*W <= 2^28"));
  }
  if (!std::isfinite(scale)) {
    return absl::InvalidArgumentError("preprocess spec: scale is not finite");
  }
  FP_RETURN_IF_ERROR(ValidateChannelValues("mean", mean, channels));
  return ValidateChannelValues("std", std, channels);
}

std::string PreprocessSpec::ToString() const {
  auto join = [](const std::vector<float>& v) {
    return absl::StrJoin(v, ":", [](std::string* out, float f) { out->append(FloatToString(f)); });
  };
  return absl::StrCat("layout=", LayoutName(layout), ",scale=", FloatToString(scale),
                      ",mean=", join(mean), ",std=", join(std), ",shape=", channels, "x", height,
                      "x", width);
}

absl::StatusOr<PreprocessSpec> PreprocessSpec::Parse(absl::string_view text) {
  PreprocessSpec spec;
  std::vector<std::string> seen;
  for (absl::string_view field : absl::StrSplit(text, ',')) {
    field = absl::StripAsciiWhitespace(field);
    if (field.empty()) continue;
    std::vector<absl::string_view> kv = absl::StrSplit(field, absl::MaxSplits('=', 1));
    if (kv.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("preprocess spec: '", field, "' is not key=value"));
    }
    const std::string key = absl::AsciiStrToLower(absl::StripAsciiWhitespace(kv[0]));
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return absl::InvalidArgumentError(absl::StrCat("preprocess spec: '", key, "' given twice"));
    }
    seen.push_back(key);
    FP_RETURN_IF_ERROR(ParseField(key, absl::StripAsciiWhitespace(kv[1]), &spec));
  }
  FP_RETURN_IF_ERROR(spec.Validate());
  return spec;
}

absl::StatusOr<ir::Tensor> Preprocess(const RawImages& raw, const PreprocessSpec& spec) {
  FP_RETURN_IF_ERROR(spec.Validate());
  const int64_t k = spec.ItemElements();
  const size_t sample = SampleTypeSize(raw.type);
  const size_t item_bytes = static_cast<size_t>(k) * sample;
  if (raw.count < 0 || raw.bytes.size() / item_bytes < static_cast<size_t>(raw.count)) {
    return absl::InvalidArgumentError(
        absl::StrCat("preprocess: ", raw.count, " items of ", k, " ", SampleTypeName(raw.type),
                     " need ", item_bytes, " bytes each; got ", raw.bytes.size(), " bytes"));
  }
  const int c_n = spec.channels, hw = spec.height * spec.width;
  const bool swap = sample > 1 && raw.big_endian != (std::endian::native == std::endian::big);
  const bool src_chw = raw.item_layout == Layout::kNCHW;
  const bool dst_chw = spec.layout == Layout::kNCHW;
  ir::Tensor out(ir::DType::kF32, dst_chw ? ir::Shape{raw.count, c_n, spec.height, spec.width}
                                          : ir::Shape{raw.count, spec.height, spec.width, c_n});
  std::vector<float> tmp(k);
  std::vector<float> mean(c_n), std_dev(c_n);
  for (int c = 0; c < c_n; ++c) {
    mean[c] = spec.MeanOf(c);
    std_dev[c] = spec.StdOf(c);
  }
  for (int64_t n = 0; n < raw.count; ++n) {
    FP_RETURN_IF_ERROR(
        DecodeItemAs(raw.type, raw.bytes.data() + n * item_bytes, k, swap, n, tmp.data()));
    float* dst = out.data<float>() + n * k;
    for (int c = 0; c < c_n; ++c) {
      for (int p = 0; p < hw; ++p) {
        const float x = tmp[src_chw ? int64_t{c} * hw + p : int64_t{p} * c_n + c];
        dst[dst_chw ? int64_t{c} * hw + p : int64_t{p} * c_n + c] =
            (x * spec.scale - mean[c]) / std_dev[c];
      }
    }
  }
  return out;
}

}  // namespace fixpoint::io
