// fixpoint quantize (remote), jobs list | watch | cancel, report --model:
// the QuantizationService.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "client/remote_commands.h"
#include "client/remote_common.h"
#include "client/remote_connection.h"
#include "client/remote_convert.h"
#include "client/remote_format.h"
#include "client/report_print.h"

ABSL_FLAG(bool, wait, false, "quantize: watch the job until it ends, then print its report");
ABSL_FLAG(std::string, id, "", "jobs watch / cancel: the job id");
ABSL_FLAG(std::string, state, "",
          "jobs list: only jobs in this state (queued, running, succeeded, failed, cancelled)");
ABSL_DECLARE_FLAG(std::string, model);
ABSL_DECLARE_FLAG(std::string, model_version);
ABSL_DECLARE_FLAG(std::string, label);
ABSL_DECLARE_FLAG(std::string, calib);
ABSL_DECLARE_FLAG(int64_t, calib_size);
ABSL_DECLARE_FLAG(std::string, method);
ABSL_DECLARE_FLAG(std::string, eval);
ABSL_DECLARE_FLAG(double, max_drop_pp);
ABSL_DECLARE_FLAG(double, time_budget_s);
ABSL_DECLARE_FLAG(double, percentile);
ABSL_DECLARE_FLAG(bool, symmetric_activations);
ABSL_DECLARE_FLAG(bool, per_tensor_weights);
ABSL_DECLARE_FLAG(std::string, exclude_nodes);
ABSL_DECLARE_FLAG(std::string, exclude_op_types);
ABSL_DECLARE_FLAG(int64_t, limit);
ABSL_DECLARE_FLAG(bool, json);

namespace fixpoint::client {
namespace {

constexpr char kQuantizeUsage[] =
    "fixpoint quantize --model NAME [--version V] --calib DATASET [--calib_size N] [--method M]\n"
    "           [--eval DATASET [--max_drop_pp X]] [--label L] [--wait] [--json]\n"
    "       (with --out DIR and a model file it runs locally instead)";
constexpr char kJobsUsage[] =
    "fixpoint jobs list [--state S] [--limit N]\n"
    "       fixpoint jobs watch --id J\n"
    "       fixpoint jobs cancel --id J";
constexpr char kReportUsage[] =
    "fixpoint report --model NAME [--version V] [--json]   (default: the newest int8 version)\n"
    "       fixpoint report --artifact DIR [--json]            (a local artifact)";

std::string ModelText(const std::string& model, int64_t version) {
  return version > 0 ? absl::StrCat(model, " v", version) : absl::StrCat(model, " (latest)");
}

std::string ProgressText(const v1::Job& job) {
  if (job.state() != v1::JOB_STATE_RUNNING) return "";
  std::string text = absl::StrFormat("%s %d%%", job.phase().empty() ? "-" : job.phase(),
                                     static_cast<int>(job.progress() * 100));
  if (job.eta_seconds() > 0) absl::StrAppend(&text, ", ETA ", FormatDuration(job.eta_seconds()));
  return text;
}

void PrintJob(const v1::Job& job) {
  const v1::QuantizeRequest& r = job.request();
  std::string state(JobStateName(job.state()));
  if (const std::string p = ProgressText(job); !p.empty()) absl::StrAppend(&state, " (", p, ")");
  std::cout << absl::StrCat("job        ", job.id(), "\nstate      ", state, "\nmodel      ",
                            ModelText(r.model(), r.version()), ", ", r.method(), " on ",
                            r.calib_images(), " images of ", r.calib_dataset().substr(0, 12),
                            "\ncreated    ", FormatTimestamp(job.created()), "\n");
  if (!job.result_model().empty()) {
    std::cout << "result     " << job.result_model() << " v" << job.result_version() << "\n";
  }
  if (!job.error().empty()) std::cout << "error      " << job.error() << "\n";
}

// Progress of a watched job on stderr: one redrawn bar on a terminal,
// otherwise a plain line per state / phase change, 10 % step or log line.
class WatchDisplay {
 public:
  explicit WatchDisplay(bool enabled) : enabled_(enabled), tty_(isatty(STDERR_FILENO) != 0) {}
  ~WatchDisplay() { ClearBar(); }

