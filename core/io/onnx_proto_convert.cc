// Attribute and value-info conversions (tensor conversions are in
// onnx_tensor.cc).
#include "core/io/onnx_proto_convert.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace fixpoint::io {
namespace {

using onnx::AttributeProto;

// Old models leave `type` unset; the kind is then whichever field is set.
AttributeProto::AttributeType GuessType(const AttributeProto& a) {
  if (a.has_f()) return AttributeProto::FLOAT;
  if (a.has_i()) return AttributeProto::INT;
  if (a.has_s()) return AttributeProto::STRING;
  if (a.has_t()) return AttributeProto::TENSOR;
  if (a.has_g()) return AttributeProto::GRAPH;
  if (a.floats_size() > 0) return AttributeProto::FLOATS;
  if (a.ints_size() > 0) return AttributeProto::INTS;
  if (a.strings_size() > 0) return AttributeProto::STRINGS;
  if (a.graphs_size() > 0) return AttributeProto::GRAPHS;
  return AttributeProto::UNDEFINED;
}

}  // namespace

absl::StatusOr<ir::Attribute> AttributeFromProto(const AttributeProto& a) {
  const std::string what = absl::StrCat("attribute '", a.name(), "'");
  if (!a.ref_attr_name().empty()) {
    return absl::UnimplementedError(
        absl::StrCat(what, ": function attribute references are not supported"));
  }
  const AttributeProto::AttributeType type =
      a.type() == AttributeProto::UNDEFINED ? GuessType(a) : a.type();
  switch (type) {
    case AttributeProto::FLOAT:
      return ir::Attribute(a.f());
    case AttributeProto::INT:
      return ir::Attribute(static_cast<int64_t>(a.i()));
    case AttributeProto::STRING:
      return ir::Attribute(a.s());
    case AttributeProto::FLOATS:
      return ir::Attribute(std::vector<float>(a.floats().begin(), a.floats().end()));
    case AttributeProto::INTS:
      return ir::Attribute(std::vector<int64_t>(a.ints().begin(), a.ints().end()));
    case AttributeProto::STRINGS:
      return ir::Attribute(std::vector<std::string>(a.strings().begin(), a.strings().end()));
    case AttributeProto::TENSOR: {
      auto t = TensorFromProto(a.t());
      if (!t.ok()) return WithContext(t.status(), what);
      return ir::Attribute(std::move(*t));
    }
    case AttributeProto::UNDEFINED:
      return absl::InvalidArgumentError(absl::StrCat(what, ": no type and no value"));
    default:
      break;
  }
  if (!AttributeProto::AttributeType_IsValid(type)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": invalid type ", type));
  }
  return absl::UnimplementedError(absl::StrCat(what, ": ", AttributeProto::AttributeType_Name(type),
                                               " attributes are not supported"));
}

absl::StatusOr<ir::ValueInfo> ValueInfoFromProto(const onnx::ValueInfoProto& info,
                                                 bool require_shape, bool* has_shape) {
  const std::string what = absl::StrCat("value '", info.name(), "'");
  if (info.name().empty()) {
    return absl::InvalidArgumentError("a graph input or output has no name");
  }
  if (!info.type().has_tensor_type()) {
    return absl::UnimplementedError(
        absl::StrCat(what, ": only tensor types are supported (not sequences, maps or optionals)"));
  }
  const onnx::TypeProto::Tensor& tt = info.type().tensor_type();
  ir::ValueInfo out;
  out.name = info.name();
  FP_ASSIGN_OR_RETURN(out.dtype, DTypeFromOnnx(tt.elem_type(), what));
  *has_shape = tt.has_shape();
  if (!tt.has_shape()) {
    if (require_shape) {
      return absl::UnimplementedError(absl::StrCat(what, ": unknown rank (no shape)"));
    }
    return out;
  }
  std::vector<int64_t> dims;
  for (const auto& d : tt.shape().dim()) {
    if (d.has_dim_value()) {
      if (d.dim_value() < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, ": negative dimension ", d.dim_value()));
      }
      dims.push_back(d.dim_value());
    } else {
      dims.push_back(ir::kDynamicDim);  // dim_param or nothing: known at run time
    }
  }
  out.shape = ir::Shape(std::move(dims));
  return out;
}

}  // namespace fixpoint::io
