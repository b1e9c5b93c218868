#include "server/serving/model_manager.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "core/io/onnx_importer.h"
#include "core/util/status_macros.h"

namespace fixpoint::server {
namespace {

bool IsVersionNumber(absl::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return absl::ascii_isdigit(c); });
}

// One status for several failed loads: the first one's code, every message.
absl::Status JoinErrors(const std::vector<absl::Status>& errors) {
  if (errors.empty()) return absl::OkStatus();
  if (errors.size() == 1) return errors[0];
  std::vector<std::string> messages;
  for (const absl::Status& e : errors) messages.emplace_back(e.message());
  return absl::Status(errors[0].code(), absl::StrJoin(messages, "; "));
}

}  // namespace

// Destroys retired versions on the manager's thread. Destroying a version
// joins its batcher's workers, so it must happen neither on one of those
// workers (a request's completion may drop the last reference) nor on a
// gRPC thread (draining the queue takes time).
class ModelManager::Reaper {
 public:
  explicit Reaper(SerialExecutor* executor) : executor_(executor) {}

  void Retire(const LoadedVersion* v) {
    {
      absl::MutexLock lock(&mu_);
      if (executor_ != nullptr) {
        executor_->Schedule([v] { delete v; });
        return;
      }
    }
    // The manager is gone; only a holder outliving it gets here. Never
    // destroy on the caller's thread: it may be the version's own batcher
    // worker (a request's completion dropping the last reference), which
    // would then have to join itself.
    std::thread([v] { delete v; }).detach();
  }
  void Detach() {
    absl::MutexLock lock(&mu_);
    executor_ = nullptr;
  }

 private:
  absl::Mutex mu_;
  SerialExecutor* executor_ ABSL_GUARDED_BY(mu_);
};

absl::string_view VersionStateName(VersionState state) {
  switch (state) {
    case VersionState::kLoading:
      return "LOADING";
    case VersionState::kReady:
      return "READY";
    case VersionState::kUnavailable:
      return "UNAVAILABLE";
  }
  return "UNKNOWN";
}

absl::StatusOr<std::unique_ptr<ModelManager>> ModelManager::Create(
    store::ArtifactStore* store, Metrics& metrics, const ModelManagerOptions& options) {
  if (store == nullptr) return absl::InvalidArgumentError("model manager: no artifact store");
  FP_RETURN_IF_ERROR(WithContext(options.policy.Validate(), "version policy"));
  const BatcherOptions& b = options.load.batcher;
  if (b.max_batch_size < 1 || b.max_queue_delay_us < 0 || b.max_queue_size < 1 || b.workers < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("batcher options out of range: max_batch_size ", b.max_batch_size,
                     ", max_queue_delay_us ", b.max_queue_delay_us, ", max_queue_size ",
                     b.max_queue_size, ", workers ", b.workers, " (all >= 1, the delay >= 0)"));
  }
  return std::unique_ptr<ModelManager>(new ModelManager(store, metrics, options));
}

ModelManager::ModelManager(store::ArtifactStore* store, Metrics& metrics,
                           const ModelManagerOptions& options)
    : store_(store), metrics_(metrics), options_(options) {
  executor_ = std::make_unique<SerialExecutor>();
  reaper_ = std::make_shared<Reaper>(executor_.get());
}

ModelManager::~ModelManager() {
  std::vector<std::shared_ptr<const LoadedVersion>> retired;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [name, entry] : models_) {
      for (auto& [version, slot] : entry.versions) retired.push_back(std::move(slot.loaded));
    }
    models_.clear();
  }
  retired.clear();  // schedules their destruction
  // Detach before the executor dies: a reference dropped later (by a request
  // still completing) must not schedule onto a destroyed executor.
  reaper_->Detach();
  executor_.reset();  // runs what is queued, then joins
}

absl::Status ModelManager::RunAndWait(absl::AnyInvocable<absl::Status()> task) {
  if (executor_->InExecutorThread()) {
    return absl::FailedPreconditionError(
        "a blocking model manager call from the manager's own thread (a done callback) would "
        "deadlock; use the Async form");
  }
  absl::Notification finished;
  absl::Status status;
  executor_->Schedule([&] {
    status = task();
    finished.Notify();
  });
  finished.WaitForNotification();
  return status;
}

absl::Status ModelManager::LoadModel(const std::string& name) {
  return RunAndWait([this, name] { return Reconcile(name); });
}

void ModelManager::LoadModelAsync(const std::string& name, StatusCallback done) {
  executor_->Schedule([this, name, done = std::move(done)]() mutable { done(Reconcile(name)); });
}

absl::Status ModelManager::LoadAllModels() {
  std::vector<absl::Status> errors;
  for (const store::ModelInfo& m : store_->ListModels()) {
    absl::Status s = LoadModel(m.name);
    if (!s.ok()) errors.push_back(s);
  }
  return JoinErrors(errors);
}

absl::Status ModelManager::UnloadModel(const std::string& name) {
  return RunAndWait([this, name] { return Unload(name); });
}

