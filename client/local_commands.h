// Subcommands of `fixpoint` that work on local files, without a server
// (for offline users, and the demo). Each returns the process exit code:
// 0 success, 1 the operation failed, 2 bad usage.
#ifndef FIXPOINT_CLIENT_LOCAL_COMMANDS_H_
#define FIXPOINT_CLIENT_LOCAL_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/ir/graph.h"

namespace fixpoint::client {

// True for a TensorFlow frozen GraphDef path (".pb").
bool IsTfGraphDef(const std::string& path);
// Imports the --model file: ONNX, or a TF GraphDef cut by --input_nodes,
// --input_shapes and --output_nodes.
absl::StatusOr<ir::Graph> LoadModelGraph(const std::string& path);

// fixpoint eval: fp32 accuracy and throughput of a model on a labelled dataset.
int RunEvalCommand(const std::vector<std::string>& args);
// fixpoint dump: the imported, optimized graph and the kernels bound for it.
int RunDumpCommand(const std::vector<std::string>& args);
// fixpoint quantize: calibrate, quantize and write an artifact directory
// (model.onnx + manifest.json), optionally with a float vs int8 report.
int RunQuantizeCommand(const std::vector<std::string>& args);
// fixpoint report: a stored artifact's manifest (method, accuracy, per-tensor
// scale / zero point / fix_pos table).
int RunReportCommand(const std::vector<std::string>& args);

}  // namespace fixpoint::client

#endif  // FIXPOINT_CLIENT_LOCAL_COMMANDS_H_
