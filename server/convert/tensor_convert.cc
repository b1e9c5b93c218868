#include "server/convert/tensor_convert.h"

#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/util/status_macros.h"

namespace fixpoint::server {
namespace {

using inference::InferTensorContents;
using InputTensor = inference::ModelInferRequest::InferInputTensor;

// Larger tensors are refused before any arithmetic can overflow (gRPC's
// message limit stops far smaller ones anyway).
constexpr int64_t kMaxElements = int64_t{1} << 40;

constexpr ir::DType kServedTypes[] = {ir::DType::kF32, ir::DType::kF16, ir::DType::kI8,
                                      ir::DType::kU8,  ir::DType::kI32, ir::DType::kI64,
                                      ir::DType::kBool};

std::string DimsString(absl::Span<const int64_t> dims) {
  return absl::StrCat("[", absl::StrJoin(dims, ","), "]");
}

absl::Status InputError(const std::string& input, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("input '", input, "': ", what));
}

// Names of the typed fields that hold values, e.g. {"fp32_contents"}.
std::vector<std::string> SetContentFields(const InferTensorContents& c) {
  std::vector<std::string> set;
  if (c.bool_contents_size() > 0) set.push_back("bool_contents");
  if (c.int_contents_size() > 0) set.push_back("int_contents");
  if (c.int64_contents_size() > 0) set.push_back("int64_contents");
  if (c.uint_contents_size() > 0) set.push_back("uint_contents");
  if (c.uint64_contents_size() > 0) set.push_back("uint64_contents");
  if (c.fp32_contents_size() > 0) set.push_back("fp32_contents");
  if (c.fp64_contents_size() > 0) set.push_back("fp64_contents");
  if (c.bytes_contents_size() > 0) set.push_back("bytes_contents");
  return set;
}

// The typed field that carries `dtype`; empty for FP16 (raw only).
absl::string_view TypedField(ir::DType dtype) {
  switch (dtype) {
    case ir::DType::kF32:
      return "fp32_contents";
    case ir::DType::kI8:
    case ir::DType::kI32:
      return "int_contents";
    case ir::DType::kU8:
      return "uint_contents";
    case ir::DType::kI64:
      return "int64_contents";
    case ir::DType::kBool:
      return "bool_contents";
    case ir::DType::kF16:
      return "";
  }
  return "";
}

// Copies a repeated field into `out` element by element, checking that each
// value fits the target type.
template <typename Dst, typename Src>
absl::Status CopyChecked(const google::protobuf::RepeatedField<Src>& values,
                         const std::string& input, absl::string_view field,
                         absl::string_view datatype, Dst* out) {
  for (int i = 0; i < values.size(); ++i) {
    const Src v = values.Get(i);
    bool below = false;
    if constexpr (std::is_signed_v<Src>) below = v < std::numeric_limits<Dst>::min();
    if (below || v > static_cast<Src>(std::numeric_limits<Dst>::max())) {
      return InputError(input,
                        absl::StrCat(field, "[", i, "] = ", v, " is out of range for ", datatype));
    }
    out[i] = static_cast<Dst>(v);
  }
  return absl::OkStatus();
}

absl::Status FillFromTyped(const InputTensor& in, ir::Tensor* t) {
  const InferTensorContents& c = in.contents();
  const ir::DType dtype = t->dtype();
  const absl::string_view field = TypedField(dtype);
  const absl::string_view datatype = KServeDatatype(dtype);
  std::vector<std::string> set = SetContentFields(c);
  if (field.empty()) {
    return InputError(in.name(), absl::StrCat(datatype,
                                              " has no typed contents field; send it in "
                                              "raw_input_contents"));
  }
  if (set.empty()) {
    return InputError(in.name(), "no data: neither raw_input_contents nor contents is set");
  }
  if (set.size() != 1 || set[0] != field) {
    return InputError(in.name(), absl::StrCat(datatype, " values go in ", field, ", but ",
                                              absl::StrJoin(set, " and "), " is set"));
  }
  int64_t count = 0;
  switch (dtype) {
    case ir::DType::kF32:
      count = c.fp32_contents_size();
      break;
    case ir::DType::kI8:
    case ir::DType::kI32:
      count = c.int_contents_size();
      break;
    case ir::DType::kU8:
      count = c.uint_contents_size();
      break;
    case ir::DType::kI64:
      count = c.int64_contents_size();
      break;
    case ir::DType::kBool:
      count = c.bool_contents_size();
      break;
    case ir::DType::kF16:
      break;
  }
  if (count != t->NumElements()) {
    return InputError(in.name(), absl::StrCat(field, " has ", count, " values, shape ",
                                              DimsString(in.shape()), " needs ", t->NumElements()));
  }
  switch (dtype) {
    case ir::DType::kF32:
      std::memcpy(t->raw(), c.fp32_contents().data(), t->ByteSize());
      return absl::OkStatus();
    case ir::DType::kI8:
      return CopyChecked(c.int_contents(), in.name(), field, datatype, t->data<int8_t>());
    case ir::DType::kU8:
      return CopyChecked(c.uint_contents(), in.name(), field, datatype, t->data<uint8_t>());
    case ir::DType::kI32:
      std::memcpy(t->raw(), c.int_contents().data(), t->ByteSize());
      return absl::OkStatus();
    case ir::DType::kI64:
      std::memcpy(t->raw(), c.int64_contents().data(), t->ByteSize());
      return absl::OkStatus();
    case ir::DType::kBool:
      for (int64_t i = 0; i < count; ++i) t->data<uint8_t>()[i] = c.bool_contents(i) ? 1 : 0;
      return absl::OkStatus();
    case ir::DType::kF16:
      break;
  }
  return absl::OkStatus();
}

// Checks `in`'s datatype and shape against the model's input `want`; on
// success returns the request's shape.
absl::StatusOr<ir::Shape> CheckedShape(const InputTensor& in, const ir::ValueInfo& want) {
  std::optional<ir::DType> dtype = ParseKServeDatatype(in.datatype());
  if (!dtype.has_value()) {
    return InputError(in.name(), absl::StrCat("unknown datatype '", in.datatype(), "'"));
  }
  if (*dtype != want.dtype) {
    return InputError(in.name(), absl::StrCat("model expects ", KServeDatatype(want.dtype),
                                              ", got ", in.datatype()));
  }
  if (in.shape_size() != want.shape.rank()) {
    return InputError(in.name(),
                      absl::StrCat("shape ", DimsString(in.shape()), " has rank ", in.shape_size(),
                                   ", the model expects ", DimsString(KServeShape(want.shape)),
                                   " (rank ", want.shape.rank(), ")"));
  }
  int64_t elements = 1;
  for (int d = 0; d < in.shape_size(); ++d) {
    const int64_t dim = in.shape(d);
    if (dim < 0) {
      return InputError(in.name(), absl::StrCat("dimension ", d, " of shape ",
                                                DimsString(in.shape()), " is negative"));
    }
    if (want.shape[d] == ir::kDynamicDim) {
      if (dim == 0) {
        return InputError(in.name(),
                          absl::StrCat("dimension ", d, " of shape ", DimsString(in.shape()),
                                       " is 0; at least 1 is needed"));
      }
    } else if (dim != want.shape[d]) {
      return InputError(in.name(), absl::StrCat("shape ", DimsString(in.shape()),
                                                " does not match the model's ",
                                                DimsString(KServeShape(want.shape)),
                                                " at dimension ", d));
    }
    if (dim > 0 && elements > kMaxElements / dim) {
      return InputError(in.name(), absl::StrCat("shape ", DimsString(in.shape()), " is too large"));
    }
    elements *= dim;
  }
  return ir::Shape(std::vector<int64_t>(in.shape().begin(), in.shape().end()));
}

// The model's input names, quoted, for messages.
std::string InputNames(std::span<const ir::ValueInfo> model_inputs) {
  std::vector<std::string> names;
  for (const ir::ValueInfo& v : model_inputs) names.push_back(absl::StrCat("'", v.name, "'"));
  return absl::StrJoin(names, ", ");
}

// Request-level checks: names unique and known, every model input given,
// raw_input_contents coherent. Returns, per model input, the request index.
absl::StatusOr<std::vector<int>> MatchInputs(const inference::ModelInferRequest& request,
                                             std::span<const ir::ValueInfo> model_inputs) {
  // Models have a handful of inputs: a linear search beats building a map
  // for every request.
  std::vector<int> request_index(model_inputs.size(), -1);
  for (int r = 0; r < request.inputs_size(); ++r) {
    const std::string& name = request.inputs(r).name();
    size_t i = 0;
    while (i < model_inputs.size() && model_inputs[i].name != name) ++i;
    if (i == model_inputs.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the model has no input '", name, "' (inputs: ", InputNames(model_inputs), ")"));
    }
    if (request_index[i] >= 0) return InputError(name, "given more than once");
    request_index[i] = r;
  }
  for (size_t i = 0; i < model_inputs.size(); ++i) {
    if (request_index[i] < 0) return InputError(model_inputs[i].name, "missing from the request");
  }
  if (request.raw_input_contents_size() > 0) {
    if (request.raw_input_contents_size() != request.inputs_size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "raw_input_contents has ", request.raw_input_contents_size(), " entries for ",
          request.inputs_size(), " inputs; it needs one per input, in order"));
    }
    for (const InputTensor& in : request.inputs()) {
      if (in.has_contents() && !SetContentFields(in.contents()).empty()) {
        return absl::InvalidArgumentError(absl::StrCat("raw_input_contents is used, so input '",
                                                       in.name(), "' must not carry contents"));
      }
    }
  }
  return request_index;
}

}  // namespace

