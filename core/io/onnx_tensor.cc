// onnx.TensorProto -> ir::Tensor, with every size checked before anything is
// allocated: an allocation is never larger than the data the proto carries.
#include "core/io/onnx_tensor.h"

#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/io/onnx_proto_convert.h"
#include "core/util/status_macros.h"

namespace fixpoint::io {
namespace {

// raw_data is little-endian; we copy it byte for byte.
static_assert(std::endian::native == std::endian::little,
              "the ONNX raw_data reader assumes a little-endian host");

using onnx::TensorProto;

// Element counts above this are refused before any size arithmetic can
// overflow (2^50 elements of 8 bytes still fit in int64 and size_t).
constexpr int64_t kMaxElements = int64_t{1} << 50;

std::string Describe(const TensorProto& p) {
  return p.name().empty() ? std::string("tensor") : absl::StrCat("tensor '", p.name(), "'");
}

absl::StatusOr<ir::Shape> ShapeOf(const TensorProto& p) {
  std::vector<int64_t> dims(p.dims().begin(), p.dims().end());
  int64_t n = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(Describe(p), ": negative dimension ", dims[i], " at index ", i));
    }
    if (dims[i] != 0 && n > kMaxElements / dims[i]) {
      return absl::InvalidArgumentError(absl::StrCat(
          Describe(p), ": dims [", absl::StrJoin(dims, ","), "] have too many elements"));
    }
    n *= dims[i];
  }
  return ir::Shape(std::move(dims));
}

// Names of the data fields that hold values, for "has X but expected Y".
std::vector<std::string> DataFieldsSet(const TensorProto& p) {
  std::vector<std::string> set;
  if (!p.raw_data().empty()) set.push_back("raw_data");
  if (p.float_data_size() > 0) set.push_back("float_data");
  if (p.int32_data_size() > 0) set.push_back("int32_data");
  if (p.int64_data_size() > 0) set.push_back("int64_data");
  if (p.double_data_size() > 0) set.push_back("double_data");
  if (p.uint64_data_size() > 0) set.push_back("uint64_data");
  if (p.string_data_size() > 0) set.push_back("string_data");
  return set;
}

// The typed field that carries values of `dtype`.
const char* TypedFieldFor(ir::DType dtype) {
  switch (dtype) {
    case ir::DType::kF32:
      return "float_data";
    case ir::DType::kI64:
      return "int64_data";
    default:
      return "int32_data";
  }
}

absl::Status CountMismatch(const TensorProto& p, absl::string_view field, int64_t got,
                           int64_t want) {
  return absl::InvalidArgumentError(absl::StrCat(Describe(p), ": ", field, " holds ", got,
                                                 " values but dims have ", want, " elements"));
}

absl::Status FillFromRaw(const TensorProto& p, ir::Tensor& t) {
  const std::string& raw = p.raw_data();  // size checked by the caller
  if (!raw.empty()) std::memcpy(t.raw(), raw.data(), raw.size());
  if (t.dtype() == ir::DType::kBool) {
    auto* b = t.data<uint8_t>();
    for (size_t i = 0; i < raw.size(); ++i) b[i] = b[i] != 0;
  }
  return absl::OkStatus();
}

