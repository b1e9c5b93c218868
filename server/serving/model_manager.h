// ModelManager: the model versions fixpointd serves. It loads stored
// versions from the ArtifactStore according to the server's VersionPolicy
// (import model.onnx, compile, warm up, start a batcher: LoadedVersion),
// tracks each version's state (LOADING / READY / UNAVAILABLE + reason) for
// RepositoryIndex, and resolves a request's (model, version) to a
// std::shared_ptr<const LoadedVersion>, so unloading or deleting a version
// never breaks a request already holding it.
//
// Loads, unloads and the destruction of retired versions all run, in order,
// on the manager's own thread: never on a gRPC thread or a batcher worker.
// The *Async methods return at once and report through `done` (called on
// that thread); the blocking ones wait for it and must not be called from a
// `done` callback. Thread-safe.
//
// Lifetime: construct after the store and metrics, destroy after the gRPC
// server has shut down (requests hold versions; destroying a version drains
// its queue).
#ifndef FIXPOINT_SERVER_SERVING_MODEL_MANAGER_H_
#define FIXPOINT_SERVER_SERVING_MODEL_MANAGER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/store/artifact_store.h"
#include "server/metrics/metrics.h"
#include "server/serving/loaded_version.h"
#include "server/serving/serial_executor.h"
#include "server/serving/version_policy.h"

namespace fixpoint::server {

struct ModelManagerOptions {
  VersionPolicy policy;
  // Session, batcher and warm-up settings of every loaded version.
  LoadOptions load;
  // OnVersionAdded for a model that is not loaded: load it (true) or leave
  // it to an explicit LoadModel (false). Models unloaded with UnloadModel
  // stay unloaded either way until LoadModel.
  bool load_new_models = true;
};

enum class VersionState { kLoading, kReady, kUnavailable };
// "LOADING", "READY", "UNAVAILABLE" (RepositoryIndex's state strings).
absl::string_view VersionStateName(VersionState state);

struct VersionStatus {
  std::string model;
  int64_t version = 0;  // 0: a stored model none of whose versions is known here
  VersionState state = VersionState::kUnavailable;
  std::string reason;  // why it is not READY
};

using StatusCallback = absl::AnyInvocable<void(absl::Status)>;

class ModelManager {
 public:
  // `store` and `metrics` must outlive the manager. INVALID_ARGUMENT for a
  // bad policy or batcher options. Loads nothing yet.
  static absl::StatusOr<std::unique_ptr<ModelManager>> Create(store::ArtifactStore* store,
                                                              Metrics& metrics,
                                                              const ModelManagerOptions& options);
  // Retires every version (draining their queues), then stops the thread.
  ~ModelManager();

  ModelManager(const ModelManager&) = delete;
  ModelManager& operator=(const ModelManager&) = delete;

  // Loads the versions of `name` the policy selects (versions already READY
  // stay as they are) and unloads versions the policy no longer selects,
  // once every selected one is READY (a failed load keeps older versions
  // serving). NOT_FOUND for a model the store lacks or when the policy
  // selects none of its versions; otherwise the load errors ("loading model
  // 'm' version 2: ...") — versions that did load stay READY. Blocks.
  absl::Status LoadModel(const std::string& name);
  void LoadModelAsync(const std::string& name, StatusCallback done);
  // LoadModel for every stored model (startup). The errors joined.
  absl::Status LoadAllModels();
  // Unloads every version of `name` (state UNAVAILABLE, "unloaded"); new
  // versions of it are not loaded until LoadModel. NOT_FOUND if none of its
  // versions is loaded or loading. Blocks until done.
  absl::Status UnloadModel(const std::string& name);
  void UnloadModelAsync(const std::string& name, StatusCallback done);

  // The store gained `info`: loads it if the policy selects it (unloading
  // versions that fall out of latest-N once it is READY). Returns at once;
  // `done` (optional) gets the load's status.
  void OnVersionAdded(const store::VersionInfo& info, StatusCallback done = nullptr);
  // The store deleted a version: unloads it, removes its metric series, and
  // loads what the policy now selects instead (latest-1 falls back to the
  // previous version). Returns at once; `done` (optional) as above.
  void OnVersionDeleted(const std::string& name, int64_t version, StatusCallback done = nullptr);

  // The version serving a request for (name, version): "" = the highest
  // READY version; digits = that version; anything else a label, resolved
  // through the store. NOT_FOUND for an unknown model, version or label;
  // UNAVAILABLE for a version LOADING or failed (with the reason).
  absl::StatusOr<std::shared_ptr<const LoadedVersion>> Resolve(const std::string& name,
                                                               const std::string& version) const;
  // READY versions of `name`, ascending.
  std::vector<int64_t> ReadyVersions(const std::string& name) const;
  // Every version known here, by model then version, plus one entry
  // (version 0, UNAVAILABLE, "not loaded") per stored model never loaded.
  std::vector<VersionStatus> Index() const;

 private:
  struct Slot {
    VersionState state = VersionState::kLoading;
    std::string reason;
    // Unloaded on purpose (UnloadModel or the policy): requests for it are
    // NOT_FOUND rather than UNAVAILABLE.
    bool unloaded = false;
    std::shared_ptr<const LoadedVersion> loaded;
  };
  struct Entry {
    bool managed = false;  // loaded on request; follows OnVersionAdded
    std::map<int64_t, Slot> versions;
  };
  class Reaper;

  ModelManager(store::ArtifactStore* store, Metrics& metrics, const ModelManagerOptions& options);
  // Runs `task` on the manager's thread and waits for its status.
  absl::Status RunAndWait(absl::AnyInvocable<absl::Status()> task);
  // On the manager's thread: brings `name`'s loaded versions in line with
  // the policy and the store.
  absl::Status Reconcile(const std::string& name);
  // On the manager's thread: loads `info` unless READY (LOADING meanwhile;
  // UNAVAILABLE with the reason on failure).
  absl::Status EnsureLoaded(const store::VersionInfo& info);
  absl::Status Unload(const std::string& name);
  absl::Status RemoveVersion(const std::string& name, int64_t version);
  absl::StatusOr<std::shared_ptr<const LoadedVersion>> Load(const store::VersionInfo& info);
  absl::StatusOr<std::shared_ptr<const LoadedVersion>> Lookup(const std::string& name,
                                                              int64_t version) const;

  store::ArtifactStore* const store_;
  Metrics& metrics_;
  const ModelManagerOptions options_;

  mutable absl::Mutex mu_;
  std::map<std::string, Entry> models_ ABSL_GUARDED_BY(mu_);

  // Last: destroyed first, while everything its tasks use still exists.
  std::shared_ptr<Reaper> reaper_;
  std::unique_ptr<SerialExecutor> executor_;
};

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_SERVING_MODEL_MANAGER_H_
