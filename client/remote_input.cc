#include "client/remote_input.h"

#include <png.h>

#include <bit>
#include <cmath>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/util/status_macros.h"

namespace fixpoint::client {
namespace {

using Layout = io::PreprocessSpec::Layout;

constexpr int64_t kMaxInputBytes = int64_t{256} << 20;
constexpr absl::string_view kNpyMagic = "\x93NUMPY";
constexpr absl::string_view kPngMagic = "\x89PNG\r\n\x1a\n";

std::string ShapeText(const io::PreprocessSpec& spec) {
  return absl::StrCat(spec.channels, "x", spec.height, "x", spec.width);
}

// Runs core's Preprocess over `count` decoded items.
absl::StatusOr<InferInput> Finish(absl::string_view bytes, io::SampleType type, bool big_endian,
                                  int64_t count, Layout item_layout,
                                  const io::PreprocessSpec& spec, std::string description) {
  io::RawImages raw;
  raw.bytes = bytes;
  raw.type = type;
  raw.big_endian = big_endian;
  raw.count = count;
  raw.item_layout = item_layout;
  InferInput input;
  FP_ASSIGN_OR_RETURN(input.images, io::Preprocess(raw, spec));
  input.description = std::move(description);
  return input;
}

// ---- CSV ------------------------------------------------------------------

absl::Status ParseCells(absl::string_view line, int64_t line_no, std::vector<float>* cells) {
  int64_t column = 0;
  for (absl::string_view cell : absl::StrSplit(line, ',')) {
    ++column;
    cell = absl::StripAsciiWhitespace(cell);
    float v = 0;
    if (!absl::SimpleAtof(cell, &v) || !std::isfinite(v)) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line_no, ", column ", column, ": '",
                                                     cell, "' is not a finite number"));
    }
    cells->push_back(v);
  }
  return absl::OkStatus();
}

// ---- NPY ------------------------------------------------------------------

struct NpyHeader {
  io::SampleType type = io::SampleType::kU8;
  bool big_endian = false;
  std::vector<int64_t> shape;
  size_t data_offset = 0;
};

// The text after `'key':` in the header dict, leading blanks stripped.
absl::StatusOr<absl::string_view> After(absl::string_view dict, absl::string_view key) {
  for (const char* quote : {"'", "\""}) {
    const std::string quoted = absl::StrCat(quote, key, quote);
    size_t at = dict.find(quoted);
    if (at == absl::string_view::npos) continue;
    absl::string_view rest = absl::StripLeadingAsciiWhitespace(dict.substr(at + quoted.size()));
    if (absl::ConsumePrefix(&rest, ":")) return absl::StripLeadingAsciiWhitespace(rest);
  }
  return absl::InvalidArgumentError(absl::StrCat(".npy header lacks '", key, "'"));
}

