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

const v1::JobState kStates[] = {v1::JOB_STATE_QUEUED, v1::JOB_STATE_RUNNING,
                                v1::JOB_STATE_SUCCEEDED, v1::JOB_STATE_FAILED,
                                v1::JOB_STATE_CANCELLED};

struct ServerStatus {
  inference::ServerLiveResponse live;
  inference::ServerReadyResponse ready;
  inference::ServerMetadataResponse meta;
  inference::RepositoryIndexResponse index;
  v1::ListJobsResponse jobs;
};

// The five calls; an exit code (after a message) on error, else -1.
int Gather(Connection& c, ServerStatus* s) {
  inference::GRPCInferenceService::Stub& inference = c.inference();
  grpc::ClientContext live, ready, meta, index, jobs;
  for (grpc::ClientContext* context : {&live, &ready, &meta, &index, &jobs}) c.Prepare(context);
  grpc::Status status = inference.ServerLive(&live, inference::ServerLiveRequest(), &s->live);
  if (!status.ok()) return c.Fail(status, "ServerLive");
  status = inference.ServerReady(&ready, inference::ServerReadyRequest(), &s->ready);
  if (!status.ok()) return c.Fail(status, "ServerReady");
  status = inference.ServerMetadata(&meta, inference::ServerMetadataRequest(), &s->meta);
  if (!status.ok()) return c.Fail(status, "ServerMetadata");
  status = inference.RepositoryIndex(&index, inference::RepositoryIndexRequest(), &s->index);
  if (!status.ok()) return c.Fail(status, "RepositoryIndex");
  v1::ListJobsRequest jobs_request;
  jobs_request.set_limit(kJobsCounted);
  status = c.quantization().ListJobs(&jobs, jobs_request, &s->jobs);
  if (!status.ok()) return c.Fail(status, "ListJobs");
  return -1;
}

void Print(const std::string& server, const ServerStatus& s, bool json) {
  std::map<v1::JobState, int> counts;
  for (const v1::Job& j : s.jobs.jobs()) ++counts[j.state()];
  if (json) {
    nlohmann::ordered_json out;
    out["server"] = server;
    out["live"] = s.live.live();
    out["ready"] = s.ready.ready();
    out["metadata"] = nlohmann::ordered_json::parse(ToJson(s.meta));
    out["models"] = nlohmann::ordered_json::parse(ToJson(s.index))["models"];
    for (v1::JobState state : kStates) out["jobs"][std::string(JobStateName(state))] = counts[state];
    std::cout << out.dump() << "\n";
    return;
  }
  std::cout << "server     " << server << ": live " << (s.live.live() ? "yes" : "NO")
            << ", ready " << (s.ready.ready() ? "yes" : "NO") << "\n"
            << "software   " << s.meta.name() << " " << s.meta.version();
  if (s.meta.extensions_size() > 0) {
    std::cout << " (extensions: " << absl::StrJoin(s.meta.extensions(), ", ") << ")";
  }
  std::vector<std::string> job_counts;
  for (v1::JobState state : kStates) {
    job_counts.push_back(absl::StrCat(counts[state], " ", JobStateName(state)));
  }
  std::cout << "\njobs       " << absl::StrJoin(job_counts, ", ")
            << (s.jobs.jobs_size() >= kJobsCounted ? " (of the newest jobs)" : "") << "\n\n";
  Table table({"MODEL", "VERSION", "STATE", "REASON"}, {Table::Align::kLeft, Table::Align::kRight});
  for (const auto& m : s.index.models()) {
    table.AddRow({m.name(), m.version().empty() ? "-" : m.version(), m.state(), m.reason()});
  }
  std::cout << (table.empty() ? "no models\n" : table.Render());
}

}  // namespace

int RunStatusCommand(const std::vector<std::string>&) {
  auto connection = Connection::FromFlags();
  if (!connection.ok()) return UsageError(connection.status().message(), kStatusUsage);
  ServerStatus status;
  if (int code = Gather(**connection, &status); code >= 0) return code;
  Print((*connection)->server(), status, absl::GetFlag(FLAGS_json));
  return kExitOk;
}

}  // namespace fixpoint::client
