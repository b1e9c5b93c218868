// Internal to core/io: the state of one GraphDef -> IR conversion, shared by
// the op converters (tf_op_*.cc), the folder (tf_fold.cc) and FixNeuron
// (tf_fixneuron.cc). Only core/io/tf_* include this header.
// Thread-compatible (one converter per import).
//
// Every TF tensor maps to a TfValue: an IR value (graph input, initializer
// or node output) plus its layout, or a folded shape value that has no IR
// value at all. Nodes are emitted in topological order and their outputs
// inferred at once, so converters can read the shapes of their inputs.
#ifndef FIXPOINT_CORE_IO_TF_CONVERT_H_
#define FIXPOINT_CORE_IO_TF_CONVERT_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/io/tf_graph_select.h"
#include "core/ir/graph.h"
#include "proto/tensorflow/graph.pb.h"

namespace fixpoint::io {

// NHWC -> NCHW and back, as Transpose perms.
inline const std::vector<int64_t> kToNchw = {0, 3, 1, 2};
inline const std::vector<int64_t> kToNhwc = {0, 2, 3, 1};
// Position in NCHW of each NHWC axis: N->0, H->2, W->3, C->1.
inline constexpr int64_t kNchwPosOfNhwc[4] = {0, 2, 3, 1};

// Whether removing the NHWC axes marked in `removed` (Squeeze, reductions
// without keep_dims) from an NCHW-held tensor leaves the remaining dims in
// TF's order: unless C and a spatial dim both survive.
inline bool NchwKeepsTfOrder(const std::vector<bool>& removed) {
  return removed[3] || (removed[1] && removed[2]);
}

// One element of a folded integer shape value: a number, "dim `dim` of the
// TF tensor held by IR value `of`" (a dynamic dim), or unknown.
struct TfShapeElem {
  enum class Kind : uint8_t { kNumber, kDim, kUnknown };
  Kind kind = Kind::kUnknown;
  int64_t number = 0;
  std::string of;
  int dim = 0;

  static TfShapeElem Number(int64_t v) { return {Kind::kNumber, v, "", 0}; }
  bool is_number() const { return kind == Kind::kNumber; }
};

// A rank-0/1 integer value computed from shapes (Shape -> StridedSlice ->
// Pack ...) that still holds dynamic dims, so it is not a constant.
struct TfShapeValue {
  ir::DType dtype = ir::DType::kI32;
  bool scalar = false;
  std::vector<TfShapeElem> elems;
};

// Vitis AI FixNeuron parameters (power-of-two quantization).
struct TfFixParams {
  int64_t bit_width = 8;
  int64_t quantize_pos = 0;  // scale = 2^-quantize_pos
};

struct TfValue {
  static TfValue Of(std::string ir, bool nchw = false) {
    TfValue v;
    v.ir = std::move(ir);
    v.nchw = nchw;
    return v;
  }
  static TfValue ShapeValue(TfShapeValue s) {
    TfValue v;
    v.shape_value = std::move(s);
    return v;
  }

  std::string ir;     // IR value; empty for a shape value
  bool nchw = false;  // a 4-D NHWC TF tensor held in NCHW order
  std::optional<TfShapeValue> shape_value;
  // Set when produced by a FixNeuron over IR value `fix_source` (same
  // layout): re-layouts then apply to the source and quantize anew, so Q/DQ
  // stays next to its consumer (and on the constant, for weights).
  std::optional<TfFixParams> fix;
  std::string fix_source;
};

// A re-layout of a tensor: reshape to `pre`, transpose by `perm`, reshape to
// `post` (each step skipped when empty). `tag` names it for caching and for
// derived value names ("oihw", "nchw", ...); equal tags on one value must
// mean equal steps.
struct Relayout {
  std::string tag;
  std::vector<int64_t> pre;
  std::vector<int64_t> perm;
  std::vector<int64_t> post;
};

class TfConverter {
 public:
  // `reserved`: names the converter must not invent (all TF node names).
  // `constant_bytes`: the budget for all constants the import creates
  // (decoded, folded, re-laid out), so a tiny GraphDef cannot make us
  // allocate without bound (splat constants, Fill, broadcasting folds).
  TfConverter(ir::Graph& graph, absl::flat_hash_set<std::string> reserved, size_t constant_bytes);

