// Factories of the oneDNN fp32 kernels (listed per op type in
// onednn_op_table.cc). Each returns UNIMPLEMENTED for a configuration it does
// not handle (any non-f32 tensor, non-constant conv weights, a broadcast
// oneDNN cannot do, ...) so that the engine falls back to the reference
// kernel, and INVALID_ARGUMENT for a malformed node. Conv, Gemm, MatMul and Add
// apply the node's `fused_activation` / `fused_alpha` / `fused_beta` as
// oneDNN post-ops. Layout-aware kernels (Conv, pooling, eltwise, binary, BN)
// read blocked inputs and write blocked outputs (see Layout in kernel.h).
// Kernels are immutable; Run is thread-safe.
// This header does not include oneDNN (tests and benchmarks may use it).
#ifndef FIXPOINT_CORE_RUNTIME_CPU_ONEDNN_ONEDNN_KERNELS_H_
#define FIXPOINT_CORE_RUNTIME_CPU_ONEDNN_ONEDNN_KERNELS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "core/runtime/kernel.h"

namespace fixpoint::runtime::onednn {

using KernelOr = absl::StatusOr<std::unique_ptr<Kernel>>;

// Conv (1-3 spatial dims, groups, dilations, asymmetric pads, bias).
KernelOr CreateConv(const KernelContext& ctx);

// How a Conv kernel lays out activations inside Run. kPlain computes directly
// on the NCHW buffers; kBlocked lets oneDNN choose (e.g. nChw8c) and reorders
// src/dst through scratch. Weights are always in oneDNN's preferred layout.
enum class ConvLayout { kPlain, kBlocked };
// The layout CreateConv uses for this context (see onednn_conv.cc for the
// measurements behind the choice).
ConvLayout PreferredConvLayout(const KernelContext& ctx);
// CreateConv with an explicit layout (for benchmarks and tests).
KernelOr CreateConvWithLayout(const KernelContext& ctx, ConvLayout layout);

KernelOr CreateGemm(const KernelContext& ctx);
KernelOr CreateMatMul(const KernelContext& ctx);
// MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool.
KernelOr CreatePool(const KernelContext& ctx);
// Relu LeakyRelu Sigmoid Tanh Exp Clip HardSigmoid HardSwish Elu Abs Sqrt Log Neg.
KernelOr CreateEltwise(const KernelContext& ctx);
// Add Sub Mul Div Min Max (two inputs, numpy broadcasting of one side).
KernelOr CreateBinary(const KernelContext& ctx);
// Softmax, LogSoftmax (with or without coerce_2d).
KernelOr CreateSoftmax(const KernelContext& ctx);
// BatchNormalization (inference).
KernelOr CreateBatchNorm(const KernelContext& ctx);

// QLinearConv (2-D) with oneDNN int8 convolution: u8/s8 activations, s8
// symmetric weights (per channel), s32 bias, output scales, zero points and
// Relu/LeakyRelu/Clip post-ops. UNIMPLEMENTED when a parameter is not
// constant, weights are asymmetric, or the CPU lacks VNNI and a weight falls
// outside [-64, 63] (its u8 x s8 pairs would saturate a 16-bit intermediate).
KernelOr CreateQLinearConv(const KernelContext& ctx);
// QGemm (transA = 0, alpha = 1) with oneDNN's int8 matmul, same rules.
KernelOr CreateQGemm(const KernelContext& ctx);
// QuantizeLinear with a constant per-tensor scale and zero point (reorder
// with an output scale; within 1 LSB of the reference).
KernelOr CreateQuantizeLinear(const KernelContext& ctx);
// QLinearAdd (equal shapes, per-tensor constant parameters) as an int8
// binary with scales and post-ops; within 1 LSB of the reference.
KernelOr CreateQLinearAdd(const KernelContext& ctx);
// DequantizeLinear, same conditions (exact).
KernelOr CreateDequantizeLinear(const KernelContext& ctx);
// Whether int8 products run without a saturating 16-bit step (VNNI) on the
// ISA oneDNN dispatches to.
bool HasInt8DotProduct();

// Copies a rank-4 value (f32, s8, u8, s32) from layout `from` to kPlain.
KernelOr CreateToPlainReorder(const ir::Node& node, const ir::ValueInfo& info, Layout from);

}  // namespace fixpoint::runtime::onednn

#endif  // FIXPOINT_CORE_RUNTIME_CPU_ONEDNN_ONEDNN_KERNELS_H_
