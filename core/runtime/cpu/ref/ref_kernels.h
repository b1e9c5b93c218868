// Factories of the reference ("oracle") kernels, one per op family; the op
// table (ref_op_table.cc) maps each op type to one of them. Each factory reads
// ctx.node.op_type where it serves several ops. Thread-safe (pure).
//
// Every factory follows the KernelFactory contract (core/runtime/kernel.h):
// INVALID_ARGUMENT naming the node for malformed attributes or dtypes,
// UNIMPLEMENTED for a dtype combination the reference does not support.
#ifndef FIXPOINT_CORE_RUNTIME_CPU_REF_REF_KERNELS_H_
#define FIXPOINT_CORE_RUNTIME_CPU_REF_REF_KERNELS_H_

#include "core/runtime/cpu/ref/ref_util.h"

namespace fixpoint::runtime::ref {

// ref_elementwise.cc: Relu LeakyRelu Sigmoid HardSigmoid HardSwish Tanh Exp Log
// Abs Neg Sqrt Reciprocal Floor Ceil Sign Sin Cos Erf Elu Selu Softplus
// Softsign Not; Clip.
KernelOr CreateUnary(const KernelContext& ctx);
KernelOr CreateClip(const KernelContext& ctx);
// ref_cast.cc
KernelOr CreateCast(const KernelContext& ctx);
// ref_binary.cc: Add Sub Mul Div Pow Equal Less Greater LessOrEqual
// GreaterOrEqual And Or Xor; Sum Mean Max Min; Where; PRelu.
KernelOr CreateBinary(const KernelContext& ctx);
KernelOr CreateVariadic(const KernelContext& ctx);
KernelOr CreateWhere(const KernelContext& ctx);
KernelOr CreatePRelu(const KernelContext& ctx);
// ref_conv.cc
KernelOr CreateConv(const KernelContext& ctx);
KernelOr CreateConvTranspose(const KernelContext& ctx);
// ref_pool.cc: MaxPool AveragePool; GlobalAveragePool GlobalMaxPool.
KernelOr CreatePool(const KernelContext& ctx);
KernelOr CreateGlobalPool(const KernelContext& ctx);
// ref_gemm.cc
KernelOr CreateGemm(const KernelContext& ctx);
KernelOr CreateMatMul(const KernelContext& ctx);
// ref_softmax.cc: Softmax LogSoftmax Hardmax.
KernelOr CreateSoftmax(const KernelContext& ctx);
// ref_reduce.cc: Reduce*; ArgMax ArgMin.
KernelOr CreateReduce(const KernelContext& ctx);
KernelOr CreateArgMinMax(const KernelContext& ctx);
// ref_norm.cc
KernelOr CreateBatchNormalization(const KernelContext& ctx);
KernelOr CreateInstanceNormalization(const KernelContext& ctx);
KernelOr CreateLrn(const KernelContext& ctx);
// ref_tensor_ops.cc: Identity Dropout Reshape Flatten Squeeze Unsqueeze (byte
// copies); Concat Split Gather Shape Size ConstantOfShape.
KernelOr CreateCopy(const KernelContext& ctx);
KernelOr CreateConcat(const KernelContext& ctx);
KernelOr CreateSplit(const KernelContext& ctx);
KernelOr CreateGather(const KernelContext& ctx);
KernelOr CreateShape(const KernelContext& ctx);
KernelOr CreateSize(const KernelContext& ctx);
KernelOr CreateConstantOfShape(const KernelContext& ctx);
// ref_layout.cc: index-map copies.
KernelOr CreateTranspose(const KernelContext& ctx);
KernelOr CreateSlice(const KernelContext& ctx);
KernelOr CreatePad(const KernelContext& ctx);
KernelOr CreateExpand(const KernelContext& ctx);
KernelOr CreateTile(const KernelContext& ctx);
KernelOr CreateDepthToSpace(const KernelContext& ctx);
KernelOr CreateSpaceToDepth(const KernelContext& ctx);
// ref_resize.cc
KernelOr CreateResize(const KernelContext& ctx);
// ref_quant.cc: ONNX QuantizeLinear / DequantizeLinear, per tensor or per axis.
KernelOr CreateQuantizeLinear(const KernelContext& ctx);
KernelOr CreateDequantizeLinear(const KernelContext& ctx);
// Integer QLinearConv (2-D) and QGemm; they apply `fused_activation`
// themselves (ref_qlinear.cc).
KernelOr CreateQLinearConv(const KernelContext& ctx);
KernelOr CreateQGemm(const KernelContext& ctx);
// QLinearAdd (same shapes; fused activation in the real domain).
KernelOr CreateQLinearAdd(const KernelContext& ctx);

}  // namespace fixpoint::runtime::ref

#endif  // FIXPOINT_CORE_RUNTIME_CPU_REF_REF_KERNELS_H_