// int32_data carries i32, i8, u8, bool and (as bit patterns) f16.
absl::Status FillFromInt32(const TensorProto& p, ir::Tensor& t) {
  const int64_t n = t.NumElements();
  int64_t lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max();
  switch (t.dtype()) {
    case ir::DType::kI8:
      lo = -128, hi = 127;
      break;
    case ir::DType::kU8:
      lo = 0, hi = 255;
      break;
    case ir::DType::kBool:
      lo = 0, hi = 1;
      break;
    case ir::DType::kF16:
      lo = 0, hi = 65535;
      break;
    default:
      break;
  }
  for (int64_t i = 0; i < n; ++i) {
    const int32_t v = p.int32_data(static_cast<int>(i));
    if (v < lo || v > hi) {
      return absl::InvalidArgumentError(absl::StrCat(Describe(p), ": int32_data[", i, "] = ", v,
                                                     " is out of range for ",
                                                     ir::DTypeName(t.dtype())));
    }
    switch (t.dtype()) {
      case ir::DType::kI8:
        t.data<int8_t>()[i] = static_cast<int8_t>(v);
        break;
      case ir::DType::kU8:
      case ir::DType::kBool:
        t.data<uint8_t>()[i] = static_cast<uint8_t>(v);
        break;
      case ir::DType::kF16:
        t.data<uint16_t>()[i] = static_cast<uint16_t>(v);
        break;
      default:
        t.data<int32_t>()[i] = v;
        break;
    }
  }
  return absl::OkStatus();
}

// The typed field's element count was checked by the caller.
absl::Status FillFromTyped(const TensorProto& p, ir::Tensor& t) {
  switch (t.dtype()) {
    case ir::DType::kF32:
      if (t.ByteSize() > 0) std::memcpy(t.raw(), p.float_data().data(), t.ByteSize());
      return absl::OkStatus();
    case ir::DType::kI64:
      if (t.ByteSize() > 0) std::memcpy(t.raw(), p.int64_data().data(), t.ByteSize());
      return absl::OkStatus();
    default:
      return FillFromInt32(p, t);
  }
}

absl::Status CheckNotExternal(const TensorProto& p) {
  if (p.data_location() == TensorProto::EXTERNAL || p.external_data_size() > 0) {
    std::string location;
    for (const auto& kv : p.external_data()) {
      if (kv.key() == "location") location = absl::StrCat(" (in '", kv.value(), "')");
    }
    return absl::UnimplementedError(
        absl::StrCat(Describe(p), ": external data", location,
                     " is not supported; save the model with its weights embedded"));
  }
  if (p.has_segment()) {
    return absl::UnimplementedError(
        absl::StrCat(Describe(p), ": segmented tensors are not supported"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string OnnxDTypeName(int32_t onnx_type) {
  if (!TensorProto::DataType_IsValid(onnx_type)) return absl::StrCat("data type ", onnx_type);
  return TensorProto::DataType_Name(static_cast<TensorProto::DataType>(onnx_type));
}

absl::StatusOr<ir::DType> DTypeFromOnnx(int32_t onnx_type, absl::string_view what) {
  switch (onnx_type) {
    case TensorProto::FLOAT:
      return ir::DType::kF32;
    case TensorProto::FLOAT16:
      return ir::DType::kF16;
    case TensorProto::INT8:
      return ir::DType::kI8;
    case TensorProto::UINT8:
      return ir::DType::kU8;
    case TensorProto::INT32:
      return ir::DType::kI32;
    case TensorProto::INT64:
      return ir::DType::kI64;
    case TensorProto::BOOL:
      return ir::DType::kBool;
    default:
      break;
  }
  if (onnx_type == TensorProto::UNDEFINED || !TensorProto::DataType_IsValid(onnx_type)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": invalid element type (", OnnxDTypeName(onnx_type), ")"));
  }
  return absl::UnimplementedError(
      absl::StrCat(what, ": element type ", OnnxDTypeName(onnx_type), " is not supported"));
}

int32_t OnnxFromDType(ir::DType dtype) {
  switch (dtype) {
    case ir::DType::kF32:
      return TensorProto::FLOAT;
    case ir::DType::kF16:
      return TensorProto::FLOAT16;
    case ir::DType::kI8:
      return TensorProto::INT8;
    case ir::DType::kU8:
      return TensorProto::UINT8;
    case ir::DType::kI32:
      return TensorProto::INT32;
    case ir::DType::kI64:
      return TensorProto::INT64;
    case ir::DType::kBool:
      return TensorProto::BOOL;
  }
  return TensorProto::UNDEFINED;
}

absl::StatusOr<ir::Tensor> TensorFromProto(const TensorProto& p) {
  FP_RETURN_IF_ERROR(CheckNotExternal(p));
  FP_ASSIGN_OR_RETURN(ir::DType dtype, DTypeFromOnnx(p.data_type(), Describe(p)));
  FP_ASSIGN_OR_RETURN(ir::Shape shape, ShapeOf(p));
  const std::vector<std::string> fields = DataFieldsSet(p);
  const int64_t n = shape.NumElements();
  if (fields.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat(Describe(p), ": data in more than one field (",
                                                   absl::StrJoin(fields, ", "), ")"));
  }
  const std::string expected = TypedFieldFor(dtype);
  if (fields.empty()) {
    if (n == 0) return ir::Tensor(dtype, std::move(shape));
    return absl::InvalidArgumentError(
        absl::StrCat(Describe(p), ": dims have ", n, " elements but the tensor has no data"));
  }
  if (fields[0] != "raw_data" && fields[0] != expected) {
    return absl::InvalidArgumentError(absl::StrCat(Describe(p), ": data type ",
                                                   OnnxDTypeName(p.data_type()), " expects ",
                                                   expected, " or raw_data, found ", fields[0]));
  }
  // Sizes are checked before allocating, so an allocation never exceeds the
  // data the proto carries (n <= 2^50, so n * 8 cannot overflow).
  if (fields[0] == "raw_data") {
    const size_t need = static_cast<size_t>(n) * ir::DTypeSize(dtype);
    if (p.raw_data().size() != need) {
      return absl::InvalidArgumentError(
          absl::StrCat(Describe(p), ": raw_data has ", p.raw_data().size(), " bytes but ",
                       ir::DTypeName(dtype), shape.ToString(), " needs ", need));
    }
  } else {
    const int64_t count = fields[0] == "float_data"   ? p.float_data_size()
                          : fields[0] == "int64_data" ? p.int64_data_size()
                                                      : p.int32_data_size();
    if (count != n) return CountMismatch(p, fields[0], count, n);
  }
  ir::Tensor t(dtype, std::move(shape));
  if (fields[0] == "raw_data") {
    FP_RETURN_IF_ERROR(FillFromRaw(p, t));
  } else {
    FP_RETURN_IF_ERROR(FillFromTyped(p, t));
  }
  return t;
}

absl::StatusOr<ir::Tensor> ParseOnnxTensor(absl::string_view bytes) {
  TensorProto proto;
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError(absl::StrCat("malformed protobuf: ", bytes.size(),
                                                   " bytes are not a valid onnx.TensorProto"));
  }
  return TensorFromProto(proto);
}

