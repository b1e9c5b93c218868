// Import-time folding. A node whose inputs are all constants becomes an
// initializer; shape arithmetic on dynamic dims (TF1's flatten:
// Shape -> StridedSlice -> Pack -> Reshape) becomes a shape value whose
// dynamic elements remember which dim they copy, so the Reshape that reads it
// gets a canonical `shape` attribute (0 = copy, -1 = infer).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/io/tf_attr.h"
#include "core/io/tf_ops.h"
#include "core/io/tf_tensor.h"
#include "core/util/status_macros.h"

namespace fixpoint::io {
namespace {

using tfproto::NodeDef;
using Elem = TfShapeElem;
using Ins = std::vector<TfValue>;

absl::Status Invalid(const NodeDef& node, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(DescribeTf(node), ": ", why));
}

bool IsInt(ir::DType t) {
  return t == ir::DType::kI32 || t == ir::DType::kI64 || t == ir::DType::kI8 || t == ir::DType::kU8;
}

void SetAsDouble(ir::Tensor& t, int64_t i, double v) {
  switch (t.dtype()) {
    case ir::DType::kF32:
      t.data<float>()[i] = static_cast<float>(v);
      break;
    case ir::DType::kF16:
      t.data<uint16_t>()[i] = ir::FloatToHalf(static_cast<float>(v));
      break;
    case ir::DType::kI8:
      t.data<int8_t>()[i] = static_cast<int8_t>(v);
      break;
    case ir::DType::kU8:
      t.data<uint8_t>()[i] = static_cast<uint8_t>(v);
      break;
    case ir::DType::kI32:
      t.data<int32_t>()[i] = static_cast<int32_t>(v);
      break;
    case ir::DType::kI64:
      t.data<int64_t>()[i] = static_cast<int64_t>(v);
      break;
    case ir::DType::kBool:
      t.data<uint8_t>()[i] = v != 0;
      break;
  }
}

// Product of `dims` (all >= 0), or nullopt when it exceeds `limit`.
std::optional<uint64_t> BoundedProduct(const std::vector<int64_t>& dims, uint64_t limit) {
  uint64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) return std::nullopt;
    if (d != 0 && n > limit / static_cast<uint64_t>(d)) return std::nullopt;
    n *= static_cast<uint64_t>(d);
  }
  return n;
}

// A rank <= 1 integer constant as a shape value.
std::optional<TfShapeValue> FromConst(const ir::Tensor& t) {
  if (t.shape().rank() > 1 || !IsInt(t.dtype())) return std::nullopt;
  TfShapeValue v{t.dtype(), t.shape().rank() == 0, {}};
  for (int64_t i = 0; i < t.NumElements(); ++i) {
    v.elems.push_back(Elem::Number(static_cast<int64_t>(t.GetAsDouble(i))));
  }
  return v;
}

// Inputs as shape values (constants converted); nullopt if one is neither.
std::optional<std::vector<TfShapeValue>> AsShapeValues(const TfConverter& cv, const Ins& in) {
  std::vector<TfShapeValue> out;
  for (const TfValue& v : in) {
    if (v.shape_value) {
      out.push_back(*v.shape_value);
    } else if (const ir::Tensor* t = cv.Constant(v); t != nullptr && FromConst(*t)) {
      out.push_back(*FromConst(*t));
    } else {
      return std::nullopt;
    }
  }
  return out;
}

// Defines the node's output: a constant when every element is a number.
absl::StatusOr<bool> DefineShapeValue(TfConverter& cv, const NodeDef& node, TfShapeValue v) {
  const bool numbers =
      std::all_of(v.elems.begin(), v.elems.end(), [](const Elem& e) { return e.is_number(); });
  if (!numbers) {
    cv.Define(node.name(), TfValue::ShapeValue(std::move(v)));
    return true;
  }
  ir::Shape shape = v.scalar ? ir::Shape() : ir::Shape({static_cast<int64_t>(v.elems.size())});
  ir::Tensor t(v.dtype, shape);
  for (size_t i = 0; i < v.elems.size(); ++i) SetAsDouble(t, i, v.elems[i].number);
  cv.DefineConstant(node.name(), std::move(t));
  return true;
}

