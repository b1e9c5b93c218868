#include "server/serving/model_manager.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "absl/synchronization/notification.h"
#include "core/io/onnx_exporter.h"
#include "tests/unit/server/server_test_util.h"

namespace fixpoint::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::SmallClassifier;
using testing::SmallInput;

class ModelManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir();
    ASSERT_FALSE(dir_.empty());
    auto store = store::ArtifactStore::Open(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    auto onnx = io::ExportOnnx(SmallClassifier());
    ASSERT_TRUE(onnx.ok()) << onnx.status();
    onnx_ = *onnx;
  }
  void TearDown() override {
    manager_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  store::VersionInfo Add(const std::string &name) {
    store::FloatModel m;
    m.onnx_bytes = onnx_;
    auto v = store_->AddFloatVersion(name, m);
    EXPECT_TRUE(v.ok()) << v.status();
    return *v;
  }

  ModelManager &Manager(VersionPolicy policy = {}, bool load_new_models = true) {
    ModelManagerOptions options;
    options.policy = policy;
    options.load_new_models = load_new_models;
    options.load.batcher.max_batch_size = 4;
    options.load.session.intra_op_threads = 1;
    auto m = ModelManager::Create(store_.get(), metrics_, options);
    EXPECT_TRUE(m.ok()) << m.status();
    manager_ = std::move(*m);
    return *manager_;
  }

  // Waits for an *Async / On* call's status.
  template <typename Call>
  absl::Status Wait(Call call) {
    absl::Notification done;
    absl::Status status;
    call([&](absl::Status s) {
      status = s;
      done.Notify();
    });
    done.WaitForNotification();
    return status;
  }

  int64_t ResolvedVersion(const std::string &name, const std::string &version) {
    auto v = manager_->Resolve(name, version);
    return v.ok() ? (*v)->version() : -1;
  }

  Metrics metrics_;
  std::string dir_;
  std::string onnx_;
  std::unique_ptr<store::ArtifactStore> store_;
  std::unique_ptr<ModelManager> manager_;
};

// Serves one request on `v` and waits.
absl::Status Infer(const LoadedVersion &v) {
  absl::Notification done;
  absl::Status result;
  std::vector<ir::Tensor> in;
  in.push_back(SmallInput(1, 0.f));
  absl::Status s = v.batcher().Submit(std::move(in), [&](auto out) {
    result = out.status();
    done.Notify();
  });
  if (!s.ok()) return s;
  done.WaitForNotification();
  return result;
}

TEST_F(ModelManagerTest, LatestOneServesTheHighestVersion) {
  Add("small");
  Add("small");
  ModelManager &m = Manager();
  ASSERT_TRUE(m.LoadModel("small").ok());
  EXPECT_THAT(m.ReadyVersions("small"), ElementsAre(2));
  EXPECT_EQ(ResolvedVersion("small", ""), 2);
  EXPECT_EQ(ResolvedVersion("small", "2"), 2);
  auto v1 = m.Resolve("small", "1");
  EXPECT_EQ(v1.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(v1.status().message()),
              HasSubstr("model 'small' has no loaded version 1 (ready: 2)"));
  auto unknown = m.Resolve("nope", "");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("model 'nope' is not loaded"));
  EXPECT_EQ(m.LoadModel("nope").code(), absl::StatusCode::kNotFound);
}

TEST_F(ModelManagerTest, NewVersionReplacesTheOldOneWithoutBreakingItsHolders) {
  Add("small");
  ModelManager &m = Manager();
  ASSERT_TRUE(m.LoadModel("small").ok());
  auto held = m.Resolve("small", "");
  ASSERT_TRUE(held.ok());
  const store::VersionInfo v2 = Add("small");
  ASSERT_TRUE(Wait([&](StatusCallback cb) { m.OnVersionAdded(v2, std::move(cb)); }).ok());
  EXPECT_THAT(m.ReadyVersions("small"), ElementsAre(2));
  EXPECT_EQ(m.Resolve("small", "1").status().code(), absl::StatusCode::kNotFound);
  // A request that resolved version 1 before the swap still completes.
  EXPECT_TRUE(Infer(**held).ok());
  held->reset();

  std::vector<VersionStatus> index = m.Index();
  ASSERT_EQ(index.size(), 2u);
  EXPECT_EQ(index[0].version, 1);
  EXPECT_EQ(index[0].state, VersionState::kUnavailable);
  EXPECT_THAT(index[0].reason, HasSubstr("the version policy latest:1 no longer selects it"));
  EXPECT_EQ(index[1].version, 2);
  EXPECT_EQ(index[1].state, VersionState::kReady);
}

