// Which kernel factories exist per op type. The lists are explicit tables
// (core/runtime/cpu/ref/ref_op_table.cc and core/runtime/cpu/onednn/onednn_op_table.cc),
// not self-registering statics. Thread-safe (immutable data).
#ifndef FIXPOINT_CORE_RUNTIME_KERNEL_REGISTRY_H_
#define FIXPOINT_CORE_RUNTIME_KERNEL_REGISTRY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "core/runtime/kernel.h"

namespace fixpoint::runtime {

// Reference (oracle) kernel factory for an op type, or nullptr if none.
KernelFactory FindReferenceKernel(absl::string_view op_type);
// oneDNN fp32 kernel factory for an op type, or nullptr if none.
KernelFactory FindOneDnnKernel(absl::string_view op_type);
// The oneDNN library version in use, e.g. "2.6.3", for manifests and logs.
std::string OneDnnVersion();
// Whether that oneDNN factory is layout-aware: it may be given blocked input
// layouts (KernelContext::input_layouts) and may write blocked outputs.
bool OneDnnReadsBlockedLayouts(absl::string_view op_type);
// A kernel copying one value of `info` from layout `from` to kPlain (input 0
// to output 0); `node` names it in errors.
absl::StatusOr<std::unique_ptr<Kernel>> MakeToPlainKernel(const ir::Node& node,
                                                         const ir::ValueInfo& info,
                                                         Layout from);

}  // namespace fixpoint::runtime

#endif  // FIXPOINT_CORE_RUNTIME_KERNEL_REGISTRY_H_