absl::StatusOr<bool> FoldShape(TfConverter& cv, const NodeDef& node, const Ins& in) {
  if (in[0].shape_value) return false;
  FP_ASSIGN_OR_RETURN(ir::Shape s, cv.TfShape(in[0]));
  FP_ASSIGN_OR_RETURN(int out_type, TfAttrType(node, "out_type", tfproto::DT_INT32));
  FP_ASSIGN_OR_RETURN(ir::DType dtype, DTypeFromTf(out_type, DescribeTf(node)));
  TfShapeValue v{dtype, false, {}};
  for (int i = 0; i < s.rank(); ++i) {
    if (s[i] >= 0) {
      v.elems.push_back(Elem::Number(s[i]));
    } else {
      v.elems.push_back(Elem{Elem::Kind::kDim, 0, in[0].ir, i});
    }
  }
  return DefineShapeValue(cv, node, std::move(v));
}

// Normalized [begin, end) of a rank-1 strided slice over n elements.
absl::StatusOr<std::vector<Elem>> Slice1D(const NodeDef& node, const std::vector<Elem>& x,
                                          int64_t b, int64_t e, int64_t s, int64_t masks[3],
                                          bool* scalar) {
  const int64_t n = static_cast<int64_t>(x.size());
  if (s == 0) return Invalid(node, "stride 0");
  *scalar = masks[2] & 1;
  if (*scalar) {
    const int64_t i = b < 0 ? b + n : b;
    if (i < 0 || i >= n) return Invalid(node, absl::StrCat("index ", b, " out of range"));
    return std::vector<Elem>{x[i]};
  }
  const int64_t lo = s > 0 ? 0 : -1, hi = s > 0 ? n : n - 1;
  b = (masks[0] & 1) ? (s > 0 ? 0 : n - 1) : std::clamp(b < 0 ? b + n : b, lo, hi);
  e = (masks[1] & 1) ? (s > 0 ? n : -1) : std::clamp(e < 0 ? e + n : e, lo, hi);
  // Element count first, so a huge stride cannot overflow the index.
  const int64_t span = s > 0 ? e - b : b - e;
  const int64_t step = s > 0 ? s : -s;
  const int64_t count = span <= 0 ? 0 : 1 + (span - 1) / step;
  std::vector<Elem> out;
  for (int64_t k = 0; k < count; ++k) out.push_back(x[b + (s > 0 ? k * step : -k * step)]);
  return out;
}

absl::StatusOr<bool> FoldStridedSlice(TfConverter& cv, const NodeDef& node, const Ins& in) {
  auto v = AsShapeValues(cv, in);
  if (!v || (*v)[0].scalar || (*v)[1].elems.size() != 1 || (*v)[2].elems.size() != 1 ||
      (*v)[3].elems.size() != 1) {
    return false;  // only rank-1 data with constant begin/end/strides
  }
  int64_t masks[3];
  const char* keys[3] = {"begin_mask", "end_mask", "shrink_axis_mask"};
  for (int i = 0; i < 3; ++i) {
    FP_ASSIGN_OR_RETURN(masks[i], TfAttrInt(node, keys[i], 0));
  }
  FP_ASSIGN_OR_RETURN(int64_t ellipsis, TfAttrInt(node, "ellipsis_mask", 0));
  FP_ASSIGN_OR_RETURN(int64_t new_axis, TfAttrInt(node, "new_axis_mask", 0));
  if ((ellipsis | new_axis) & 1) return false;
  for (int i = 1; i < 4; ++i) {
    if (!(*v)[i].elems[0].is_number()) return false;
  }
  TfShapeValue out{(*v)[0].dtype, false, {}};
  FP_ASSIGN_OR_RETURN(out.elems,
                      Slice1D(node, (*v)[0].elems, (*v)[1].elems[0].number, (*v)[2].elems[0].number,
                              (*v)[3].elems[0].number, masks, &out.scalar));
  return DefineShapeValue(cv, node, std::move(out));
}

