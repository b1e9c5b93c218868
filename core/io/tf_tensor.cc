// TensorFlow TensorProto -> ir::Tensor, with every size checked before
// anything is allocated: an allocation is never larger than `max_bytes`.
#include "core/io/tf_tensor.h"

#include <bit>
#include <cstring>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/util/status_macros.h"
#include "proto/tensorflow/types.pb.h"

namespace fixpoint::io {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the TensorProto tensor_content reader assumes a little-endian host");

using tfproto::TensorProto;

// Reference types (DT_FLOAT_REF = 101, ...) are their base type + 100.
constexpr int kRefOffset = 100;

int BaseType(int tf_type) { return tf_type > kRefOffset ? tf_type - kRefOffset : tf_type; }

// Static element count of `dims`, or an error when its bytes at
// `elem_size` per element would exceed `max_bytes` (checked without overflow).
absl::StatusOr<int64_t> CheckedElements(const std::vector<int64_t>& dims, size_t elem_size,
                                        absl::string_view what, size_t max_bytes) {
  const uint64_t max_elems = max_bytes / (elem_size == 0 ? 1 : elem_size);
  uint64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) continue;  // dynamic; the caller has rejected it where it matters
    if (d != 0 && n > max_elems / static_cast<uint64_t>(d)) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": shape [", absl::StrJoin(dims, ","),
                                                     "] is larger than the limit of ", max_bytes,
                                                     " bytes"));
    }
    n *= static_cast<uint64_t>(d);
  }
  if (n > max_elems) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": shape [", absl::StrJoin(dims, ","),
                                                   "] is larger than the limit of ", max_bytes,
                                                   " bytes"));
  }
  return static_cast<int64_t>(n);
}

template <typename T, typename Field>
void FillTyped(const Field& values, int64_t n, T* out) {
  const int64_t given = values.size();
  for (int64_t i = 0; i < n; ++i) {
    // TensorFlow repeats the last value to fill the shape (a "splat").
    out[i] = given == 0 ? T{} : static_cast<T>(values.Get(i < given ? i : given - 1));
  }
}

// Number of values in the typed field that holds `dtype`, and its name.
std::pair<int64_t, const char*> TypedCount(const TensorProto& p, ir::DType dtype) {
  switch (dtype) {
    case ir::DType::kF32:
      return {p.float_val_size(), "float_val"};
    case ir::DType::kF16:
      return {p.half_val_size(), "half_val"};
    case ir::DType::kI64:
      return {p.int64_val_size(), "int64_val"};
    case ir::DType::kBool:
      return {p.bool_val_size(), "bool_val"};
    default:
      return {p.int_val_size(), "int_val"};
  }
}

void DecodeTyped(const TensorProto& p, ir::Tensor& t) {
  const int64_t n = t.NumElements();
  switch (t.dtype()) {
    case ir::DType::kF32:
      FillTyped(p.float_val(), n, t.data<float>());
      break;
    case ir::DType::kF16:
      FillTyped(p.half_val(), n, t.data<uint16_t>());
      break;
    case ir::DType::kI8:
      FillTyped(p.int_val(), n, t.data<int8_t>());
      break;
    case ir::DType::kU8:
      FillTyped(p.int_val(), n, t.data<uint8_t>());
      break;
    case ir::DType::kI32:
      FillTyped(p.int_val(), n, t.data<int32_t>());
      break;
    case ir::DType::kI64:
      FillTyped(p.int64_val(), n, t.data<int64_t>());
      break;
    case ir::DType::kBool:
      FillTyped(p.bool_val(), n, t.data<uint8_t>());
      break;
  }
}

}  // namespace

std::string TfDTypeName(int tf_type) {
  const int base = BaseType(tf_type);
  if (tfproto::DataType_IsValid(base)) {
    return tfproto::DataType_Name(static_cast<tfproto::DataType>(base));
  }
  return absl::StrCat("data type ", tf_type);
}

absl::StatusOr<ir::DType> DTypeFromTf(int tf_type, absl::string_view what) {
  switch (BaseType(tf_type)) {
    case tfproto::DT_FLOAT:
      return ir::DType::kF32;
    case tfproto::DT_HALF:
      return ir::DType::kF16;
    case tfproto::DT_INT8:
      return ir::DType::kI8;
    case tfproto::DT_UINT8:
      return ir::DType::kU8;
    case tfproto::DT_INT32:
      return ir::DType::kI32;
    case tfproto::DT_INT64:
      return ir::DType::kI64;
    case tfproto::DT_BOOL:
      return ir::DType::kBool;
    case tfproto::DT_INVALID:
      return absl::InvalidArgumentError(absl::StrCat(what, ": no data type (DT_INVALID)"));
    default:
      break;
  }
  if (!tfproto::DataType_IsValid(BaseType(tf_type))) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": unknown data type ", tf_type));
  }
  return absl::UnimplementedError(
      absl::StrCat(what, ": data type ", TfDTypeName(tf_type), " is not supported"));
}

absl::StatusOr<ir::Shape> ShapeFromTf(const tfproto::TensorShapeProto& proto,
                                      absl::string_view what, size_t max_bytes) {
  if (proto.unknown_rank()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": the shape has unknown rank"));
  }
  std::vector<int64_t> dims;
  dims.reserve(proto.dim_size());
  for (const auto& d : proto.dim()) {
    if (d.size() < -1) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": dimension ", dims.size(), " has size ", d.size()));
    }
    dims.push_back(d.size() == -1 ? ir::kDynamicDim : d.size());
  }
  FP_RETURN_IF_ERROR(CheckedElements(dims, 4, what, max_bytes).status());
  return ir::Shape(std::move(dims));
}

absl::StatusOr<ir::Tensor> TensorFromTf(const TensorProto& p, absl::string_view what,
                                        size_t max_bytes) {
  FP_ASSIGN_OR_RETURN(ir::DType dtype, DTypeFromTf(p.dtype(), what));
  if (p.tensor_shape().unknown_rank()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": the tensor has unknown rank"));
  }
  std::vector<int64_t> dims;
  for (const auto& d : p.tensor_shape().dim()) {
    if (d.size() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": dimension ", dims.size(), " has size ", d.size()));
    }
    dims.push_back(d.size());
  }
  const size_t elem_size = ir::DTypeSize(dtype);
  FP_ASSIGN_OR_RETURN(int64_t n, CheckedElements(dims, elem_size, what, max_bytes));
  const auto [count, field] = TypedCount(p, dtype);
  if (!p.tensor_content().empty()) {
    const size_t want = static_cast<size_t>(n) * elem_size;
    if (p.tensor_content().size() != want) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": tensor_content has ", p.tensor_content().size(), " bytes but ",
                       TfDTypeName(p.dtype()), "[", absl::StrJoin(dims, ","), "] needs ", want));
    }
    ir::Tensor t(dtype, ir::Shape(std::move(dims)));
    if (want > 0) std::memcpy(t.raw(), p.tensor_content().data(), want);
    return t;
  }
  if (count > n) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", field, " holds ", count,
                                                   " values but the shape [",
                                                   absl::StrJoin(dims, ","), "] has ", n));
  }
  ir::Tensor t(dtype, ir::Shape(std::move(dims)));
  DecodeTyped(p, t);
  return t;
}

}  // namespace fixpoint::io
