// Structural checks of a Graph; every pass ends with them. Thread-safe (pure).
#ifndef FIXPOINT_CORE_IR_VERIFIER_H_
#define FIXPOINT_CORE_IR_VERIFIER_H_

#include "absl/status/status.h"
#include "core/ir/graph.h"

namespace fixpoint::ir {

// OK when: every node input is a graph input, an initializer or the output of
// an earlier node (topological order); no value has two producers; node names
// are unique and non-empty; every graph output is produced; every op is in the
// supported set; graph input and initializer shapes pass CheckElementCount
// (core/ir/dim_math.h). Otherwise INVALID_ARGUMENT naming the node and value.
absl::Status VerifyGraph(const Graph& graph);

}  // namespace fixpoint::ir

#endif  // FIXPOINT_CORE_IR_VERIFIER_H_