// Concatenates constants along `axis` (Pack: after inserting it).
absl::StatusOr<ir::Tensor> ConcatTensors(const NodeDef& node,
                                         const std::vector<const ir::Tensor*>& ts, int64_t axis,
                                         bool pack) {
  for (const ir::Tensor* t : ts) {
    if (t == nullptr) return Invalid(node, "an input is not a constant");
  }
  const ir::Shape& first = ts[0]->shape();
  const int r = first.rank() + (pack ? 1 : 0);
  if (axis < -r || axis >= r) return Invalid(node, absl::StrCat("axis ", axis, " out of range"));
  if (axis < 0) axis += r;
  std::vector<int64_t> dims = first.dims();
  if (pack) dims.insert(dims.begin() + axis, 1);
  int64_t total = 0;
  for (const ir::Tensor* t : ts) {
    std::vector<int64_t> d = t->shape().dims();
    if (pack) d.insert(d.begin() + axis, 1);
    if (t->dtype() != ts[0]->dtype() || d.size() != dims.size()) {
      return Invalid(node, "inputs differ in dtype or rank");
    }
    for (int i = 0; i < r; ++i) {
      if (i != axis && d[i] != dims[i]) return Invalid(node, "inputs differ in shape");
    }
    total += d[axis];
  }
  const int64_t outer =
      std::accumulate(dims.begin(), dims.begin() + axis, int64_t{1}, std::multiplies<int64_t>());
  dims[axis] = total;
  ir::Tensor out(ts[0]->dtype(), ir::Shape(dims));
  const size_t es = ir::DTypeSize(out.dtype());
  auto* dst = static_cast<std::byte*>(out.raw());
  for (int64_t o = 0; o < outer; ++o) {
    for (const ir::Tensor* t : ts) {
      const size_t chunk = static_cast<size_t>(t->NumElements() / std::max<int64_t>(outer, 1)) * es;
      std::memcpy(dst, static_cast<const std::byte*>(t->raw()) + o * chunk, chunk);
      dst += chunk;
    }
  }
  return out;
}

absl::StatusOr<bool> FoldConcat(TfConverter& cv, const NodeDef& node, const Ins& in) {
  const bool pack = node.op() == "Pack";
  const size_t n = pack ? in.size() : in.size() - 1;
  if (n == 0) return Invalid(node, "no inputs");
  int64_t axis = 0;
  if (pack) {
    FP_ASSIGN_OR_RETURN(axis, TfAttrInt(node, "axis", 0));
  } else {
    FP_ASSIGN_OR_RETURN(std::vector<int64_t> a, ConstInts(cv, node, in.size() - 1, "axis"));
    if (a.size() != 1) return Invalid(node, "axis must be a scalar");
    axis = a[0];
  }
  auto sv = AsShapeValues(cv, Ins(in.begin(), in.begin() + n));
  const bool symbolic =
      std::any_of(in.begin(), in.end(), [](const TfValue& v) { return v.shape_value.has_value(); });
  if (symbolic) {  // rank-1 result of scalars (Pack) or vectors (ConcatV2)
    if (!sv || (axis != 0 && axis != -1)) return false;
    TfShapeValue out{(*sv)[0].dtype, false, {}};
    for (const TfShapeValue& p : *sv) {
      if (p.scalar != pack) return false;
      out.elems.insert(out.elems.end(), p.elems.begin(), p.elems.end());
    }
    return DefineShapeValue(cv, node, std::move(out));
  }
  std::vector<const ir::Tensor*> ts;
  for (size_t i = 0; i < n; ++i) ts.push_back(cv.Constant(in[i]));
  FP_ASSIGN_OR_RETURN(ir::Tensor t, ConcatTensors(node, ts, axis, pack));
  cv.DefineConstant(node.name(), std::move(t));
  return true;
}

