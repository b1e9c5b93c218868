// Activations fused into a Conv/Gemm/MatMul node by transform::FuseActivations
// (node attributes `fused_activation`, `fused_alpha`, `fused_beta`), applied
// after a kernel that does not fuse them itself. Thread-safe.
#ifndef FIXPOINT_CORE_RUNTIME_FUSED_ACTIVATION_H_
#define FIXPOINT_CORE_RUNTIME_FUSED_ACTIVATION_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/ir/graph.h"
#include "core/runtime/kernel.h"

namespace fixpoint::runtime {

bool HasFusedActivation(const ir::Node& node);
// QLinearConv / QGemm / QLinearAdd: every kernel of these applies the fused activation
// itself, in the real domain before requantization.
bool IsIntegerOp(absl::string_view op_type);
// Removes the fused-activation attributes from `node`.
void StripFusedActivation(ir::Node& node);
// A kernel running `inner` and then the node's fused activation in place on
// output 0 (f32). INVALID_ARGUMENT for an unknown activation.
absl::StatusOr<std::unique_ptr<Kernel>> WrapWithFusedActivation(const ir::Node& node,
                                                                std::unique_ptr<Kernel> inner);

}  // namespace fixpoint::runtime

#endif  // FIXPOINT_CORE_RUNTIME_FUSED_ACTIVATION_H_