absl::Status ParseDescr(absl::string_view descr, NpyHeader* h) {
  if (descr.size() < 2) return absl::InvalidArgumentError("empty dtype");
  const char order = descr[0];
  absl::string_view kind = descr;
  if (order == '<' || order == '>' || order == '|' || order == '=') kind.remove_prefix(1);
  h->big_endian = order == '>';
  struct Known {
    const char* name;
    io::SampleType type;
  };
  for (const Known& k : {Known{"u1", io::SampleType::kU8}, Known{"i1", io::SampleType::kI8},
                         Known{"i2", io::SampleType::kI16}, Known{"i4", io::SampleType::kI32},
                         Known{"i8", io::SampleType::kI64}, Known{"f4", io::SampleType::kF32},
                         Known{"f8", io::SampleType::kF64}, Known{"b1", io::SampleType::kU8}}) {
    if (kind == k.name) {
      h->type = k.type;
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unsupported .npy dtype '", descr, "' (expected u1, i1, i2, i4, i8, f4 or f8)"));
}

absl::StatusOr<NpyHeader> ParseNpyHeader(absl::string_view bytes) {
  if (!absl::StartsWith(bytes, kNpyMagic) || bytes.size() < 10) {
    return absl::InvalidArgumentError("not a .npy file (bad magic)");
  }
  const auto u8 = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])); };
  const int major = static_cast<int>(u8(6));
  size_t len = 0, start = 0;
  if (major == 1) {
    len = u8(8) | u8(9) << 8;
    start = 10;
  } else if ((major == 2 || major == 3) && bytes.size() >= 12) {
    len = u8(8) | u8(9) << 8 | u8(10) << 16 | u8(11) << 24;
    start = 12;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unsupported .npy version ", major));
  }
  if (bytes.size() - start < len) return absl::InvalidArgumentError("truncated .npy header");
  const absl::string_view dict = bytes.substr(start, len);
  NpyHeader h;
  h.data_offset = start + len;

  FP_ASSIGN_OR_RETURN(absl::string_view descr, After(dict, "descr"));
  if (descr.empty() || (descr[0] != '\'' && descr[0] != '"')) {
    return absl::InvalidArgumentError("'descr' is not a plain dtype string");
  }
  const size_t close = descr.find(descr[0], 1);
  if (close == absl::string_view::npos) return absl::InvalidArgumentError("unterminated 'descr'");
  FP_RETURN_IF_ERROR(ParseDescr(descr.substr(1, close - 1), &h));

  FP_ASSIGN_OR_RETURN(absl::string_view fortran, After(dict, "fortran_order"));
  if (absl::StartsWith(fortran, "True")) {
    return absl::InvalidArgumentError("Fortran-order .npy arrays are not supported");
  }

  FP_ASSIGN_OR_RETURN(absl::string_view shape, After(dict, "shape"));
  if (!absl::ConsumePrefix(&shape, "(")) return absl::InvalidArgumentError("'shape' is not a tuple");
  shape = shape.substr(0, shape.find(')'));
  for (absl::string_view d : absl::StrSplit(shape, ',', absl::SkipWhitespace())) {
    int64_t v = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(d), &v) || v < 0) {
      return absl::InvalidArgumentError(absl::StrCat("bad dimension '", d, "' in 'shape'"));
    }
    h.shape.push_back(v);
  }
  return h;
}

// How an item of `dims` holds spec's C×H×W: (H,W,C) is channels-last,
// (C,H,W), (H,W) and flat forms are C,H,W order; other 3-d shapes fail.
absl::StatusOr<Layout> ItemLayout(const std::vector<int64_t>& dims,
                                  const io::PreprocessSpec& spec) {
  const std::vector<int64_t> chw = {spec.channels, spec.height, spec.width};
  const std::vector<int64_t> hwc = {spec.height, spec.width, spec.channels};
  if (dims == chw) return Layout::kNCHW;
  if (dims == hwc) return Layout::kNHWC;
  if (dims.size() >= 3) {
    return absl::InvalidArgumentError(absl::StrCat("item shape (", absl::StrJoin(dims, ","),
                                                   ") is neither C,H,W nor H,W,C of shape=",
                                                   ShapeText(spec)));
  }
  return Layout::kNCHW;
}

// ---- PNG ------------------------------------------------------------------

// Frees libpng's decoder state on every path.
struct PngImage {
  png_image image{};
  PngImage() { image.version = PNG_IMAGE_VERSION; }
  ~PngImage() { png_image_free(&image); }
};

}  // namespace