  void Show(const v1::JobEvent& event) {
    if (!enabled_) return;
    const v1::Job& job = event.job();
    if (!event.log().empty()) {
      ClearBar();
      std::fprintf(stderr, "  %s\n", event.log().c_str());
    }
    if (tty_) {
      const std::string phase = job.state() == v1::JOB_STATE_RUNNING && !job.phase().empty()
                                    ? job.phase()
                                    : std::string(JobStateName(job.state()));
      std::fprintf(stderr, "\r\033[K%s",
                   ProgressLine(phase, job.progress(), job.eta_seconds()).c_str());
      bar_shown_ = true;
      return;
    }
    const int decile = static_cast<int>(job.progress() * 10);
    if (job.state() != last_state_ || job.phase() != last_phase_ || decile != last_decile_) {
      std::fprintf(stderr, "job %s: %s%s\n", job.id().c_str(),
                   std::string(JobStateName(job.state())).c_str(),
                   ProgressText(job).empty() ? "" : (" " + ProgressText(job)).c_str());
      last_state_ = job.state();
      last_phase_ = job.phase();
      last_decile_ = decile;
    }
  }

 private:
  void ClearBar() {
    if (bar_shown_) std::fprintf(stderr, "\r\033[K");
    bar_shown_ = false;
  }