absl::StatusOr<bool> FoldCast(TfConverter& cv, const NodeDef& node, const Ins& in) {
  FP_ASSIGN_OR_RETURN(int dst, TfAttrType(node, "DstT"));
  FP_ASSIGN_OR_RETURN(ir::DType to, DTypeFromTf(dst, DescribeTf(node)));
  if (in[0].shape_value) {
    if (!IsInt(to)) return false;
    TfShapeValue v = *in[0].shape_value;
    v.dtype = to;
    return DefineShapeValue(cv, node, std::move(v));
  }
  const ir::Tensor& x = *cv.Constant(in[0]);
  ir::Tensor t(to, x.shape());
  for (int64_t i = 0; i < x.NumElements(); ++i) SetAsDouble(t, i, x.GetAsDouble(i));
  cv.DefineConstant(node.name(), std::move(t));
  return true;
}

// Reshape / ExpandDims / Squeeze of a constant; ExpandDims and Squeeze of a
// scalar/[1] shape value.
absl::StatusOr<bool> FoldReshapeLike(TfConverter& cv, const NodeDef& node, const Ins& in) {
  if (in[0].shape_value) {
    TfShapeValue v = *in[0].shape_value;
    if (node.op() == "ExpandDims" && v.scalar) {
      v.scalar = false;
    } else if (node.op() == "Squeeze" && !v.scalar && v.elems.size() == 1) {
      v.scalar = true;
    } else {
      return false;
    }
    return DefineShapeValue(cv, node, std::move(v));
  }
  ir::Tensor t = *cv.Constant(in[0]);
  std::vector<int64_t> dims = t.shape().dims();
  const int r = static_cast<int>(dims.size());
  if (node.op() == "Reshape") {
    FP_ASSIGN_OR_RETURN(dims, ReshapeTarget(cv, node, in[0], in[1]));
    std::vector<int64_t> known_dims;
    for (int64_t d : dims) {
      if (d >= 0) known_dims.push_back(d);
    }
    const std::optional<uint64_t> known =
        BoundedProduct(known_dims, static_cast<uint64_t>(t.NumElements()));
    if (!known) return Invalid(node, "the target shape has more elements than the data");
    for (int64_t& d : dims) {
      if (d == -1) d = *known == 0 ? 0 : t.NumElements() / static_cast<int64_t>(*known);
    }
  } else if (node.op() == "ExpandDims") {
    FP_ASSIGN_OR_RETURN(std::vector<int64_t> a, ConstInts(cv, node, 1, "dim"));
    if (a.size() != 1 || a[0] < -r - 1 || a[0] > r) return Invalid(node, "bad dim");
    dims.insert(dims.begin() + (a[0] < 0 ? a[0] + r + 1 : a[0]), 1);
  } else {
    FP_ASSIGN_OR_RETURN(std::vector<int64_t> axes, TfAttrInts(node, "squeeze_dims", {{}}));
    std::vector<int64_t> kept;
    for (int i = 0; i < r; ++i) {
      const bool listed =
          std::count(axes.begin(), axes.end(), i) || std::count(axes.begin(), axes.end(), i - r);
      if (!(dims[i] == 1 && (axes.empty() || listed))) kept.push_back(dims[i]);
    }
    dims = kept;
  }
  const std::optional<uint64_t> n = BoundedProduct(dims, static_cast<uint64_t>(t.NumElements()));
  if (!n || *n != static_cast<uint64_t>(t.NumElements())) {
    return Invalid(node, absl::StrCat("cannot reshape ", t.shape().ToString(), " to [",
                                      absl::StrJoin(dims, ","), "]"));
  }
  t.Reshape(ir::Shape(dims));
  cv.DefineConstant(node.name(), std::move(t));
  return true;
}

