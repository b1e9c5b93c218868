// The remote subcommands of `fixpoint`: they talk to fixpointd over gRPC
// (fixpoint.v1 management services and KServe v2 inference). Each reads its
// flags, returns the process exit code (kExit* in remote_connection.h) and
// prints tables, or --json for scripts, on stdout; errors go to stderr.
#ifndef FIXPOINT_CLIENT_REMOTE_COMMANDS_H_
#define FIXPOINT_CLIENT_REMOTE_COMMANDS_H_

#include <string>
#include <vector>

namespace fixpoint::client {

// `args` are the words after the command name, e.g. {"upload"} for
// `fixpoint models upload --name m --model m.onnx`.

// models upload | list | show | label | delete
int RunModelsCommand(const std::vector<std::string>& args);
// datasets upload | list
int RunDatasetsCommand(const std::vector<std::string>& args);
// quantize without --out: submits a job, optionally --wait for it.
int RunRemoteQuantizeCommand(const std::vector<std::string>& args);
// jobs list | watch | cancel
int RunJobsCommand(const std::vector<std::string>& args);
// report --model NAME --version V
int RunRemoteReportCommand(const std::vector<std::string>& args);
// infer --model NAME --input FILE
int RunInferCommand(const std::vector<std::string>& args);
// status: liveness, readiness, metadata, models, job counts.
int RunStatusCommand(const std::vector<std::string>& args);

}  // namespace fixpoint::client

#endif  // FIXPOINT_CLIENT_REMOTE_COMMANDS_H_