  const bool enabled_;
  const bool tty_;
  bool bar_shown_ = false;
  v1::JobState last_state_ = v1::JOB_STATE_UNSPECIFIED;
  std::string last_phase_;
  int last_decile_ = -1;
};

// Streams WatchJob until the job is final. With `json_lines` every event is
// also printed to stdout as one JSON line. *job is the last state seen.
grpc::Status Watch(Connection& c, const std::string& id, bool show_progress, bool json_lines,
                   v1::Job* job) {
  grpc::ClientContext context;
  c.Prepare(&context, /*with_deadline=*/false);
  v1::WatchJobRequest request;
  request.set_id(id);
  std::unique_ptr<grpc::ClientReader<v1::JobEvent>> reader =
      c.quantization().WatchJob(&context, request);
  WatchDisplay display(show_progress);
  v1::JobEvent event;
  while (reader->Read(&event)) {
    *job = event.job();
    if (json_lines) std::cout << ToJson(event) << std::endl;
    display.Show(event);
    if (IsFinal(job->state())) {
      context.TryCancel();  // the server ends the stream too; no need to wait for it
      break;
    }
  }
  grpc::Status status = reader->Finish();
  if (IsFinal(job->state())) return grpc::Status::OK;
  if (!status.ok()) return status;
  return grpc::Status(grpc::StatusCode::UNKNOWN, "the watch ended before the job did");
}

// The exit code for a watched job's final state, after saying how it ended.
int FinalCode(const v1::Job& job) {
  if (job.state() == v1::JOB_STATE_SUCCEEDED) return kExitOk;
  std::cerr << "fixpoint: job " << job.id() << " " << JobStateName(job.state())
            << (job.error().empty() ? "" : ": " + job.error()) << "\n";
  return kExitJobFailed;
}

grpc::Status GetReport(Connection& c, const std::string& model, int64_t version,
                       v1::Report* report) {
  grpc::ClientContext context;
  c.Prepare(&context);
  v1::GetReportRequest request;
  request.set_model(model);
  request.set_version(version);
  return c.quantization().GetReport(&context, request, report);
}

std::vector<std::string> List(const std::string& csv) {
  return absl::StrSplit(csv, ',', absl::SkipEmpty());
}

// Fills the request from the flags; an exit code (after a message) if one
// is wrong or a name does not resolve, else -1.
int BuildRequest(Connection& c, v1::QuantizeRequest* r) {
  const std::string model = absl::GetFlag(FLAGS_model);
  r->set_model(model);
  int64_t version = 0;
  grpc::Status status = ResolveVersion(c, model, absl::GetFlag(FLAGS_model_version), &version);
  if (!status.ok()) return c.Fail(status, "resolving --version");
  r->set_version(version);
  v1::Dataset calib;
  status = ResolveDataset(c, absl::GetFlag(FLAGS_calib), &calib);
  if (!status.ok()) return c.Fail(status, "resolving --calib");
  r->set_calib_dataset(calib.sha256());
  // Locally --calib_size 0 means the whole set; the API's 0 means 1000.
  const int64_t size = absl::GetFlag(FLAGS_calib_size);
  r->set_calib_images(size > 0 ? size : calib.items());
  r->set_method(absl::GetFlag(FLAGS_method));
  if (!absl::GetFlag(FLAGS_eval).empty()) {
    v1::Dataset eval;
    status = ResolveDataset(c, absl::GetFlag(FLAGS_eval), &eval);
    if (!status.ok()) return c.Fail(status, "resolving --eval");
    r->set_eval_dataset(eval.sha256());
  }
  r->set_symmetric_activations(absl::GetFlag(FLAGS_symmetric_activations));
  r->set_per_tensor_weights(absl::GetFlag(FLAGS_per_tensor_weights));
  r->set_percentile(absl::GetFlag(FLAGS_percentile));
  for (const std::string& n : List(absl::GetFlag(FLAGS_exclude_nodes))) r->add_exclude_nodes(n);
  for (const std::string& t : List(absl::GetFlag(FLAGS_exclude_op_types))) {
    r->add_exclude_op_types(t);
  }
  const double max_drop = absl::GetFlag(FLAGS_max_drop_pp);
  if (max_drop >= 0) {
    if (max_drop == 0 || r->eval_dataset().empty()) {
      return UsageError("remote --max_drop_pp needs a value > 0 and --eval", kQuantizeUsage);
    }
    r->set_max_drop_pp(max_drop);
    r->set_time_budget_s(absl::GetFlag(FLAGS_time_budget_s));
  }
  r->set_label(absl::GetFlag(FLAGS_label));
  return -1;
}

}  // namespace

int RunRemoteQuantizeCommand(const std::vector<std::string>&) {
  if (absl::GetFlag(FLAGS_model).empty() || absl::GetFlag(FLAGS_calib).empty()) {
    return UsageError("quantize needs --model and --calib", kQuantizeUsage);
  }
  const std::string model = absl::GetFlag(FLAGS_model);
  std::error_code error;
  if (std::filesystem::is_regular_file(model, error) &&
      (absl::StrContains(model, '/') || absl::EndsWith(model, ".onnx") ||
       absl::EndsWith(model, ".pb"))) {
    return UsageError(absl::StrCat("--model '", model,
                                   "' looks like a file: add --out DIR to quantize it locally, or "
                                   "`fixpoint models upload` it and pass its name"),
                      kQuantizeUsage);
  }
  auto connection = Connection::FromFlags();
  if (!connection.ok()) return UsageError(connection.status().message(), kQuantizeUsage);
  Connection& c = **connection;
  v1::QuantizeRequest request;
  if (int code = BuildRequest(c, &request); code >= 0) return code;
  grpc::ClientContext context;
  c.Prepare(&context);
  v1::Job job;
  grpc::Status status = c.quantization().Quantize(&context, request, &job);
  if (!status.ok()) return c.Fail(status, absl::StrCat("quantizing ", request.model()));
  const bool json = absl::GetFlag(FLAGS_json);
  if (!absl::GetFlag(FLAGS_wait)) {
    if (json) {
      std::cout << ToJson(job) << "\n";
    } else {
      PrintJob(job);
    }
    return kExitOk;
  }
  if (!json) std::cerr << "job " << job.id() << " submitted; watching it\n";
  status = Watch(c, job.id(), !json, /*json_lines=*/false, &job);
  if (!status.ok()) return c.Fail(status, absl::StrCat("watching job ", job.id()));
  v1::Report report;
  if (job.state() == v1::JOB_STATE_SUCCEEDED) {
    status = GetReport(c, job.result_model(), job.result_version(), &report);
    if (!status.ok()) return c.Fail(status, "getting the report");
  }
  if (json) {
    nlohmann::ordered_json out;
    out["job"] = nlohmann::ordered_json::parse(ToJson(job));
    if (job.state() == v1::JOB_STATE_SUCCEEDED) {
      report.clear_manifest_json();  // `fixpoint report --json` has it
      out["report"] = nlohmann::ordered_json::parse(ToJson(report));
    }
    std::cout << out.dump() << "\n";
  } else if (job.state() == v1::JOB_STATE_SUCCEEDED) {
    PrintQuantizeSummary(ManifestFromReport(report), "model",
                         absl::StrCat(job.result_model(), " v", job.result_version(), " (job ",
                                      job.id(), ")"),
                         std::cout);
  }
  return FinalCode(job);
}

namespace {

int JobsList(Connection& c) {
  auto state = ParseJobState(absl::GetFlag(FLAGS_state));
  if (!state.ok()) return UsageError(state.status().message(), kJobsUsage);
  v1::ListJobsRequest request;
  request.set_state(*state);
  request.set_limit(static_cast<int32_t>(std::clamp<int64_t>(absl::GetFlag(FLAGS_limit), 0, 1 << 30)));
  grpc::ClientContext context;
  c.Prepare(&context);
  v1::ListJobsResponse reply;
  grpc::Status status = c.quantization().ListJobs(&context, request, &reply);
  if (!status.ok()) return c.Fail(status, "listing jobs");
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << ToJson(reply) << "\n";
    return kExitOk;
  }
  Table table({"ID", "STATE", "PROGRESS", "MODEL", "METHOD", "RESULT", "CREATED", "ERROR"});
  for (const v1::Job& j : reply.jobs()) {
    const v1::QuantizeRequest& r = j.request();
    table.AddRow({j.id(), std::string(JobStateName(j.state())), ProgressText(j),
                  ModelText(r.model(), r.version()), r.method(),
                  j.result_model().empty() ? "-"
                                           : absl::StrCat(j.result_model(), " v", j.result_version()),
                  FormatTimestamp(j.created()), j.error()});
  }
  std::cout << (table.empty() ? "no jobs\n" : table.Render());
  return kExitOk;
}

int JobsWatch(Connection& c) {
  const std::string id = absl::GetFlag(FLAGS_id);
  if (id.empty()) return UsageError("watch needs --id", kJobsUsage);
  const bool json = absl::GetFlag(FLAGS_json);
  v1::Job job;
  grpc::Status status = Watch(c, id, !json, /*json_lines=*/json, &job);
  if (!status.ok()) return c.Fail(status, absl::StrCat("watching job ", id));
  if (!json) PrintJob(job);
  return FinalCode(job);
}

int JobsCancel(Connection& c) {
  const std::string id = absl::GetFlag(FLAGS_id);
  if (id.empty()) return UsageError("cancel needs --id", kJobsUsage);
  grpc::ClientContext context;
  c.Prepare(&context);
  v1::CancelJobRequest request;
  request.set_id(id);
  v1::Job job;
  grpc::Status status = c.quantization().CancelJob(&context, request, &job);
  if (!status.ok()) return c.Fail(status, absl::StrCat("cancelling job ", id));
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << ToJson(job) << "\n";
  } else {
    PrintJob(job);
  }
  return kExitOk;
}