absl::StatusOr<InferFileKind> InferFileKindOf(const std::string& path, absl::string_view bytes) {
  if (absl::EndsWithIgnoreCase(path, ".csv")) return InferFileKind::kCsv;
  if (absl::EndsWithIgnoreCase(path, ".npy")) return InferFileKind::kNpy;
  if (absl::EndsWithIgnoreCase(path, ".png")) return InferFileKind::kPng;
  if (absl::StartsWith(bytes, kNpyMagic)) return InferFileKind::kNpy;
  if (absl::StartsWith(bytes, kPngMagic)) return InferFileKind::kPng;
  absl::string_view text = bytes;
  absl::ConsumePrefix(&text, "\xEF\xBB\xBF");
  if (!text.empty() && absl::ascii_isalnum(static_cast<unsigned char>(text[0]))) {
    return InferFileKind::kCsv;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": not a CSV, .npy or PNG file (by extension or contents)"));
}

absl::StatusOr<InferInput> DecodeCsvRow(absl::string_view text, int64_t row,
                                        const io::PreprocessSpec& spec) {
  FP_RETURN_IF_ERROR(spec.Validate());
  if (row < 0) return absl::InvalidArgumentError("row must be >= 0");
  absl::ConsumePrefix(&text, "\xEF\xBB\xBF");
  const int64_t k = spec.ItemElements();
  int64_t line_no = 0, data_rows = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    absl::ConsumeSuffix(&line, "\r");
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    const absl::string_view first = absl::StripAsciiWhitespace(line.substr(0, line.find(',')));
    double unused;
    if (line_no == 1 && !absl::SimpleAtod(first, &unused)) continue;  // header
    if (data_rows++ < row) continue;
    std::vector<float> cells;
    FP_RETURN_IF_ERROR(ParseCells(line, line_no, &cells));
    const int64_t n = static_cast<int64_t>(cells.size());
    if (n != k && n != k + 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_no, ": ", n, " columns; shape=", ShapeText(spec), " needs ",
                       k, " pixels, optionally after a label"));
    }
    std::vector<int32_t> labels;
    if (n == k + 1) {
      if (cells[0] < 0 || cells[0] != std::floor(cells[0])) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", line_no, ", column 1: label ", cells[0],
                         " is not a non-negative integer"));
      }
      labels.push_back(static_cast<int32_t>(cells[0]));
      cells.erase(cells.begin());
    }
    const absl::string_view bytes(reinterpret_cast<const char*>(cells.data()),
                                  cells.size() * sizeof(float));
    FP_ASSIGN_OR_RETURN(InferInput input,
                        Finish(bytes, io::SampleType::kF32,
                               std::endian::native == std::endian::big, 1, Layout::kNCHW, spec,
                               absl::StrCat("row ", row, " (line ", line_no, ")")));
    input.labels = std::move(labels);
    return input;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("asked for data row ", row, " but the file has ", data_rows, " data rows"));
}

absl::StatusOr<InferInput> DecodeNpy(absl::string_view bytes, const io::PreprocessSpec& spec) {
  FP_RETURN_IF_ERROR(spec.Validate());
  FP_ASSIGN_OR_RETURN(NpyHeader h, ParseNpyHeader(bytes));
  const int64_t k = spec.ItemElements();
  int64_t total = 1;
  for (int64_t d : h.shape) {
    if (d != 0 && total > kMaxInputBytes / d) {
      return absl::InvalidArgumentError("the .npy shape is too large");
    }
    total *= d;
  }
  std::vector<int64_t> item;
  int64_t count = 0;
  if (total == k) {  // one image, possibly with a leading batch dimension of 1
    count = 1;
    item = h.shape;
    const bool exact = item == std::vector<int64_t>{spec.channels, spec.height, spec.width} ||
                       item == std::vector<int64_t>{spec.height, spec.width, spec.channels};
    if (!exact && item.size() >= 2 && item[0] == 1) item.erase(item.begin());
  } else if (h.shape.size() >= 2 && h.shape[0] > 0 && total == h.shape[0] * k) {
    count = h.shape[0];
    item.assign(h.shape.begin() + 1, h.shape.end());
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(".npy shape (", absl::StrJoin(h.shape, ","), ") is neither one image nor a ",
                     "batch (N, ...) of shape=", ShapeText(spec), " (", k, " values each)"));
  }
  FP_ASSIGN_OR_RETURN(Layout layout, ItemLayout(item, spec));
  const size_t need = static_cast<size_t>(total) * io::SampleTypeSize(h.type);
  if (bytes.size() - h.data_offset < need) {
    return absl::InvalidArgumentError(absl::StrCat(".npy data has ", bytes.size() - h.data_offset,
                                                   " bytes; shape and dtype need ", need));
  }
  return Finish(bytes.substr(h.data_offset, need), h.type, h.big_endian, count, layout, spec,
                absl::StrCat(count, " image(s) of shape (", absl::StrJoin(item, ","), "), ",
                             io::SampleTypeName(h.type)));
}

