// CSV reader (the Kaggle Sign-Language-MNIST layout): one item per line,
// `label,pixel1,...,pixelK` with K = C·H·W in C,H,W order, an optional header
// line, LF or CRLF line ends, and an optional UTF-8 byte order mark.
#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/io/dataset_readers.h"
#include "core/util/status_macros.h"

namespace fixpoint::io::internal {
namespace {

// Splits text into lines, numbering them from 1 and dropping a trailing '\r'.
class LineReader {
 public:
  explicit LineReader(absl::string_view text) : rest_(text) {}

  bool Next(absl::string_view* line) {
    if (rest_.empty()) return false;
    const size_t end = rest_.find('\n');
    *line = rest_.substr(0, end);
    rest_ = end == absl::string_view::npos ? absl::string_view() : rest_.substr(end + 1);
    absl::ConsumeSuffix(line, "\r");
    ++line_number_;
    return true;
  }
  int64_t line_number() const { return line_number_; }
  // True if only blank lines remain.
  bool OnlyBlankLeft() const { return absl::StripAsciiWhitespace(rest_).empty(); }

 private:
  absl::string_view rest_;
  int64_t line_number_ = 0;
};

int64_t CountColumns(absl::string_view line) {
  return 1 + static_cast<int64_t>(std::count(line.begin(), line.end(), ','));
}

bool IsNumber(absl::string_view cell) {
  double v;
  return absl::SimpleAtod(cell, &v);
}

std::string At(int64_t line, int64_t column) {
  return absl::StrCat("line ", line, ", column ", column, ": ");
}

absl::StatusOr<int32_t> ParseLabel(absl::string_view cell, int64_t line) {
  double v = 0;
  const std::string at = At(line, 1);
  if (!absl::SimpleAtod(cell, &v) || !std::isfinite(v)) {
    return absl::InvalidArgumentError(absl::StrCat(at, "label '", cell, "' is not a number"));
  }
  if (v != std::floor(v)) {
    return absl::InvalidArgumentError(absl::StrCat(at, "label '", cell, "' is not an integer"));
  }
  if (v < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(at, "label '", cell, "' is negative; labels must be >= 0"));
  }
  if (v > std::numeric_limits<int32_t>::max()) {
    return absl::InvalidArgumentError(absl::StrCat(at, "label '", cell, "' does not fit int32"));
  }
  return static_cast<int32_t>(v);
}

// Parses one data line of exactly `columns` cells, appending its pixels to
// `values` and its label to `labels`.
absl::Status ParseRow(absl::string_view line, int64_t line_no, const PreprocessSpec& spec,
                      std::vector<float>* values, std::vector<int32_t>* labels) {
  const int64_t columns = spec.ItemElements() + 1;
  const int64_t found = CountColumns(line);
  if (found != columns) {
    return absl::InvalidArgumentError(absl::StrCat(
        "line ", line_no, ": expected ", columns, " columns, found ", found, " (label + ",
        columns - 1, " pixels for shape=", spec.channels, "x", spec.height, "x", spec.width, ")"));
  }
  int64_t column = 0;
  size_t start = 0;
  while (start <= line.size()) {
    const size_t comma = std::min(line.find(',', start), line.size());
    const absl::string_view cell = absl::StripAsciiWhitespace(line.substr(start, comma - start));
    start = comma + 1;
    ++column;
    if (cell.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(At(line_no, column), "empty cell"));
    }
    if (column == 1) {
      FP_ASSIGN_OR_RETURN(int32_t label, ParseLabel(cell, line_no));
      labels->push_back(label);
      continue;
    }
    float v = 0;
    if (!absl::SimpleAtof(cell, &v)) {
      return absl::InvalidArgumentError(
          absl::StrCat(At(line_no, column), "'", cell, "' is not a number"));
    }
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError(
          absl::StrCat(At(line_no, column), "'", cell, "' is not a finite f32 number"));
    }
    values->push_back(v);
  }
  return absl::OkStatus();
}

// Checks a header line (its first cell is not a number) for the column count.
absl::Status CheckHeader(absl::string_view line, int64_t columns, const PreprocessSpec& spec) {
  const int64_t found = CountColumns(line);
  if (found == columns) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "line 1: header has ", found, " columns but shape=", spec.channels, "x", spec.height, "x",
      spec.width, " needs ", columns, " (label + ", columns - 1, " pixels)"));
}

absl::Status ParseLines(absl::string_view text, const ReaderContext& ctx,
                        std::vector<float>* values, std::vector<int32_t>* labels) {
  const int64_t pixels = ctx.spec.ItemElements();
  const int64_t columns = pixels + 1;
  const int64_t max_rows = ctx.opts.max_bytes / (pixels * static_cast<int64_t>(sizeof(float)));
  LineReader lines(text);
  absl::string_view line;
  while (lines.Next(&line)) {
    const int64_t line_no = lines.line_number();
    if (absl::StripAsciiWhitespace(line).empty()) {
      if (lines.OnlyBlankLeft()) break;
      return absl::InvalidArgumentError(absl::StrCat("line ", line_no, ": empty line"));
    }
    if (line_no == 1 && !IsNumber(line.substr(0, line.find(',')))) {
      FP_RETURN_IF_ERROR(CheckHeader(line, columns, ctx.spec));
      continue;
    }
    if (static_cast<int64_t>(labels->size()) >= max_rows) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "line ", line_no, ": more than ", max_rows, " rows of ", pixels,
          " f32 pixels exceed the ", ctx.opts.max_bytes, "-byte limit (LoadOptions.max_bytes)"));
    }
    FP_RETURN_IF_ERROR(ParseRow(line, line_no, ctx.spec, values, labels));
    if (ctx.opts.max_items > 0 && static_cast<int64_t>(labels->size()) == ctx.opts.max_items) {
      break;
    }
  }
  if (labels->empty()) {
    return absl::InvalidArgumentError("no data rows, only a header");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Dataset> ReadCsv(absl::string_view text, const ReaderContext& ctx) {
  absl::ConsumePrefix(&text, "\xEF\xBB\xBF");  // UTF-8 byte order mark
  if (absl::StripAsciiWhitespace(text).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(ctx.name, ": file is empty"));
  }
  std::vector<float> values;
  std::vector<int32_t> labels;
  FP_RETURN_IF_ERROR(WithContext(ParseLines(text, ctx, &values, &labels), ctx.name));
  RawImages raw;
  raw.bytes = absl::string_view(reinterpret_cast<const char*>(values.data()),
                                values.size() * sizeof(float));
  raw.type = SampleType::kF32;
  raw.big_endian = std::endian::native == std::endian::big;
  raw.count = static_cast<int64_t>(labels.size());
  raw.item_layout = PreprocessSpec::Layout::kNCHW;
  return BuildDataset(raw, std::move(labels), DatasetFormat::kCsv, ctx);
}

}  // namespace fixpoint::io::internal