// The newest int8 version of `model` (0 if none), for `report` without --version.
grpc::Status NewestInt8(Connection& c, const std::string& model, int64_t* version) {
  grpc::ClientContext context;
  c.Prepare(&context);
  v1::GetModelRequest request;
  request.set_name(model);
  v1::Model reply;
  grpc::Status status = c.models().GetModel(&context, request, &reply);
  if (!status.ok()) return status;
  *version = 0;
  for (const v1::ModelVersion& v : reply.versions()) {
    if (v.precision() == v1::PRECISION_INT8) *version = std::max(*version, v.version());
  }
  if (*version > 0) return grpc::Status::OK;
  return grpc::Status(grpc::StatusCode::NOT_FOUND,
                      absl::StrCat("model '", model, "' has no int8 version yet"));
}

}  // namespace

int RunJobsCommand(const std::vector<std::string>& args) {
  const std::string sub = args.empty() ? "" : args[0];
  int (*run)(Connection&) = sub == "list"     ? JobsList
                            : sub == "watch"  ? JobsWatch
                            : sub == "cancel" ? JobsCancel
                                              : nullptr;
  if (run == nullptr) {
    return UsageError(sub.empty() ? "jobs needs a subcommand"
                                  : absl::StrCat("unknown jobs subcommand '", sub, "'"),
                      kJobsUsage);
  }
  auto connection = Connection::FromFlags();
  if (!connection.ok()) return UsageError(connection.status().message(), kJobsUsage);
  return run(**connection);
}

int RunRemoteReportCommand(const std::vector<std::string>&) {
  const std::string model = absl::GetFlag(FLAGS_model);
  if (model.empty()) return UsageError("report needs --model (or --artifact)", kReportUsage);
  auto connection = Connection::FromFlags();
  if (!connection.ok()) return UsageError(connection.status().message(), kReportUsage);
  Connection& c = **connection;
  int64_t version = 0;
  grpc::Status status =
      absl::GetFlag(FLAGS_model_version).empty()
          ? NewestInt8(c, model, &version)
          : ResolveVersion(c, model, absl::GetFlag(FLAGS_model_version), &version);
  if (!status.ok()) return c.Fail(status, "resolving the version");
  v1::Report report;
  status = GetReport(c, model, version, &report);
  if (!status.ok()) return c.Fail(status, absl::StrCat("getting the report of ", model, " v", version));
  if (absl::GetFlag(FLAGS_json)) {
    // As `report --artifact --json`: the manifest itself.
    std::cout << (report.manifest_json().empty() ? ToJson(report) + "\n" : report.manifest_json());
    return kExitOk;
  }
  const quant::Manifest manifest = ManifestFromReport(report);
  if (manifest.tensors.empty() && manifest.method.empty()) {
    std::cout << model << " v" << version << " is a float version: nothing was quantized\n";
    return kExitOk;
  }
  std::string title = absl::StrCat(model, " v", version);
  if (report.parent_version() > 0) absl::StrAppend(&title, " (from v", report.parent_version(), ")");
  PrintQuantizeReport(manifest, "model", title, std::cout);
  return kExitOk;
}

}  // namespace fixpoint::client