TEST_F(ModelManagerTest, DeletedVersionFallsBackToThePreviousOne) {
  Add("small");
  Add("small");
  ModelManager &m = Manager();
  ASSERT_TRUE(m.LoadModel("small").ok());
  ASSERT_TRUE(store_->DeleteVersion("small", 2).ok());
  ASSERT_TRUE(Wait([&](StatusCallback cb) { m.OnVersionDeleted("small", 2, std::move(cb)); }).ok());
  EXPECT_THAT(m.ReadyVersions("small"), ElementsAre(1));
  EXPECT_THAT(testing::MetricsText(metrics_), Not(HasSubstr("version=\"2\"")));

  ASSERT_TRUE(store_->DeleteVersion("small", 1).ok());
  ASSERT_TRUE(Wait([&](StatusCallback cb) { m.OnVersionDeleted("small", 1, std::move(cb)); }).ok());
  EXPECT_EQ(m.Resolve("small", "").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ModelManagerTest, AllAndSpecificPoliciesAndLabels) {
  Add("small");
  Add("small");
  Add("small");
  ASSERT_TRUE(store_->SetLabel("small", 2, "stable").ok());
  {
    ModelManager &m = Manager(VersionPolicy{VersionPolicy::Kind::kAll, 1, {}});
    ASSERT_TRUE(m.LoadModel("small").ok());
    EXPECT_THAT(m.ReadyVersions("small"), ElementsAre(1, 2, 3));
    EXPECT_EQ(ResolvedVersion("small", "stable"), 2);
    EXPECT_EQ(ResolvedVersion("small", ""), 3);
    EXPECT_EQ(m.Resolve("small", "canary").status().code(), absl::StatusCode::kNotFound);
  }
  ModelManager &m = Manager(VersionPolicy{VersionPolicy::Kind::kSpecific, 1, {1, 3}});
  ASSERT_TRUE(m.LoadModel("small").ok());
  EXPECT_THAT(m.ReadyVersions("small"), ElementsAre(1, 3));
  // The label points at a version this policy does not serve.
  EXPECT_EQ(m.Resolve("small", "stable").status().code(), absl::StatusCode::kNotFound);

  ModelManager &none = Manager(VersionPolicy{VersionPolicy::Kind::kSpecific, 1, {7}});
  absl::Status s = none.LoadModel("small");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("the version policy specific:7 selects none of the "
                        "stored versions (1, 2, "
                        "3)"));
}

TEST_F(ModelManagerTest, FailedLoadIsUnavailableWithTheReasonAndKeepsTheOldVersion) {
  Add("small");
  ModelManager &m = Manager();
  ASSERT_TRUE(m.LoadModel("small").ok());
  const store::VersionInfo v2 = Add("small");
  std::ofstream(v2.model_path, std::ios::trunc) << "not an onnx model";
  absl::Status s = Wait([&](StatusCallback cb) { m.OnVersionAdded(v2, std::move(cb)); });
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("loading model 'small' version 2"));
  // Version 1 keeps serving; version 2 reports why it is not.
  EXPECT_EQ(ResolvedVersion("small", ""), 1);
  auto v = m.Resolve("small", "2");
  EXPECT_EQ(v.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(v.status().message()),
              HasSubstr("model 'small' version 2 is unavailable"));
  bool reported = false;
  for (const VersionStatus &st : m.Index()) {
    if (st.version == 2) reported = st.state == VersionState::kUnavailable && !st.reason.empty();
  }
  EXPECT_TRUE(reported);
}

TEST_F(ModelManagerTest, UnloadedModelsStayUnloadedUntilLoadedAgain) {
  Add("small");
  ModelManager &m = Manager();
  ASSERT_TRUE(m.LoadModel("small").ok());
  ASSERT_TRUE(m.UnloadModel("small").ok());
  EXPECT_EQ(m.Resolve("small", "").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(m.UnloadModel("small").code(), absl::StatusCode::kNotFound);
  const store::VersionInfo v2 = Add("small");
  ASSERT_TRUE(Wait([&](StatusCallback cb) { m.OnVersionAdded(v2, std::move(cb)); }).ok());
  EXPECT_THAT(m.ReadyVersions("small"), ElementsAre());
  ASSERT_TRUE(m.LoadModel("small").ok());
  EXPECT_EQ(ResolvedVersion("small", ""), 2);
}

TEST_F(ModelManagerTest, NewModelsLoadOnlyWhenConfigured) {
  ModelManager &lazy = Manager({}, /*load_new_models=*/false);
  const store::VersionInfo a = Add("a");
  ASSERT_TRUE(Wait([&](StatusCallback cb) { lazy.OnVersionAdded(a, std::move(cb)); }).ok());
  EXPECT_THAT(lazy.ReadyVersions("a"), ElementsAre());
  std::vector<VersionStatus> index = lazy.Index();
  ASSERT_EQ(index.size(), 1u);
  EXPECT_EQ(index[0].model, "a");
  EXPECT_EQ(index[0].reason, "not loaded");

  ModelManager &eager = Manager();
  const store::VersionInfo b = Add("b");
  ASSERT_TRUE(Wait([&](StatusCallback cb) { eager.OnVersionAdded(b, std::move(cb)); }).ok());
  EXPECT_THAT(eager.ReadyVersions("b"), ElementsAre(1));
  ASSERT_TRUE(eager.LoadAllModels().ok());
  EXPECT_THAT(eager.ReadyVersions("a"), ElementsAre(1));
}

TEST_F(ModelManagerTest, BlockingCallsFromTheManagersThreadAreRefused) {
  Add("small");
  ModelManager &m = Manager();
  absl::Status inner;
  ASSERT_TRUE(Wait([&](StatusCallback cb) {
                m.LoadModelAsync("small", [&, cb = std::move(cb)](absl::Status s) mutable {
                  inner = m.UnloadModel("small");
                  cb(s);
                });
              }).ok());
  EXPECT_EQ(inner.code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace fixpoint::server
