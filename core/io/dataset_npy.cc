// NumPy .npy reader (format versions 1.0, 2.0 and 3.0): "\x93NUMPY", the
// version, a little-endian header length, a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (N, ...), } and the data.
#include <algorithm>
#include <bit>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/io/dataset_readers.h"
#include "core/util/status_macros.h"

namespace fixpoint::io::internal {
namespace {

struct NpyArray {
  SampleType type = SampleType::kU8;
  bool big_endian = false;
  std::string descr;
  std::vector<int64_t> dims;
  absl::string_view data;
  int64_t data_offset = 0;
};

// Parses the header dict; positions in errors are file byte offsets.
class HeaderParser {
 public:
  HeaderParser(absl::string_view text, int64_t offset) : text_(text), offset_(offset) {}

  absl::Status Parse(std::string* descr, bool* fortran_order, std::vector<int64_t>* shape);

 private:
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("header at byte ", offset_ + static_cast<int64_t>(pos_), ": ", what));
  }
  void SkipSpace() {
    while (pos_ < text_.size() && absl::ascii_isspace(static_cast<unsigned char>(text_[pos_]))) {
      ++pos_;
    }
  }
  // Consumes `c` (after spaces) if it is next.
  bool Accept(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  absl::Status Expect(char c) {
    if (Accept(c)) return absl::OkStatus();
    return Error(absl::StrCat("expected '", std::string(1, c), "'"));
  }
  absl::StatusOr<std::string> String();
  absl::StatusOr<bool> Bool();
  absl::StatusOr<std::vector<int64_t>> Tuple();

  absl::string_view text_;
  int64_t offset_;
  size_t pos_ = 0;
};

absl::StatusOr<std::string> HeaderParser::String() {
  SkipSpace();
  if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) {
    return Error("expected a quoted string");
  }
  const char quote = text_[pos_];
  const size_t end = text_.find(quote, pos_ + 1);
  if (end == absl::string_view::npos) return Error("unterminated string");
  std::string s(text_.substr(pos_ + 1, end - pos_ - 1));
  pos_ = end + 1;
  return s;
}

absl::StatusOr<bool> HeaderParser::Bool() {
  SkipSpace();
  for (bool value : {true, false}) {
    const absl::string_view word = value ? "True" : "False";
    if (absl::StartsWith(text_.substr(pos_), word)) {
      pos_ += word.size();
      return value;
    }
  }
  return Error("expected True or False");
}

absl::StatusOr<std::vector<int64_t>> HeaderParser::Tuple() {
  FP_RETURN_IF_ERROR(Expect('('));
  std::vector<int64_t> dims;
  while (!Accept(')')) {
    SkipSpace();
    size_t end = pos_;
    while (end < text_.size() && absl::ascii_isdigit(static_cast<unsigned char>(text_[end]))) {
      ++end;
    }
    int64_t d = 0;
    if (end == pos_ || !absl::SimpleAtoi(text_.substr(pos_, end - pos_), &d)) {
      return Error("expected a non-negative integer dimension");
    }
    pos_ = end;
    if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;  // Python 2 long, e.g. (2L,)
    dims.push_back(d);
    if (!Accept(',')) {
      FP_RETURN_IF_ERROR(Expect(')'));
      break;
    }
  }
  return dims;
}

absl::Status HeaderParser::Parse(std::string* descr, bool* fortran_order,
                                 std::vector<int64_t>* shape) {
  FP_RETURN_IF_ERROR(Expect('{'));
  bool seen[3] = {false, false, false};
  while (!Accept('}')) {
    FP_ASSIGN_OR_RETURN(std::string key, String());
    FP_RETURN_IF_ERROR(Expect(':'));
    SkipSpace();
    if (key == "descr") {
      if (pos_ < text_.size() && text_[pos_] == '[') {
        return Error("'descr' is a structured dtype; only plain numeric arrays are supported");
      }
      FP_ASSIGN_OR_RETURN(*descr, String());
      seen[0] = true;
    } else if (key == "fortran_order") {
      FP_ASSIGN_OR_RETURN(*fortran_order, Bool());
      seen[1] = true;
    } else if (key == "shape") {
      FP_ASSIGN_OR_RETURN(*shape, Tuple());
      seen[2] = true;
    } else {
      return Error(absl::StrCat("unexpected key '", key, "'"));
    }
    if (!Accept(',')) {
      FP_RETURN_IF_ERROR(Expect('}'));
      break;
    }
  }
  if (!seen[0] || !seen[1] || !seen[2]) {
    return Error("the dict lacks one of 'descr', 'fortran_order', 'shape'");
  }
  return absl::OkStatus();
}

// "<f4" → (kF32, little endian). Accepts byte orders <, >, | and =.
absl::Status ParseDescr(NpyArray* array) {
  absl::string_view d = array->descr;
  char order = '=';
  if (!d.empty() && absl::string_view("<>|=").find(d[0]) != absl::string_view::npos) {
    order = d[0];
    d.remove_prefix(1);
  }
  array->big_endian = order == '>' || (order == '=' && std::endian::native == std::endian::big);
  static constexpr struct {
    absl::string_view code;
    SampleType type;
  } kTypes[] = {{"u1", SampleType::kU8},  {"i1", SampleType::kI8},  {"i2", SampleType::kI16},
                {"i4", SampleType::kI32}, {"i8", SampleType::kI64}, {"f4", SampleType::kF32},
                {"f8", SampleType::kF64}};
  for (const auto& t : kTypes) {
    if (d == t.code) {
      array->type = t.type;
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported dtype '", array->descr,
                   "' (supported: |u1, |i1, <i2, <i4, <i8, <f4, <f8 and their big-endian forms)"));
}