absl::StatusOr<bool> FoldTranspose(TfConverter& cv, const NodeDef& node, const Ins& in) {
  const ir::Tensor* x = cv.Constant(in[0]);
  if (x == nullptr) return false;
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> perm, ConstInts(cv, node, 1, "perm"));
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (sorted[i] != static_cast<int64_t>(i) ||
        static_cast<int>(perm.size()) != x->shape().rank()) {
      return Invalid(node, absl::StrCat("perm [", absl::StrJoin(perm, ","),
                                        "] is not a permutation of the input's dims"));
    }
  }
  cv.DefineConstant(node.name(), TransposeTensor(*x, perm));
  return true;
}

double Apply(absl::string_view op, double a, double b) {
  if (op == "Sub") return a - b;
  if (op == "Mul") return a * b;
  if (op == "RealDiv") return a / b;
  if (op == "FloorDiv") return std::floor(a / b);
  if (op == "Maximum") return std::max(a, b);
  if (op == "Minimum") return std::min(a, b);
  return a + b;  // Add, AddV2
}

absl::StatusOr<bool> FoldBinary(TfConverter& cv, const NodeDef& node, const Ins& in) {
  const ir::Tensor* a = cv.Constant(in[0]);
  const ir::Tensor* b = cv.Constant(in[1]);
  if (a == nullptr || b == nullptr) return false;  // shape values: not folded
  if (a->dtype() != b->dtype()) return Invalid(node, "operands differ in dtype");
  const int r = std::max(a->shape().rank(), b->shape().rank());
  std::vector<int64_t> da(r, 1), db(r, 1), dims(r);
  std::copy(a->shape().dims().begin(), a->shape().dims().end(), da.end() - a->shape().rank());
  std::copy(b->shape().dims().begin(), b->shape().dims().end(), db.end() - b->shape().rank());
  for (int i = 0; i < r; ++i) {
    if (da[i] != db[i] && da[i] != 1 && db[i] != 1) {
      return Invalid(node, absl::StrCat("shapes ", a->shape().ToString(), " and ",
                                        b->shape().ToString(), " do not broadcast"));
    }
    dims[i] = da[i] == 1 ? db[i] : da[i];
  }
  const ir::Shape shape(dims);
  if (!BoundedProduct(dims, cv.ConstantBudget() / ir::DTypeSize(a->dtype()))) {
    return Invalid(node, absl::StrCat("result ", shape.ToString(), " is too large"));
  }
  ir::Tensor out(a->dtype(), shape);
  const std::vector<int64_t> sa = ir::RowMajorStrides(ir::Shape(da));
  const std::vector<int64_t> sb = ir::RowMajorStrides(ir::Shape(db));
  std::vector<int64_t> idx(r, 0);
  for (int64_t o = 0; o < out.NumElements(); ++o) {
    int64_t ia = 0, ib = 0;
    for (int i = 0; i < r; ++i) {
      ia += (da[i] == 1 ? 0 : idx[i]) * sa[i];
      ib += (db[i] == 1 ? 0 : idx[i]) * sb[i];
    }
    SetAsDouble(out, o, Apply(node.op(), a->GetAsDouble(ia), b->GetAsDouble(ib)));
    for (int d = r - 1; d >= 0 && ++idx[d] == dims[d]; --d) idx[d] = 0;
  }
  cv.DefineConstant(node.name(), std::move(out));
  return true;
}

absl::StatusOr<bool> FoldUnary(TfConverter& cv, const NodeDef& node, const Ins& in) {
  const ir::Tensor* x = cv.Constant(in[0]);
  if (x == nullptr) return false;
  ir::Tensor out(x->dtype(), x->shape());
  for (int64_t i = 0; i < x->NumElements(); ++i) {
    const double v = x->GetAsDouble(i);
    const absl::string_view op = node.op();
    SetAsDouble(out, i,
                op == "Neg"     ? -v
                : op == "Sqrt"  ? std::sqrt(v)
                : op == "Rsqrt" ? 1 / std::sqrt(v)
                                : 1 / v);
  }
  cv.DefineConstant(node.name(), std::move(out));
  return true;
}

