// fixpoint status: is fixpointd live and ready, what is it, which model
// versions does it serve, and how many jobs are in each state.
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/remote_commands.h"
#include "client/remote_connection.h"
#include "client/remote_convert.h"
#include "client/remote_format.h"

ABSL_DECLARE_FLAG(bool, json);

namespace fixpoint::client {
namespace {

constexpr char kStatusUsage[] = "fixpoint status [--server HOST:PORT] [--json]";
// Jobs counted by `status` (the most recent ones).
constexpr int kJobsCounted = 10000;

}  // namespace

int RunStatusCommand(const std::vector<std::string>&) {
  auto connection = Connection::FromFlags();
  if (!connection.ok()) return UsageError(connection.status().message(), kStatusUsage);
  Connection& c = **connection;
  inference::GRPCInferenceService::Stub& inference = c.inference();

  inference::ServerLiveResponse live;
  grpc::ClientContext live_context;
  c.Prepare(&live_context);
  grpc::Status status = inference.ServerLive(&live_context, inference::ServerLiveRequest(), &live);
  if (!status.ok()) return c.Fail(status, "ServerLive");
  inference::ServerReadyResponse ready;
  grpc::ClientContext ready_context;
  c.Prepare(&ready_context);
  status = inference.ServerReady(&ready_context, inference::ServerReadyRequest(), &ready);
  if (!status.ok()) return c.Fail(status, "ServerReady");
  inference::ServerMetadataResponse meta;
  grpc::ClientContext meta_context;
  c.Prepare(&meta_context);
  status = inference.ServerMetadata(&meta_context, inference::ServerMetadataRequest(), &meta);
  if (!status.ok()) return c.Fail(status, "ServerMetadata");
  inference::RepositoryIndexResponse index;
  grpc::ClientContext index_context;
  c.Prepare(&index_context);
  status = inference.RepositoryIndex(&index_context, inference::RepositoryIndexRequest(), &index);
  if (!status.ok()) return c.Fail(status, "RepositoryIndex");
  v1::ListJobsRequest jobs_request;
  jobs_request.set_limit(kJobsCounted);
  v1::ListJobsResponse jobs;
  grpc::ClientContext jobs_context;
  c.Prepare(&jobs_context);
  status = c.quantization().ListJobs(&jobs_context, jobs_request, &jobs);
  if (!status.ok()) return c.Fail(status, "ListJobs");

  std::map<v1::JobState, int> counts;
  for (const v1::Job& j : jobs.jobs()) ++counts[j.state()];
  const std::vector<v1::JobState> states = {v1::JOB_STATE_QUEUED, v1::JOB_STATE_RUNNING,
                                            v1::JOB_STATE_SUCCEEDED, v1::JOB_STATE_FAILED,
                                            v1::JOB_STATE_CANCELLED};
  if (absl::GetFlag(FLAGS_json)) {
    nlohmann::ordered_json out;
    out["server"] = c.server();
    out["live"] = live.live();
    out["ready"] = ready.ready();
    out["metadata"] = nlohmann::ordered_json::parse(ToJson(meta));
    out["models"] = nlohmann::ordered_json::parse(ToJson(index))["models"];
    for (v1::JobState s : states) out["jobs"][std::string(JobStateName(s))] = counts[s];
    std::cout << out.dump() << "\n";
    return kExitOk;
  }
  std::cout << "server     " << c.server() << ": live " << (live.live() ? "yes" : "NO")
            << ", ready " << (ready.ready() ? "yes" : "NO") << "\n"
            << "software   " << meta.name() << " " << meta.version();
  if (meta.extensions_size() > 0) {
    std::cout << " (extensions: " << absl::StrJoin(meta.extensions(), ", ") << ")";
  }
  std::vector<std::string> job_counts;
  for (v1::JobState s : states) job_counts.push_back(absl::StrCat(counts[s], " ", JobStateName(s)));
  std::cout << "\njobs       " << absl::StrJoin(job_counts, ", ")
            << (jobs.jobs_size() >= kJobsCounted ? " (of the newest jobs)" : "") << "\n\n";
  Table table({"MODEL", "VERSION", "STATE", "REASON"}, {Table::Align::kLeft, Table::Align::kRight});
  for (const auto& m : index.models()) {
    table.AddRow({m.name(), m.version().empty() ? "-" : m.version(), m.state(), m.reason()});
  }
  std::cout << (table.empty() ? "no models\n" : table.Render());
  return kExitOk;
}

}  // namespace fixpoint::client