absl::string_view KServeDatatype(ir::DType dtype) {
  switch (dtype) {
    case ir::DType::kF32:
      return "FP32";
    case ir::DType::kF16:
      return "FP16";
    case ir::DType::kI8:
      return "INT8";
    case ir::DType::kU8:
      return "UINT8";
    case ir::DType::kI32:
      return "INT32";
    case ir::DType::kI64:
      return "INT64";
    case ir::DType::kBool:
      return "BOOL";
  }
  return "";
}

std::optional<ir::DType> ParseKServeDatatype(absl::string_view name) {
  for (ir::DType t : kServedTypes) {
    if (KServeDatatype(t) == name) return t;
  }
  return std::nullopt;
}

std::vector<int64_t> KServeShape(const ir::Shape& shape) { return shape.dims(); }

absl::StatusOr<RequestInputs> ViewRequestInputs(const inference::ModelInferRequest& request,
                                                std::span<const ir::ValueInfo> model_inputs) {
  FP_ASSIGN_OR_RETURN(std::vector<int> request_index, MatchInputs(request, model_inputs));
  const bool raw = request.raw_input_contents_size() > 0;
  RequestInputs result;
  result.views.reserve(model_inputs.size());
  if (!raw) result.owned.reserve(model_inputs.size());
  for (size_t i = 0; i < model_inputs.size(); ++i) {
    const int r = request_index[i];
    const InputTensor& in = request.inputs(r);
    FP_ASSIGN_OR_RETURN(ir::Shape shape, CheckedShape(in, model_inputs[i]));
    const ir::DType dtype = model_inputs[i].dtype;
    if (raw) {
      const std::string& bytes = request.raw_input_contents(r);
      ir::TensorView view{dtype, std::move(shape), const_cast<char*>(bytes.data())};
      if (bytes.size() != view.ByteSize()) {
        return InputError(in.name(), absl::StrCat(view.ByteSize(), " bytes expected for shape ",
                                                  DimsString(in.shape()), " ", in.datatype(),
                                                  ", got ", bytes.size()));
      }
      result.views.push_back(std::move(view));
    } else {
      ir::Tensor t(dtype, std::move(shape));
      FP_RETURN_IF_ERROR(FillFromTyped(in, &t));
      result.owned.push_back(std::move(t));
    }
  }
  // Views of owned tensors only once `owned` no longer reallocates.
  for (const ir::Tensor& t : result.owned) result.views.push_back(t.view());
  return result;
}