void ModelManager::UnloadModelAsync(const std::string& name, StatusCallback done) {
  executor_->Schedule([this, name, done = std::move(done)]() mutable { done(Unload(name)); });
}

void ModelManager::OnVersionAdded(const store::VersionInfo& info, StatusCallback done) {
  executor_->Schedule([this, name = info.model, done = std::move(done)]() mutable {
    bool load = options_.load_new_models;
    {
      absl::MutexLock lock(&mu_);
      auto it = models_.find(name);
      if (it != models_.end()) load = it->second.managed;
    }
    absl::Status status = load ? Reconcile(name) : absl::OkStatus();
    if (done != nullptr) done(std::move(status));
  });
}

void ModelManager::OnVersionDeleted(const std::string& name, int64_t version, StatusCallback done) {
  executor_->Schedule([this, name, version, done = std::move(done)]() mutable {
    absl::Status status = RemoveVersion(name, version);
    if (done != nullptr) done(std::move(status));
  });
}

absl::StatusOr<std::shared_ptr<const LoadedVersion>> ModelManager::Load(
    const store::VersionInfo& info) {
  const std::string context =
      absl::StrCat("loading model '", info.model, "' version ", info.version);
  absl::StatusOr<ir::Graph> graph = io::ImportOnnxFile(info.model_path);
  if (!graph.ok()) return WithContext(graph.status(), context);
  absl::StatusOr<std::unique_ptr<LoadedVersion>> loaded =
      LoadedVersion::Create(info, std::move(*graph), options_.load, metrics_);
  if (!loaded.ok()) return WithContext(loaded.status(), "loading");
  return std::shared_ptr<const LoadedVersion>(
      loaded->release(), [reaper = reaper_](const LoadedVersion* v) { reaper->Retire(v); });
}

absl::Status ModelManager::EnsureLoaded(const store::VersionInfo& info) {
  {
    absl::MutexLock lock(&mu_);
    Slot& s = models_[info.model].versions[info.version];
    if (s.state == VersionState::kReady) return absl::OkStatus();
    s.state = VersionState::kLoading;
    s.reason.clear();
    s.unloaded = false;
  }
  absl::StatusOr<std::shared_ptr<const LoadedVersion>> loaded = Load(info);
  absl::MutexLock lock(&mu_);
  Slot& s = models_[info.model].versions[info.version];
  if (!loaded.ok()) {
    s.state = VersionState::kUnavailable;
    s.reason = std::string(loaded.status().message());
    return loaded.status();
  }
  s.state = VersionState::kReady;
  s.loaded = std::move(*loaded);
  return absl::OkStatus();
}

absl::Status ModelManager::Reconcile(const std::string& name) {
  FP_ASSIGN_OR_RETURN(store::ModelInfo model, store_->GetModel(name));
  std::vector<int64_t> stored;
  for (const store::VersionInfo& v : model.versions) stored.push_back(v.version);
  const std::vector<int64_t> wanted = options_.policy.Select(stored);
  auto is_wanted = [&](int64_t v) {
    return std::find(wanted.begin(), wanted.end(), v) != wanted.end();
  };
  // Dropped after the lock is released (dropping queues their destruction).
  std::vector<std::shared_ptr<const LoadedVersion>> retired;
  {
    absl::MutexLock lock(&mu_);
    Entry& e = models_[name];
    e.managed = true;
    for (auto it = e.versions.begin(); it != e.versions.end();) {
      if (std::find(stored.begin(), stored.end(), it->first) == stored.end()) {
        retired.push_back(std::move(it->second.loaded));
        it = e.versions.erase(it);
      } else {
        ++it;
      }
    }
  }
  if (wanted.empty()) {
    return absl::NotFoundError(
        absl::StrCat("model '", name, "': the version policy ", options_.policy.ToString(),
                     " selects none of the stored versions (", absl::StrJoin(stored, ", "), ")"));
  }
  std::vector<absl::Status> errors;
  for (const store::VersionInfo& info : model.versions) {
    if (!is_wanted(info.version)) continue;
    absl::Status loaded = EnsureLoaded(info);
    if (!loaded.ok()) errors.push_back(loaded);
  }
  if (errors.empty()) {
    absl::MutexLock lock(&mu_);
    for (auto& [version, slot] : models_[name].versions) {
      if (is_wanted(version) || slot.loaded == nullptr) continue;
      retired.push_back(std::move(slot.loaded));
      slot.state = VersionState::kUnavailable;
      slot.unloaded = true;
      slot.reason = absl::StrCat("unloaded: the version policy ", options_.policy.ToString(),
                                 " no longer selects it");
    }
  }
  return JoinErrors(errors);
}

absl::Status ModelManager::Unload(const std::string& name) {
  std::vector<std::shared_ptr<const LoadedVersion>> retired;
  absl::MutexLock lock(&mu_);
  auto it = models_.find(name);
  const bool loaded =
      it != models_.end() && std::any_of(it->second.versions.begin(), it->second.versions.end(),
                                         [](const auto& v) { return v.second.loaded != nullptr; });
  if (!loaded) return absl::NotFoundError(absl::StrCat("model '", name, "' is not loaded"));
  it->second.managed = false;
  for (auto& [version, slot] : it->second.versions) {
    if (slot.loaded != nullptr) retired.push_back(std::move(slot.loaded));
    slot.state = VersionState::kUnavailable;
    slot.unloaded = true;
    slot.reason = "unloaded";
  }
  return absl::OkStatus();
}

