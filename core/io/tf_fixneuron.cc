// Vitis AI FixNeuron -> power-of-two QDQ. A FixNeuron with bit_width 8 and
// quantize_pos p rounds x * 2^p to int8 and scales back, which is
// QuantizeLinear(x, 2^-p, 0) -> DequantizeLinear(q, 2^-p, 0) with an int8
// zero point. (Vitis AI's DPU rounds ties up for activations, ONNX rounds them
// to even: results can differ by one step on exact ties.)
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/io/tf_attr.h"
#include "core/io/tf_ops.h"
#include "core/util/status_macros.h"

namespace fixpoint::io {
namespace {

// 2^-p stays a normal float well inside this range.
constexpr int64_t kMaxQuantizePos = 100;

}  // namespace

absl::StatusOr<TfFixParams> ReadFixNeuron(const tfproto::NodeDef& node) {
  TfFixParams p;
  FP_ASSIGN_OR_RETURN(p.bit_width, TfAttrInt(node, "bit_width", 8));
  FP_ASSIGN_OR_RETURN(p.quantize_pos, TfAttrInt(node, "quantize_pos"));
  if (p.bit_width != 8) {
    return absl::UnimplementedError(absl::StrCat(DescribeTf(node), ": bit_width ", p.bit_width,
                                                 " (only 8-bit FixNeuron imports as int8)"));
  }
  if (p.quantize_pos < -kMaxQuantizePos || p.quantize_pos > kMaxQuantizePos) {
    return absl::InvalidArgumentError(
        absl::StrCat(DescribeTf(node), ": quantize_pos ", p.quantize_pos, " is out of range"));
  }
  return p;
}

absl::StatusOr<std::string> EmitFixQdq(TfConverter& cv, const std::string& input,
                                       const TfFixParams& params, absl::string_view base,
                                       std::string output) {
  const float scale = std::ldexp(1.0f, static_cast<int>(-params.quantize_pos));
  const std::string s =
      cv.AddConstant(absl::StrCat(base, "/scale"), ir::Tensor::FromF32(ir::Shape(), {&scale, 1}));
  const std::string zp =
      cv.AddConstant(absl::StrCat(base, "/zero_point"), ir::Tensor(ir::DType::kI8, ir::Shape()));
  FP_ASSIGN_OR_RETURN(
      std::string q,
      cv.Emit("QuantizeLinear", cv.NewName(absl::StrCat(base, "/quantize")), {input, s, zp}));
  return cv.Emit("DequantizeLinear", cv.NewName(absl::StrCat(base, "/dequantize")), {q, s, zp}, {},
                 std::move(output));
}

absl::Status ConvertFixNeuron(TfConverter& cv, const tfproto::NodeDef& node, absl::string_view) {
  FP_ASSIGN_OR_RETURN(TfFixParams params, ReadFixNeuron(node));
  FP_ASSIGN_OR_RETURN(TfValue x, cv.Input(node, 0));
  FP_RETURN_IF_ERROR(cv.RequireTensor(node, x));
  FP_ASSIGN_OR_RETURN(std::string out, EmitFixQdq(cv, x.ir, params, node.name(), node.name()));
  TfValue v = TfValue::Of(out, x.nchw);
  v.fix = params;
  v.fix_source = x.ir;
  cv.Define(node.name(), std::move(v));
  return absl::OkStatus();
}

}  // namespace fixpoint::io