absl::StatusOr<ir::Tensor> ReadOnnxTensorFile(const std::string& path) {
  FP_ASSIGN_OR_RETURN(
      std::string bytes,
      ReadOnnxFileBytes(path, static_cast<size_t>(std::numeric_limits<int>::max())));
  auto tensor = ParseOnnxTensor(bytes);
  if (!tensor.ok()) return WithContext(tensor.status(), absl::StrCat("'", path, "'"));
  return tensor;
}

absl::StatusOr<std::string> OnnxTensorName(absl::string_view bytes) {
  TensorProto proto;
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError(absl::StrCat("malformed protobuf: ", bytes.size(),
                                                   " bytes are not a valid onnx.TensorProto"));
  }
  return proto.name();
}

absl::StatusOr<std::string> ReadOnnxFileBytes(const std::string& path, size_t max_bytes) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) {
    return absl::NotFoundError(absl::StrCat("cannot read '", path, "': ", ec.message()));
  }
  if (size > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "' is ", size, " bytes, more than the limit of ", max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open '", path, "'"));
  std::string bytes(static_cast<size_t>(size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (static_cast<uintmax_t>(in.gcount()) != size) {
    return absl::DataLossError(
        absl::StrCat("short read of '", path, "': ", in.gcount(), " of ", size, " bytes"));
  }
  return bytes;
}

}  // namespace fixpoint::io