absl::StatusOr<std::vector<ir::Tensor>> RequestInputsToTensors(
    const inference::ModelInferRequest& request, std::span<const ir::ValueInfo> model_inputs) {
  FP_ASSIGN_OR_RETURN(RequestInputs inputs, ViewRequestInputs(request, model_inputs));
  if (!inputs.owned.empty()) return std::move(inputs.owned);
  std::vector<ir::Tensor> tensors;
  tensors.reserve(inputs.views.size());
  for (const ir::TensorView& v : inputs.views) tensors.push_back(ir::Tensor::CopyOf(v));
  return tensors;
}

absl::StatusOr<std::vector<int>> SelectOutputs(const inference::ModelInferRequest& request,
                                               std::span<const ir::ValueInfo> model_outputs) {
  std::vector<int> selected;
  if (request.outputs_size() == 0) {
    for (size_t i = 0; i < model_outputs.size(); ++i) selected.push_back(static_cast<int>(i));
    return selected;
  }
  for (const auto& requested : request.outputs()) {
    int found = -1;
    for (size_t i = 0; i < model_outputs.size(); ++i) {
      if (model_outputs[i].name == requested.name()) found = static_cast<int>(i);
    }
    if (found < 0) {
      std::vector<std::string> names;
      for (const ir::ValueInfo& o : model_outputs) names.push_back(absl::StrCat("'", o.name, "'"));
      return absl::InvalidArgumentError(absl::StrCat("the model has no output '", requested.name(),
                                                     "' (outputs: ", absl::StrJoin(names, ", "),
                                                     ")"));
    }
    for (int s : selected) {
      if (s == found) {
        return absl::InvalidArgumentError(
            absl::StrCat("output '", requested.name(), "' is requested more than once"));
      }
    }
    selected.push_back(found);
  }
  return selected;
}

void AppendOutputs(std::span<const ir::TensorView> outputs,
                   std::span<const ir::ValueInfo> model_outputs, std::span<const int> selected,
                   inference::ModelInferResponse* response) {
  for (int i : selected) {
    const ir::TensorView& t = outputs[i];
    auto* out = response->add_outputs();
    out->set_name(model_outputs[i].name);
    out->set_datatype(std::string(KServeDatatype(t.dtype)));
    for (int64_t d : t.shape.dims()) out->add_shape(d);
    response->add_raw_output_contents(static_cast<const char*>(t.data), t.ByteSize());
  }
}

}  // namespace fixpoint::server