absl::StatusOr<InferInput> DecodePng(absl::string_view bytes, const io::PreprocessSpec& spec) {
  FP_RETURN_IF_ERROR(spec.Validate());
  if (spec.channels != 1 && spec.channels != 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a PNG input needs shape=1xHxW (gray) or 3xHxW (RGB), not ", ShapeText(spec)));
  }
  PngImage png;
  if (!png_image_begin_read_from_memory(&png.image, bytes.data(), bytes.size())) {
    return absl::InvalidArgumentError(absl::StrCat("PNG: ", png.image.message));
  }
  if (png.image.width != static_cast<png_uint_32>(spec.width) ||
      png.image.height != static_cast<png_uint_32>(spec.height)) {
    return absl::InvalidArgumentError(
        absl::StrCat("PNG is ", png.image.width, "x", png.image.height, " (WxH); shape=",
                     ShapeText(spec), " needs ", spec.width, "x", spec.height));
  }
  png.image.format = spec.channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  // Zeroed: with no background colour libpng composes transparent pixels
  // onto what the buffer holds, i.e. black.
  std::string pixels(PNG_IMAGE_SIZE(png.image), '\0');
  if (!png_image_finish_read(&png.image, nullptr, pixels.data(), 0, nullptr)) {
    return absl::InvalidArgumentError(absl::StrCat("PNG: ", png.image.message));
  }
  return Finish(pixels, io::SampleType::kU8, false, 1, Layout::kNHWC, spec,
                absl::StrCat(spec.width, "x", spec.height, " PNG, ",
                             spec.channels == 1 ? "gray" : "RGB"));
}

absl::StatusOr<InferInput> ReadInferInput(const std::string& path, int64_t row,
                                          const io::PreprocessSpec& spec) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  const std::streamoff size = file.tellg();
  if (size < 0 || size > kMaxInputBytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file of at most 256 MiB"));
  }
  std::string bytes(static_cast<size_t>(size), '\0');
  file.seekg(0);
  if (!file.read(bytes.data(), size)) return absl::DataLossError(absl::StrCat(path, ": read failed"));
  FP_ASSIGN_OR_RETURN(InferFileKind kind, InferFileKindOf(path, bytes));
  absl::StatusOr<InferInput> input;
  switch (kind) {
    case InferFileKind::kCsv:
      input = DecodeCsvRow(bytes, row, spec);
      break;
    case InferFileKind::kNpy:
      input = DecodeNpy(bytes, spec);
      break;
    case InferFileKind::kPng:
      input = DecodePng(bytes, spec);
      break;
  }
  if (!input.ok()) return WithContext(input.status(), path);
  input->description = absl::StrCat(path, ": ", input->description);
  return input;
}

absl::Status ForEachFileChunk(const std::string& path, size_t chunk_bytes,
                              const std::function<bool(absl::string_view)>& write) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::string chunk(chunk_bytes, '\0');
  while (file) {
    file.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const size_t got = static_cast<size_t>(file.gcount());
    if (got == 0) break;
    if (!write(absl::string_view(chunk.data(), got))) return absl::OkStatus();
  }
  if (file.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return absl::OkStatus();
}

}  // namespace fixpoint::client