absl::Status ModelManager::RemoveVersion(const std::string& name, int64_t version) {
  bool managed = false;
  {
    std::shared_ptr<const LoadedVersion> retired;
    absl::MutexLock lock(&mu_);
    auto it = models_.find(name);
    if (it != models_.end()) {
      managed = it->second.managed;
      auto v = it->second.versions.find(version);
      if (v != it->second.versions.end()) {
        retired = std::move(v->second.loaded);
        it->second.versions.erase(v);
      }
    }
  }
  metrics_.OnVersionDeleted(name, absl::StrCat(version));
  absl::StatusOr<store::ModelInfo> model = store_->GetModel(name);
  if (!model.ok() || model->versions.empty()) {
    absl::MutexLock lock(&mu_);
    models_.erase(name);  // nothing of it is left to serve
    return absl::OkStatus();
  }
  return managed ? Reconcile(name) : absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const LoadedVersion>> ModelManager::Lookup(const std::string& name,
                                                                          int64_t version) const {
  absl::MutexLock lock(&mu_);
  auto it = models_.find(name);
  const bool any_served =
      it != models_.end() && std::any_of(it->second.versions.begin(), it->second.versions.end(),
                                         [](const auto& v) { return !v.second.unloaded; });
  if (!any_served) return absl::NotFoundError(absl::StrCat("model '", name, "' is not loaded"));
  const std::map<int64_t, Slot>& versions = it->second.versions;
  if (version == 0) {  // the highest READY version
    for (auto v = versions.rbegin(); v != versions.rend(); ++v) {
      if (v->second.state == VersionState::kReady) return v->second.loaded;
    }
    std::vector<std::string> states;
    for (const auto& [n, slot] : versions) {
      if (slot.unloaded) continue;
      states.push_back(absl::StrCat("version ", n, " ", VersionStateName(slot.state),
                                    slot.reason.empty() ? "" : ": ", slot.reason));
    }
    return absl::UnavailableError(absl::StrCat("model '", name, "' has no ready version (",
                                               absl::StrJoin(states, "; "), ")"));
  }
  auto v = versions.find(version);
  if (v == versions.end() || v->second.unloaded) {
    std::vector<int64_t> ready;
    for (const auto& [n, slot] : versions) {
      if (slot.state == VersionState::kReady) ready.push_back(n);
    }
    return absl::NotFoundError(absl::StrCat("model '", name, "' has no loaded version ", version,
                                            " (ready: ", absl::StrJoin(ready, ", "), ")"));
  }
  switch (v->second.state) {
    case VersionState::kReady:
      return v->second.loaded;
    case VersionState::kLoading:
      return absl::UnavailableError(
          absl::StrCat("model '", name, "' version ", version, " is loading"));
    case VersionState::kUnavailable:
      break;
  }
  return absl::UnavailableError(
      absl::StrCat("model '", name, "' version ", version, " is unavailable: ", v->second.reason));
}

absl::StatusOr<std::shared_ptr<const LoadedVersion>> ModelManager::Resolve(
    const std::string& name, const std::string& version) const {
  if (version.empty()) return Lookup(name, 0);
  int64_t number = 0;
  if (IsVersionNumber(version) && absl::SimpleAtoi(version, &number) && number > 0) {
    return Lookup(name, number);
  }
  if (IsVersionNumber(version)) {
    return absl::NotFoundError(absl::StrCat("model '", name, "' has no version ", version));
  }
  // A label: the store knows which version it points at.
  absl::StatusOr<store::VersionInfo> info = store_->Resolve(name, version);
  if (!info.ok()) return info.status();
  return Lookup(name, info->version);
}

std::vector<int64_t> ModelManager::ReadyVersions(const std::string& name) const {
  std::vector<int64_t> ready;
  absl::MutexLock lock(&mu_);
  auto it = models_.find(name);
  if (it == models_.end()) return ready;
  for (const auto& [version, slot] : it->second.versions) {
    if (slot.state == VersionState::kReady) ready.push_back(version);
  }
  return ready;
}

std::vector<VersionStatus> ModelManager::Index() const {
  const std::vector<store::ModelInfo> stored = store_->ListModels();
  std::map<std::string, std::vector<VersionStatus>> by_model;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, entry] : models_) {
      for (const auto& [version, slot] : entry.versions) {
        by_model[name].push_back({name, version, slot.state, slot.reason});
      }
    }
  }
  for (const store::ModelInfo& m : stored) {
    if (by_model[m.name].empty()) {
      by_model[m.name].push_back({m.name, 0, VersionState::kUnavailable, "not loaded"});
    }
  }
  std::vector<VersionStatus> index;
  for (auto& [name, versions] : by_model) {
    for (VersionStatus& v : versions) index.push_back(std::move(v));
  }
  return index;
}

}  // namespace fixpoint::server
