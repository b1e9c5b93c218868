#include "server/fixpointd.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/jobs/quantize_job.h"
#include "core/jobs/scheduler.h"
#include "core/store/artifact_store.h"
#include "core/util/status_macros.h"
#include "core/util/version.h"
#include "server/auth.h"
#include "server/log.h"
#include "server/metrics/metrics.h"
#include "server/services/dataset_service.h"
#include "server/services/inference_service.h"
#include "server/services/model_service.h"
#include "server/services/quantization_service.h"
#include "server/services/readiness.h"
#include "server/serving/model_manager.h"
#include "server/work_pool.h"

namespace fixpoint::server {
namespace {

// Sets the accuracy gauges of an int8 version from its manifest.
void PublishAccuracy(Metrics& metrics, const store::VersionInfo& v, const quant::Manifest& m) {
  if (v.precision != store::Precision::kInt8 || !m.accuracy) return;
  metrics.SetAccuracy(v.model, std::to_string(v.version), std::to_string(v.parent_version),
                      m.accuracy->dataset, m.accuracy->fp32_top1, m.accuracy->int8_top1,
                      m.accuracy->top1_agreement);
}

void RestoreAccuracy(store::ArtifactStore& store, Metrics& metrics) {
  for (const store::ModelInfo& model : store.ListModels()) {
    for (const store::VersionInfo& v : model.versions) {
      if (v.precision != store::Precision::kInt8) continue;
      auto manifest = store.ReadManifest(v.model, v.version);
      if (!manifest.ok()) {
        LogWarning("cannot read manifest", {{"model", v.model},
                                            {"version", std::to_string(v.version)},
                                            {"error", std::string(manifest.status().message())}});
        continue;
      }
      PublishAccuracy(metrics, v, *manifest);
    }
  }
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const ServerConfig& c) {
  if (c.tls_cert.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      c.tls_client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                              : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  FP_ASSIGN_OR_RETURN(std::string cert, ReadSmallFile(c.tls_cert, "--tls_cert"));
  FP_ASSIGN_OR_RETURN(std::string key, ReadSmallFile(c.tls_key, "--tls_key"));
  options.pem_key_cert_pairs.push_back({key, cert});
  if (!c.tls_client_ca.empty()) {
    FP_ASSIGN_OR_RETURN(options.pem_root_certs, ReadSmallFile(c.tls_client_ca, "--tls_client_ca"));
  }
  return grpc::SslServerCredentials(options);
}

std::string JobSeconds(const jobs::JobRecord& job) {
  return absl::StrCat((job.finished_unix_ms - job.started_unix_ms) / 1000.0);
}

}  // namespace

Fixpointd::Fixpointd() = default;

Fixpointd::~Fixpointd() { Shutdown(absl::ZeroDuration()); }

absl::StatusOr<std::unique_ptr<Fixpointd>> Fixpointd::Start(const ServerConfig& config) {
  std::unique_ptr<Fixpointd> d(new Fixpointd());
  FP_RETURN_IF_ERROR(d->Init(config));
  return d;
}

absl::Status Fixpointd::Init(const ServerConfig& config) {
  config_ = config;
  auto store = store::ArtifactStore::Open(config.store_dir);
  if (!store.ok()) return WithContext(store.status(), "opening the store");
  store_ = *std::move(store);
  metrics_ = std::make_unique<Metrics>();
  readiness_ = std::make_unique<Readiness>();
  auth_ = std::make_unique<TokenAuth>(config.auth_token);
  RestoreAccuracy(*store_, *metrics_);

  ModelManagerOptions manager_options;
  FP_ASSIGN_OR_RETURN(manager_options.policy, VersionPolicy::Parse(config.serving.version_policy));
  manager_options.load.session.intra_op_threads = config.serving.intra_op_threads;
  manager_options.load.batcher.max_batch_size = config.serving.max_batch;
  manager_options.load.batcher.max_queue_delay_us = config.serving.batch_delay_us;
  manager_options.load.batcher.max_queue_size = config.serving.max_queue;
  manager_options.load.batcher.workers = config.serving.batch_threads;
  FP_ASSIGN_OR_RETURN(manager_, ModelManager::Create(store_.get(), *metrics_, manager_options));
  if (absl::Status loaded = manager_->LoadAllModels(); !loaded.ok()) {
    // A bad version must not keep the others from serving; it is UNAVAILABLE
    // with its reason in RepositoryIndex.
    LogWarning("some model versions failed to load", {{"error", std::string(loaded.message())}});
  }

  pool_ = std::make_unique<WorkPool>(config.management_threads);
  ModelManager* manager = manager_.get();
  Metrics* metrics = metrics_.get();
  auto on_committed = [manager, metrics](const store::VersionInfo& v, const quant::Manifest& m) {
    PublishAccuracy(*metrics, v, m);
    manager->OnVersionAdded(v);
  };
  std::map<std::string, jobs::JobHandler> handlers;
  handlers[jobs::kQuantizeJobKind] =
      jobs::MakeQuantizeJobHandler(store_.get(), std::move(on_committed));
  jobs::SchedulerOptions scheduler_options;
  scheduler_options.workers = config.job_workers;
  scheduler_options.max_queued = config.max_queued_jobs;
  scheduler_options.max_attempts = config.job_max_attempts;
  scheduler_options.keep_finished = config.keep_finished_jobs;
  FP_ASSIGN_OR_RETURN(scheduler_,
                      jobs::Scheduler::Create(&store_->db(), scheduler_options, std::move(handlers)));
  jobs::Scheduler* scheduler = scheduler_.get();
  scheduler_->SetStateObserver([scheduler, metrics](const jobs::JobRecord& job, jobs::JobState) {
    std::map<std::string, int64_t> counts;
    for (const auto& [state, n] : scheduler->CountByState()) {
      counts[std::string(jobs::JobStateName(state))] = n;
    }
    metrics->SetJobCounts(counts);
    if (!jobs::IsFinal(job.state)) {
      LogInfo("job state", {{"job_id", job.id}, {"state", std::string(jobs::JobStateName(job.state))},
                            {"attempt", std::to_string(job.attempts)}});
      return;
    }
    metrics->CountFinishedJob(job.kind, jobs::JobStateName(job.state));
    if (job.started_unix_ms > 0) {
      metrics->RecordJobDuration(job.kind, (job.finished_unix_ms - job.started_unix_ms) / 1000.0);
    }
    LogInfo("job finished", {{"job_id", job.id},
                             {"state", std::string(jobs::JobStateName(job.state))},
                             {"seconds", JobSeconds(job)},
                             {"error", job.error}});
  });
  {
    std::map<std::string, int64_t> counts;
    for (const auto& [state, n] : scheduler_->CountByState()) {
      counts[std::string(jobs::JobStateName(state))] = n;
    }
    metrics_->SetJobCounts(counts);
  }

  VersionEvents events;
  events.added = [manager](const store::VersionInfo& v) { manager->OnVersionAdded(v); };
  events.deleted = [manager](const std::string& model, int64_t version) {
    manager->OnVersionDeleted(model, version);
  };
  events.describe = [manager](v1::ModelVersion& v) {
    auto loaded = manager->Resolve(v.model(), std::to_string(v.version()));
    if (!loaded.ok()) return;
    ir::Graph signature;
    signature.inputs = (*loaded)->inputs();
    signature.outputs = (*loaded)->outputs();
    FillSignature(signature, v);
  };
  model_service_ = std::make_unique<ModelService>(store_.get(), pool_.get(), auth_.get(),
                                                  config.max_upload_bytes, std::move(events));
  dataset_service_ = std::make_unique<DatasetService>(store_.get(), pool_.get(), auth_.get(),
                                                      config.max_upload_bytes);
  quantization_service_ = std::make_unique<QuantizationService>(store_.get(), scheduler_.get(),
                                                                pool_.get(), auth_.get());
  InferenceServiceOptions inference_options;
  inference_options.server_version = kFixpointVersion;
  inference_options.auth = auth_.get();
  inference_options.auth_inference = config.auth_inference;
  inference_options.log_requests = config.log_requests;
  inference_service_ =
      std::make_unique<InferenceService>(*manager_, *readiness_, inference_options);

  FP_ASSIGN_OR_RETURN(auto credentials, Credentials(config));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen, credentials, &grpc_port_);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(config.max_message_bytes));
  builder.RegisterService(model_service_.get());
  builder.RegisterService(dataset_service_.get());
  builder.RegisterService(quantization_service_.get());
  builder.RegisterService(inference_service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || grpc_port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on '", config.listen,
                                               "' (address in use or invalid?)"));
  }
  if (!config.metrics_listen.empty()) {
    try {
      exposer_ = std::make_unique<prometheus::Exposer>(config.metrics_listen);
    } catch (const std::exception& e) {
      return absl::UnavailableError(
          absl::StrCat("cannot serve /metrics on '", config.metrics_listen, "': ", e.what()));
    }
    exposer_->RegisterCollectable(metrics_->registry());
    const std::vector<int> ports = exposer_->GetListeningPorts();
    metrics_port_ = ports.empty() ? 0 : ports.front();
  }
  server_->GetHealthCheckService()->SetServingStatus(true);
  readiness_->set_ready(true);
  LogInfo("fixpointd ready", {{"grpc_port", std::to_string(grpc_port_)},
                              {"metrics_port", std::to_string(metrics_port_)},
                              {"store", config.store_dir},
                              {"version", kFixpointVersion},
                              {"tls", config.tls_cert.empty() ? "off" : "on"},
                              {"auth", auth_->enabled() ? "token" : "off"}});
  return absl::OkStatus();
}

void Fixpointd::Shutdown(absl::Duration deadline) {
  if (shut_down_) return;
  shut_down_ = true;
  const absl::Time end = absl::Now() + deadline;
  if (readiness_) readiness_->set_ready(false);
  if (server_) {
    server_->GetHealthCheckService()->SetServingStatus(false);
    LogInfo("draining", {{"deadline_s", absl::StrCat(absl::ToDoubleSeconds(deadline))}});
    server_->Shutdown(absl::ToChronoTime(end));  // in-flight RPCs finish or are cancelled
  }
  if (scheduler_) scheduler_->Shutdown(std::max(absl::ZeroDuration(), end - absl::Now()));
  if (server_) server_->Wait();
  exposer_.reset();
  // Order: services and the pool before what they use.
  pool_.reset();
  manager_.reset();
  scheduler_.reset();
  LogInfo("fixpointd stopped");
}

}  // namespace fixpoint::server
