// Removes inference no-ops: Identity and Dropout (output 0 only). Readers of
// the removed output read the node's input instead; a no-op whose output is a
// graph output is kept (the graph output name must stay produced).
// Thread-compatible.
#ifndef FIXPOINT_CORE_TRANSFORM_REMOVE_IDENTITY_H_
#define FIXPOINT_CORE_TRANSFORM_REMOVE_IDENTITY_H_

#include "absl/status/status.h"
#include "core/ir/graph.h"

namespace fixpoint::transform {

// Rewrites in place; outputs stay the same. `removed` gets the count if set.
absl::Status RemoveIdentityNodes(ir::Graph& graph, int* removed = nullptr);

}  // namespace fixpoint::transform

#endif  // FIXPOINT_CORE_TRANSFORM_REMOVE_IDENTITY_H_
