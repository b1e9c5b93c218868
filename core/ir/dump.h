// Readable text form of a graph, for error messages and `--dump`.
// Thread-safe (pure).
#ifndef FIXPOINT_CORE_IR_DUMP_H_
#define FIXPOINT_CORE_IR_DUMP_H_

#include <string>

#include "core/ir/graph.h"

namespace fixpoint::ir {

// One line per input, initializer (name, dtype, shape only), node
// (`%out:f32[?,28,26,26] = Conv 'conv1'(%input, %w, %b) {strides=[1,1], ...}`)
// and output.
std::string DumpGraph(const Graph& graph);

}  // namespace fixpoint::ir

#endif  // FIXPOINT_CORE_IR_DUMP_H_
