// The per-channel mean of a Conv's or Gemm's output before bias, E[W x], for
// any weight W, from sums of its input alone. A Conv output channel's mean is
// Σ W[o, c, i, j] · E_tap[x]_{c, i, j}, where E_tap is the mean over images and
// output positions of the input element kernel tap (i, j) reads (zero in the
// padding): the input is summed over the batch once per image position, then
// over each tap's window. A Gemm's is Σ_k W · E[x_k]. Bias correction uses it
// to compare the float and quantized layers without computing either
// pre-bias output. Thread-compatible.
#ifndef FIXPOINT_CORE_QUANT_INPUT_MOMENTS_H_
#define FIXPOINT_CORE_QUANT_INPUT_MOMENTS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "core/ir/graph.h"
#include "core/ir/tensor.h"
#include "core/runtime/session.h"

namespace fixpoint::quant {

class InputMoments {
 public:
  // For `node` of `graph` (shapes inferred): a Conv with 1 or 2 spatial axes
  // whose input's channel and spatial sizes and output's spatial size are
  // static, or a Gemm (alpha and beta irrelevant; W's layout from transB).
  // INVALID_ARGUMENT otherwise.
  static absl::StatusOr<InputMoments> For(const ir::Graph& graph, const ir::Node& node);

  // Adds one batch of the node's input (f32, the shape the node reads).
  absl::Status Add(const ir::TensorView& x);
  // Adds one batch of the node's input given quantized: u8 or i8 values q
  // standing for (q - zero_point) * scale.
  absl::Status AddQuantized(const ir::TensorView& q, float scale, int32_t zero_point);
  // Adds one batch as Session::RunObserved shows it: plain, channels-last
  // or channel-blocked f32; or u8 / i8 values, plain or channels-last,
  // standing for (q - zero_point) * scale (f32 takes scale 1, zero point 0).
  absl::Status AddObserved(const runtime::ObservedValue& value, float scale = 1.0f,
                           int32_t zero_point = 0);

  // Adds everything `other` (For the same node) has added: the sums add,
  // this one's first, so merging in a fixed order is reproducible.
  // INVALID_ARGUMENT if `other` summarizes another geometry; then unchanged.
  absl::Status Merge(const InputMoments& other);

  // E[W x] per output channel over everything added, for `weight` in the
  // node's weight layout. FAILED_PRECONDITION before any Add;
  // INVALID_ARGUMENT if `weight` does not fit.
  absl::StatusOr<std::vector<double>> Means(const ir::Tensor& weight) const;

 private:
  InputMoments() = default;
  // sums_ += scale * (batch - rows * zero_point); rows_ += rows.
  void Fold(const std::vector<float>& batch, int64_t rows, float scale, int32_t zero_point);

  bool conv_ = false;
  bool trans_a_ = false, trans_b_ = false;  // Gemm
  int64_t channels_ = 0;                    // Conv input channels; Gemm K
  int64_t h_ = 1, w_ = 1;                   // Conv input spatial size
  int64_t oh_ = 1, ow_ = 1;                 // Conv output spatial size
  int64_t kh_ = 1, kw_ = 1, sh_ = 1, sw_ = 1, dh_ = 1, dw_ = 1, ph_ = 0, pw_ = 0;
  int64_t group_ = 1;
  std::vector<double> sums_;  // Conv: [C, H, W] over the batch; Gemm: [K]
  int64_t rows_ = 0;          // images (Conv) or rows (Gemm) added
};

}  // namespace fixpoint::quant

#endif  // FIXPOINT_CORE_QUANT_INPUT_MOMENTS_H_
