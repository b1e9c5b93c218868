#include "server/services/quantization_service.h"

#include <deque>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/jobs/quantize_job.h"
#include "core/util/status_macros.h"
#include "server/convert/management_convert.h"
#include "server/convert/status_convert.h"
#include "server/log.h"
#include "server/services/unary_on_pool.h"

namespace fixpoint::server {

// Streams the job's current state, then every event, and finishes after the
// event that carries a final state. Events arrive on scheduler threads and
// are queued; one write is in flight at a time.
class QuantizationService::WatchReactor : public grpc::ServerWriteReactor<v1::JobEvent> {
 public:
  WatchReactor(QuantizationService* service, grpc::CallbackServerContext* context,
               const std::string& id)
      : scheduler_(service->scheduler_) {
    if (absl::Status s = service->auth_->Check(*context); !s.ok()) {
      FinishOnce(ToGrpcStatus(s));
      return;
    }
    // Subscribe and Get without holding mu_: the scheduler calls Push with
    // its own listener lock held, so taking its locks under mu_ would order
    // the two mutexes both ways. Nothing is written before `started_`, so
    // OnDone (which unsubscribes) cannot run before the token is stored.
    auto token = scheduler_->Subscribe(id, [this](const jobs::JobEvent& e) { Push(e); });
    if (!token.ok()) {
      FinishOnce(ToGrpcStatus(token.status()));
      return;
    }
    auto current = scheduler_->Get(id);
    absl::MutexLock lock(&mu_);
    token_ = *token;
    if (!current.ok()) {
      FinishLocked(ToGrpcStatus(current.status()));
      return;
    }
    // Events that arrived meanwhile are older than this snapshot or equal.
    if (!final_queued_) PushLocked(jobs::JobEvent{*current, ""});
    started_ = true;
    WriteNextLocked();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "watch stream closed"));
      return;
    }
    pending_.pop_front();
    WriteNextLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled by the client"));
  }

  void OnDone() override {
    std::optional<int64_t> token;
    {
      absl::MutexLock lock(&mu_);
      token = token_;
    }
    if (token) scheduler_->Unsubscribe(*token);  // no Push runs after this
    delete this;
  }

 private:
  void Push(const jobs::JobEvent& event) {
    absl::MutexLock lock(&mu_);
    PushLocked(event);
  }

  void PushLocked(const jobs::JobEvent& event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || final_queued_) return;
    v1::JobEvent out;
    *out.mutable_job() = ToProto(event.job);
    out.set_log(event.log);
    pending_.push_back(std::move(out));
    if (jobs::IsFinal(event.job.state) && event.log.empty()) final_queued_ = true;
    WriteNextLocked();
  }

  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || writing_ || !started_) return;
    if (pending_.empty()) {
      if (final_queued_) FinishLocked(grpc::Status::OK);
      return;
    }
    writing_ = true;
    StartWrite(&pending_.front());
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  void FinishOnce(const grpc::Status& status) {
    absl::MutexLock lock(&mu_);
    FinishLocked(status);
  }

  jobs::Scheduler* const scheduler_;
  absl::Mutex mu_;
  std::optional<int64_t> token_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<v1::JobEvent> pending_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool final_queued_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

QuantizationService::QuantizationService(store::ArtifactStore* store, jobs::Scheduler* scheduler,
                                         WorkPool* pool, const TokenAuth* auth)
    : store_(store), scheduler_(scheduler), pool_(pool), auth_(auth) {}

grpc::ServerUnaryReactor* QuantizationService::Quantize(grpc::CallbackServerContext* context,
                                                        const v1::QuantizeRequest* request,
                                                        v1::Job* response) {
  return UnaryOnPool(context, auth_, pool_, [this, request, response]() -> absl::Status {
    FP_ASSIGN_OR_RETURN(jobs::QuantizeJobParams params,
                        jobs::ValidateQuantizeJob(*store_, FromProto(*request)));
    FP_ASSIGN_OR_RETURN(jobs::JobRecord job,
                        scheduler_->Submit(jobs::kQuantizeJobKind,
                                           jobs::QuantizeJobParamsToJson(params)));
    LogInfo("job queued", {{"job_id", job.id},
                           {"kind", job.kind},
                           {"model", params.model},
                           {"version", std::to_string(params.version)},
                           {"method", params.method}});
    *response = ToProto(job);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* QuantizationService::GetJob(grpc::CallbackServerContext* context,
                                                      const v1::GetJobRequest* request,
                                                      v1::Job* response) {
  return UnaryOnPool(context, auth_, pool_, [this, request, response]() -> absl::Status {
    FP_ASSIGN_OR_RETURN(jobs::JobRecord job, scheduler_->Get(request->id()));
    *response = ToProto(job);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* QuantizationService::ListJobs(grpc::CallbackServerContext* context,
                                                        const v1::ListJobsRequest* request,
                                                        v1::ListJobsResponse* response) {
  return UnaryOnPool(context, auth_, pool_, [this, request, response]() -> absl::Status {
    std::optional<jobs::JobState> state;
    switch (request->state()) {
      case v1::JOB_STATE_QUEUED: state = jobs::JobState::kQueued; break;
      case v1::JOB_STATE_RUNNING: state = jobs::JobState::kRunning; break;
      case v1::JOB_STATE_SUCCEEDED: state = jobs::JobState::kSucceeded; break;
      case v1::JOB_STATE_FAILED: state = jobs::JobState::kFailed; break;
      case v1::JOB_STATE_CANCELLED: state = jobs::JobState::kCancelled; break;
      default: break;
    }
    if (request->limit() < 0) return absl::InvalidArgumentError("limit must be >= 0");
    for (const jobs::JobRecord& job : scheduler_->List(state, request->limit())) {
      *response->add_jobs() = ToProto(job);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* QuantizationService::CancelJob(grpc::CallbackServerContext* context,
                                                         const v1::CancelJobRequest* request,
                                                         v1::Job* response) {
  return UnaryOnPool(context, auth_, pool_, [this, request, response]() -> absl::Status {
    FP_ASSIGN_OR_RETURN(jobs::JobRecord job, scheduler_->Cancel(request->id()));
    LogInfo("job cancel requested", {{"job_id", job.id}});
    *response = ToProto(job);
    return absl::OkStatus();
  });
}

grpc::ServerWriteReactor<v1::JobEvent>* QuantizationService::WatchJob(
    grpc::CallbackServerContext* context, const v1::WatchJobRequest* request) {
  return new WatchReactor(this, context, request->id());
}

grpc::ServerUnaryReactor* QuantizationService::GetReport(grpc::CallbackServerContext* context,
                                                         const v1::GetReportRequest* request,
                                                         v1::Report* response) {
  return UnaryOnPool(context, auth_, pool_, [this, request, response]() -> absl::Status {
    FP_ASSIGN_OR_RETURN(store::VersionInfo version,
                        store_->GetVersion(request->model(), request->version()));
    if (version.precision != store::Precision::kInt8) {
      return absl::FailedPreconditionError(absl::StrCat(
          "model '", version.model, "' version ", version.version,
          " is a float version: it has no quantization report (ask for an int8 version)"));
    }
    FP_ASSIGN_OR_RETURN(quant::Manifest manifest,
                        store_->ReadManifest(request->model(), request->version()));
    *response = ToReport(version.model, version.version, manifest, quant::ManifestToJson(manifest));
    return absl::OkStatus();
  });
}

}  // namespace fixpoint::server