// Prod/Sum/Max/Min over the one axis of a rank-1 value.
absl::StatusOr<bool> FoldReduce1D(TfConverter& cv, const NodeDef& node, const Ins& in) {
  auto v = AsShapeValues(cv, in);
  if (!v || (*v)[0].scalar || (*v)[1].elems.size() != 1 || !(*v)[1].elems[0].is_number()) {
    return false;
  }
  const int64_t axis = (*v)[1].elems[0].number;
  if (axis != 0 && axis != -1) return Invalid(node, absl::StrCat("axis ", axis, " out of range"));
  FP_ASSIGN_OR_RETURN(bool keep, TfAttrBool(node, "keep_dims", false));
  const std::vector<Elem>& x = (*v)[0].elems;
  const absl::string_view op = node.op();
  if (x.empty() && (op == "Max" || op == "Min")) return Invalid(node, "reduces no elements");
  Elem acc = Elem::Number(op == "Prod" ? 1 : op == "Sum" ? 0 : x.empty() ? 0 : x[0].number);
  for (const Elem& e : x) {
    if (!e.is_number()) {
      acc = Elem{};
      break;
    }
    acc.number = op == "Prod"  ? acc.number * e.number
                 : op == "Sum" ? acc.number + e.number
                 : op == "Max" ? std::max(acc.number, e.number)
                               : std::min(acc.number, e.number);
  }
  return DefineShapeValue(cv, node, TfShapeValue{(*v)[0].dtype, !keep, {acc}});
}

absl::StatusOr<bool> FoldFill(TfConverter& cv, const NodeDef& node, const Ins& in) {
  const ir::Tensor* value = cv.Constant(in[1]);
  if (cv.Constant(in[0]) == nullptr || value == nullptr || value->NumElements() != 1) {
    return false;
  }
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> dims, ConstInts(cv, node, 0, "dims"));
  const std::optional<uint64_t> n =
      BoundedProduct(dims, cv.ConstantBudget() / ir::DTypeSize(value->dtype()));
  if (!n) {
    return Invalid(node,
                   absl::StrCat("dims [", absl::StrJoin(dims, ","), "] are negative or too large"));
  }
  ir::Tensor out(value->dtype(), ir::Shape(dims));
  for (uint64_t i = 0; i < *n; ++i) SetAsDouble(out, i, value->GetAsDouble(0));
  cv.DefineConstant(node.name(), std::move(out));
  return true;
}

using FoldFn = absl::StatusOr<bool> (*)(TfConverter&, const NodeDef&, const Ins&);
struct FoldRule {
  absl::string_view op;
  FoldFn fold;
  int min_inputs;
};

// op, folder, inputs it needs at least.
constexpr FoldRule kFoldRules[] = {
    {"Add", FoldBinary, 2},
    {"AddV2", FoldBinary, 2},
    {"Cast", FoldCast, 1},
    {"ConcatV2", FoldConcat, 2},
    {"ExpandDims", FoldReshapeLike, 2},
    {"Fill", FoldFill, 2},
    {"FloorDiv", FoldBinary, 2},
    {"Max", FoldReduce1D, 2},
    {"Maximum", FoldBinary, 2},
    {"Min", FoldReduce1D, 2},
    {"Minimum", FoldBinary, 2},
    {"Mul", FoldBinary, 2},
    {"Neg", FoldUnary, 1},
    {"Pack", FoldConcat, 1},
    {"Prod", FoldReduce1D, 2},
    {"RealDiv", FoldBinary, 2},
    {"Reciprocal", FoldUnary, 1},
    {"Reshape", FoldReshapeLike, 2},
    {"Rsqrt", FoldUnary, 1},
    {"Shape", FoldShape, 1},
    {"Sqrt", FoldUnary, 1},
    {"Squeeze", FoldReshapeLike, 1},
    {"StridedSlice", FoldStridedSlice, 4},
    {"Sub", FoldBinary, 2},
    {"Sum", FoldReduce1D, 2},
    {"Transpose", FoldTranspose, 2},
};

}  // namespace

