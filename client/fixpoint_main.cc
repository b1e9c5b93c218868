// fixpoint: the command-line client. Local subcommands work on files
// without a server; remote ones talk to fixpointd over gRPC.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/local_commands.h"
#include "client/remote_commands.h"
#include "client/remote_format.h"
#include "core/runtime/cpu/threading.h"
#include "core/util/allocator_tuning.h"

ABSL_DECLARE_FLAG(std::string, out);
ABSL_DECLARE_FLAG(std::string, artifact);

namespace {

constexpr char kUsage[] =
    "fixpoint <command> [flags]\n"
    "local commands (files, no server):\n"
    "  eval      accuracy and throughput of a model (float or QDQ) on a labelled dataset\n"
    "  dump      the imported graph and the kernels bound for it\n"
    "  quantize --out DIR   calibrate and quantize a model file to an int8 artifact directory\n"
    "  report --artifact DIR  show a quantized artifact's manifest and per-tensor parameters\n"
    "remote commands (fixpointd at --server, default 127.0.0.1:8001):\n"
    "  models upload|list|show|label|delete   model versions and labels\n"
    "  datasets upload|list                   calibration and evaluation sets\n"
    "  quantize --model NAME --calib DATASET [--wait]  submit a quantization job\n"
    "  jobs list|watch|cancel                 quantization jobs\n"
    "  report --model NAME [--version V]      accuracy and per-tensor report of a version\n"
    "  infer --model NAME --input FILE        top classes of a CSV row, .npy or PNG\n"
    "  status                                 liveness, readiness, models, job counts\n"
    "connection: --server, --token_file, --tls_ca, --tls_cert/--tls_key (mutual TLS),\n"
    "  --tls_server_name, --timeout_s. Tables by default, --json for scripts.\n"
    "`--version V` names a model version (number or label); a bare --version prints\n"
    "the build.\n"
    "exit codes: 0 ok; 1 the server answered with an error (or a local command failed);\n"
    "  2 bad usage or unreadable local input; 3 server unreachable; 4 a watched job\n"
    "  ended failed or cancelled.\n";

// Abseil's parser exits with 1 on an unknown flag or a bad value; fixpoint's
// exit code for bad usage is 2, so the words are checked here first. Returns
// an error message, or "" when every flag is known and its value parses.
std::string CheckFlags(const std::vector<std::string>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    absl::string_view a = args[i];
    if (a == "--") break;
    if (a.size() < 2 || a[0] != '-') continue;
    a.remove_prefix(a[1] == '-' ? 2 : 1);
    const size_t eq = a.find('=');
    const absl::string_view name = a.substr(0, eq);
    // Abseil's usage flags are not in the registry; its parser handles them.
    if (name == "help" || name == "helpfull" || name == "helpshort" || name == "helppackage" ||
        name == "version" || name == "only_check_args" || name == "helpon" ||
        name == "helpmatch") {
      continue;
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) {
      absl::CommandLineFlag* negated =
          absl::StartsWith(name, "no") ? absl::FindCommandLineFlag(name.substr(2)) : nullptr;
      if (negated != nullptr && negated->IsOfType<bool>() && eq == absl::string_view::npos) continue;
      return absl::StrCat("unknown flag --", name);
    }
    if (name == "flagfile" || name == "fromenv" || name == "tryfromenv") {
      if (eq == absl::string_view::npos) ++i;
      continue;  // Abseil reads these itself
    }
    std::string value;
    if (eq != absl::string_view::npos) {
      value = std::string(a.substr(eq + 1));
    } else if (flag->IsOfType<bool>()) {
      continue;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return absl::StrCat("flag --", name, " needs a value");
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) return absl::StrCat("--", name, ": ", error);
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  fixpoint::runtime::cpu::ReexecWithBoundedOpenMpSpin(argv);
  fixpoint::util::TuneAllocatorForLargeBuffers();
  fixpoint::util::ShareOneMallocArena();
  absl::SetProgramUsageMessage(kUsage);
  std::vector<std::string> args =
      fixpoint::client::RenameVersionFlag(std::vector<std::string>(argv, argv + argc));
  if (const std::string error = CheckFlags(args); !error.empty()) {
    std::cerr << "fixpoint: " << error << "\n" << kUsage;
    return 2;
  }
  std::vector<char*> cargs;
  for (std::string& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  std::vector<char*> rest = absl::ParseCommandLine(static_cast<int>(args.size()), cargs.data());
  if (rest.size() < 2) {
    std::cerr << kUsage;
    return 2;
  }
  namespace c = fixpoint::client;
  const std::string command = rest[1];
  std::vector<std::string> sub(rest.begin() + 2, rest.end());
  if (command == "eval") return c::RunEvalCommand(sub);
  if (command == "dump") return c::RunDumpCommand(sub);
  if (command == "quantize") {
    return absl::GetFlag(FLAGS_out).empty() ? c::RunRemoteQuantizeCommand(sub)
                                            : c::RunQuantizeCommand(sub);
  }
  if (command == "report") {
    return absl::GetFlag(FLAGS_artifact).empty() ? c::RunRemoteReportCommand(sub)
                                                 : c::RunReportCommand(sub);
  }
  if (command == "models") return c::RunModelsCommand(sub);
  if (command == "datasets") return c::RunDatasetsCommand(sub);
  if (command == "jobs") return c::RunJobsCommand(sub);
  if (command == "infer") return c::RunInferCommand(sub);
  if (command == "status") return c::RunStatusCommand(sub);
  std::cerr << "fixpoint: unknown command '" << command << "'\n" << kUsage;
  return 2;
}
