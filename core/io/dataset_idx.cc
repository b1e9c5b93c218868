// IDX reader (the MNIST format): bytes 0-1 zero, byte 2 the element type,
// byte 3 the rank, then one big-endian u32 per dimension, then the data.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/io/dataset_readers.h"
#include "core/util/status_macros.h"

namespace fixpoint::io::internal {
namespace {

struct IdxArray {
  SampleType type = SampleType::kU8;
  std::vector<int64_t> dims;
  absl::string_view data;
  int64_t data_offset = 0;
};

absl::StatusOr<SampleType> IdxElementType(unsigned char code) {
  switch (code) {
    case 0x08:
      return SampleType::kU8;
    case 0x09:
      return SampleType::kI8;
    case 0x0B:
      return SampleType::kI16;
    case 0x0C:
      return SampleType::kI32;
    case 0x0D:
      return SampleType::kF32;
    case 0x0E:
      return SampleType::kF64;
  }
  return absl::InvalidArgumentError(absl::StrFormat(
      "byte 2: unknown IDX element type 0x%02x (expected 0x08 u8, 0x09 i8, 0x0b i16, "
      "0x0c i32, 0x0d f32 or 0x0e f64)",
      code));
}

uint32_t LoadBigEndianU32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

absl::StatusOr<IdxArray> ParseIdx(absl::string_view bytes, int64_t max_bytes) {
  if (bytes.empty()) return absl::InvalidArgumentError("file is empty");
  if (bytes.size() < 4) {
    return absl::InvalidArgumentError(absl::StrCat(
        "truncated header: ", bytes.size(), " bytes, but the IDX magic number alone needs 4"));
  }
  const uint32_t magic = LoadBigEndianU32(bytes.data());
  if ((magic >> 16) != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "bad magic 0x%08x at byte 0: not an IDX file (expected 0x0000TTRR, e.g. 0x00000803)",
        magic));
  }
  IdxArray array;
  FP_ASSIGN_OR_RETURN(array.type, IdxElementType(static_cast<unsigned char>(bytes[2])));
  const int rank = static_cast<unsigned char>(bytes[3]);
  if (rank == 0) return absl::InvalidArgumentError("byte 3: IDX rank is 0");
  const int64_t header = 4 + 4 * int64_t{rank};
  if (static_cast<int64_t>(bytes.size()) < header) {
    return absl::InvalidArgumentError(absl::StrCat("truncated header: rank ", rank, " needs ",
                                                   header, " header bytes but the file has only ",
                                                   bytes.size()));
  }
  for (int i = 0; i < rank; ++i) array.dims.push_back(LoadBigEndianU32(bytes.data() + 4 + 4 * i));
  const int64_t elem = static_cast<int64_t>(SampleTypeSize(array.type));
  absl::StatusOr<int64_t> size = CheckedByteSize(array.dims, elem, max_bytes);
  FP_RETURN_IF_ERROR(WithContext(size.status(), "header dims"));
  const int64_t available = static_cast<int64_t>(bytes.size()) - header;
  if (available != *size) {
    return absl::InvalidArgumentError(
        absl::StrCat("header says ", DimsToString(array.dims), " ", SampleTypeName(array.type),
                     " = ", *size, " bytes of data but ", available < *size ? "only " : "",
                     available, " follow at byte ", header));
  }
  array.data = bytes.substr(header);
  array.data_offset = header;
  return array;
}

absl::StatusOr<std::vector<int32_t>> ReadIdxLabels(absl::string_view bytes, int64_t image_count,
                                                   int64_t max_bytes) {
  FP_ASSIGN_OR_RETURN(IdxArray array, ParseIdx(bytes, max_bytes));
  const bool column = array.dims.size() == 2 && array.dims[1] == 1;
  if (array.dims.size() != 1 && !column) {
    return absl::InvalidArgumentError(absl::StrCat("labels must have shape [N] (idx1), not [",
                                                   absl::StrJoin(array.dims, ","), "]"));
  }
  FP_RETURN_IF_ERROR(CheckLabelCount(array.dims[0], image_count));
  return DecodeLabels(array.data, array.type, /*big_endian=*/true, array.dims[0],
                      array.data_offset);
}

}  // namespace

absl::StatusOr<Dataset> ReadIdx(absl::string_view images, absl::string_view labels,
                                const ReaderContext& ctx) {
  absl::StatusOr<IdxArray> array = ParseIdx(images, ctx.opts.max_bytes);
  FP_RETURN_IF_ERROR(WithContext(array.status(), ctx.name));
  return BuildArrayDataset({array->data, array->type, true, array->dims}, labels,
                           &ReadIdxLabels, DatasetFormat::kIdx, ctx);
}

}  // namespace fixpoint::io::internal
