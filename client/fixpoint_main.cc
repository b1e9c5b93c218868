// fixpoint: the command-line client. Today its subcommands work on local
// files; the server commands come with fixpointd.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "client/local_commands.h"

namespace {

constexpr char kUsage[] =
    "fixpoint <command> [flags]\n"
    "commands:\n"
    "  eval      accuracy and throughput of a model (float or QDQ) on a labelled dataset\n"
    "  dump      the imported graph and the kernels bound for it\n"
    "  quantize  calibrate and quantize a model to an int8 QDQ artifact directory\n"
    "  report    show a quantized artifact's manifest and per-tensor parameters\n";

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = rest[1];
  std::vector<std::string> args(rest.begin() + 2, rest.end());
  if (command == "eval") return fixpoint::client::RunEvalCommand(args);
  if (command == "dump") return fixpoint::client::RunDumpCommand(args);
  if (command == "quantize") return fixpoint::client::RunQuantizeCommand(args);
  if (command == "report") return fixpoint::client::RunReportCommand(args);
  std::cerr << "fixpoint: unknown command '" << command << "'\n" << kUsage;
  return 2;
}