struct Preamble {
  int64_t header_start = 0;
  int64_t header_len = 0;
};

absl::StatusOr<Preamble> ParsePreamble(absl::string_view bytes) {
  if (bytes.empty()) return absl::InvalidArgumentError("file is empty");
  if (!absl::StartsWith(bytes, "\x93NUMPY")) {
    return absl::InvalidArgumentError(
        "bad magic at byte 0: not a NumPy .npy file (expected \\x93NUMPY)");
  }
  if (bytes.size() < 10) {
    return absl::InvalidArgumentError(absl::StrCat(
        "truncated header: ", bytes.size(), " bytes, but the .npy preamble needs at least 10"));
  }
  const auto b = [&](size_t i) { return static_cast<unsigned char>(bytes[i]); };
  const int major = b(6);
  if (major < 1 || major > 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("byte 6: unsupported .npy format version ", major, ".", b(7)));
  }
  Preamble p;
  p.header_start = major == 1 ? 10 : 12;
  if (static_cast<int64_t>(bytes.size()) < p.header_start) {
    return absl::InvalidArgumentError("truncated header: the header length at byte 8 is cut off");
  }
  p.header_len =
      major == 1
          ? (b(8) | b(9) << 8)
          : (int64_t{b(8)} | int64_t{b(9)} << 8 | int64_t{b(10)} << 16 | int64_t{b(11)} << 24);
  if (p.header_start + p.header_len > static_cast<int64_t>(bytes.size())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "truncated header: byte 8 says the header is ", p.header_len, " bytes from byte ",
        p.header_start, ", past the end of the ", bytes.size(), "-byte file"));
  }
  return p;
}

absl::StatusOr<NpyArray> ParseNpy(absl::string_view bytes, int64_t max_bytes) {
  FP_ASSIGN_OR_RETURN(Preamble p, ParsePreamble(bytes));
  NpyArray array;
  bool fortran_order = false;
  HeaderParser parser(bytes.substr(p.header_start, p.header_len), p.header_start);
  FP_RETURN_IF_ERROR(parser.Parse(&array.descr, &fortran_order, &array.dims));
  FP_RETURN_IF_ERROR(ParseDescr(&array));
  const int64_t non_unit =
      std::count_if(array.dims.begin(), array.dims.end(), [](int64_t d) { return d > 1; });
  if (fortran_order && non_unit > 1) {  // order only matters with 2+ real dims
    return absl::InvalidArgumentError(
        "fortran_order=True is not supported; save a C-ordered array "
        "(np.save(path, np.ascontiguousarray(a)))");
  }
  if (array.dims.empty()) return absl::InvalidArgumentError("a 0-d (scalar) array holds no items");
  const int64_t elem = static_cast<int64_t>(SampleTypeSize(array.type));
  absl::StatusOr<int64_t> size = CheckedByteSize(array.dims, elem, max_bytes);
  FP_RETURN_IF_ERROR(WithContext(size.status(), "header shape"));
  array.data_offset = p.header_start + p.header_len;
  const int64_t available = static_cast<int64_t>(bytes.size()) - array.data_offset;
  if (available != *size) {
    return absl::InvalidArgumentError(absl::StrCat("header says ", DimsToString(array.dims), " ",
                                                   array.descr, " = ", *size, " bytes of data but ",
                                                   available < *size ? "only " : "", available,
                                                   " follow at byte ", array.data_offset));
  }
  array.data = bytes.substr(array.data_offset);
  return array;
}

absl::StatusOr<std::vector<int32_t>> ReadNpyLabels(absl::string_view bytes, int64_t image_count,
                                                   int64_t max_bytes) {
  FP_ASSIGN_OR_RETURN(NpyArray array, ParseNpy(bytes, max_bytes));
  const bool column = array.dims.size() == 2 && array.dims[1] == 1;
  if (array.dims.size() != 1 && !column) {
    return absl::InvalidArgumentError(absl::StrCat("labels must have shape (N,) or (N, 1), not (",
                                                   absl::StrJoin(array.dims, ", "), ")"));
  }
  FP_RETURN_IF_ERROR(CheckLabelCount(array.dims[0], image_count));
  return DecodeLabels(array.data, array.type, array.big_endian, array.dims[0], array.data_offset);
}

}  // namespace

absl::StatusOr<Dataset> ReadNpy(absl::string_view images, absl::string_view labels,
                                const ReaderContext& ctx) {
  absl::StatusOr<NpyArray> array = ParseNpy(images, ctx.opts.max_bytes);
  FP_RETURN_IF_ERROR(WithContext(array.status(), ctx.name));
  return BuildArrayDataset({array->data, array->type, array->big_endian, array->dims}, labels,
                           &ReadNpyLabels, DatasetFormat::kNpy, ctx);
}

}  // namespace fixpoint::io::internal