  ir::Graph& graph() { return graph_; }
  // Bytes that constants may still take; a larger one is refused.
  size_t ConstantBudget() const { return constant_budget_; }

  // ---- Values ----
  // Adds a graph input (IR value named after the node, TF layout).
  void AddGraphInput(const ir::ValueInfo& info);
  void Define(const std::string& tf_key, TfValue value);
  // Defines TF tensor `tf_key` as an initializer of the same name.
  void DefineConstant(const std::string& tf_key, ir::Tensor t);
  // Data input i (control inputs skipped) of `node`. INVALID_ARGUMENT when
  // absent or when it names an output port the producer does not have.
  absl::StatusOr<TfValue> Input(const tfproto::NodeDef& node, int i) const;
  int NumInputs(const tfproto::NodeDef& node) const;
  // A TF tensor by name (for graph outputs); same errors.
  absl::StatusOr<TfValue> Lookup(const TfTensorName& name) const;
  // Inferred info of an IR value, or nullptr.
  const ir::ValueInfo* Info(const std::string& ir) const;
  // The TF-layout shape of a value (NCHW-held values permuted back).
  absl::StatusOr<ir::Shape> TfShape(const TfValue& v) const;
  // The constant behind a value, or nullptr.
  const ir::Tensor* Constant(const TfValue& v) const;
  // INVALID_ARGUMENT unless `v` is a plain tensor (not a folded shape value).
  absl::Status RequireTensor(const tfproto::NodeDef& node, const TfValue& v) const;

  // ---- IR construction ----
  // A name not used by any value, node or TF node, derived from `base`.
  std::string NewName(absl::string_view base);
  // Adds an initializer under a new name derived from `base`.
  std::string AddConstant(absl::string_view base, ir::Tensor t);
  // Appends a node with one output and infers it. `name` empty: a new name
  // from `op`; `output` empty: the node's name (or a new name derived from
  // it when that is already a value).
  // Returns the output's IR name; inference errors name the node.
  absl::StatusOr<std::string> Emit(absl::string_view op, std::string name,
                                   std::vector<std::string> inputs,
                                   std::map<std::string, ir::Attribute> attrs = {},
                                   std::string output = "");

  // ---- Layout ----
  // The IR value of `v` in NCHW (a Transpose is added once per value when
  // `v` is held in TF layout; `v` must be 4-D).
  absl::StatusOr<std::string> AsNchw(const TfValue& v);
  // The IR value of `v` in TF layout.
  absl::StatusOr<std::string> AsTf(const TfValue& v);
  // `v` re-laid out: constants are transformed at import time, FixNeuron
  // outputs get their source re-laid out and a new Q/DQ pair, run-time
  // values get Reshape/Transpose nodes. Cached per (value, tag).
  absl::StatusOr<std::string> Relaid(const TfValue& v, const Relayout& r);

  // Renames an IR value everywhere (nodes, value infos, TF values).
  void RenameValue(const std::string& from, const std::string& to);

 private:
  absl::StatusOr<std::string> RelaidRuntime(const std::string& ir, const Relayout& r);
  absl::Status InferLast();

  ir::Graph& graph_;
  absl::flat_hash_set<std::string> taken_;      // every name invented or reserved
  absl::flat_hash_set<std::string> ir_values_;  // IR value names in use
  size_t constant_budget_;
  absl::flat_hash_map<std::string, TfValue> values_;      // by TF tensor key
  absl::flat_hash_map<std::string, std::string> relaid_;  // "<ir>|<tag>" -> IR value
};

// Applies a re-layout to a constant (INVALID_ARGUMENT if a reshape does not
// keep the element count).
absl::StatusOr<ir::Tensor> RelayoutTensor(const ir::Tensor& t, const Relayout& r);
// General transpose of a constant (perm validated by the caller).
ir::Tensor TransposeTensor(const ir::Tensor& t, const std::vector<int64_t>& perm);

}  // namespace fixpoint::io

#endif  // FIXPOINT_CORE_IO_TF_CONVERT_H_