absl::StatusOr<bool> TryFoldTfNode(TfConverter& cv, const NodeDef& node) {
  const FoldRule* rule = nullptr;
  for (const FoldRule& r : kFoldRules) {
    if (r.op == node.op()) rule = &r;
  }
  if (rule == nullptr || cv.NumInputs(node) < rule->min_inputs) return false;
  Ins in;
  for (int i = 0; i < cv.NumInputs(node); ++i) {
    FP_ASSIGN_OR_RETURN(TfValue v, cv.Input(node, i));
    const bool known = v.shape_value || cv.Constant(v) != nullptr;
    if (!known && node.op() != "Shape") return false;
    in.push_back(std::move(v));
  }
  auto folded = rule->fold(cv, node, in);
  if (!folded.ok() && folded.status().code() == absl::StatusCode::kInvalidArgument) {
    return WithContext(folded.status(), "folding constants");
  }
  return folded;
}

absl::StatusOr<std::vector<int64_t>> ConstInts(const TfConverter& cv, const NodeDef& node, int i,
                                               absl::string_view what) {
  FP_ASSIGN_OR_RETURN(TfValue v, cv.Input(node, i));
  const ir::Tensor* t = cv.Constant(v);
  if (t == nullptr) {
    return absl::UnimplementedError(absl::StrCat(
        DescribeTf(node), ": ", what, " (input ", i, ") must be a constant",
        v.shape_value ? "; it depends on a dynamic dimension" : ", it is computed at run time"));
  }
  if (!IsInt(t->dtype()) || t->shape().rank() > 2) {
    return Invalid(node, absl::StrCat(what, " must be integers, got ", ir::DTypeName(t->dtype()),
                                      t->shape().ToString()));
  }
  std::vector<int64_t> out(t->NumElements());
  for (int64_t k = 0; k < t->NumElements(); ++k) {
    out[k] = static_cast<int64_t>(t->GetAsDouble(k));
  }
  return out;
}

absl::StatusOr<std::vector<int64_t>> ReshapeTarget(const TfConverter& cv, const NodeDef& node,
                                                   const TfValue& data, const TfValue& shape) {
  std::vector<Elem> elems;
  if (shape.shape_value) {
    elems = shape.shape_value->elems;
  } else {
    FP_ASSIGN_OR_RETURN(std::vector<int64_t> v, ConstInts(cv, node, 1, "shape"));
    for (int64_t x : v) elems.push_back(Elem::Number(x));
  }
  std::vector<int64_t> target;
  int unresolved = 0;  // -1 given or to be inferred
  for (size_t k = 0; k < elems.size(); ++k) {
    const Elem& e = elems[k];
    if (e.is_number()) {
      if (e.number == 0 || e.number < -1) {
        return absl::UnimplementedError(
            absl::StrCat(DescribeTf(node), ": shape element ", e.number, " is not supported"));
      }
      unresolved += e.number == -1 ? 1 : 0;
      target.push_back(e.number);
    } else if (e.kind == Elem::Kind::kDim && e.of == data.ir && e.dim == static_cast<int>(k)) {
      target.push_back(0);  // copies the same (dynamic) dim of the data
    } else {
      ++unresolved;
      target.push_back(-1);
    }
  }
  if (unresolved > 1) {
    return absl::UnimplementedError(
        absl::StrCat(DescribeTf(node), ": the target shape has ", unresolved,
                     " unknown dimensions (-1 or dynamic ones that cannot be folded)"));
  }
  return target;
}

}  // namespace fixpoint::io
