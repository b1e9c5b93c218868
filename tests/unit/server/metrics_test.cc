#include "server/metrics/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "absl/strings/match.h"
#include "tests/unit/server/server_test_util.h"

namespace fixpoint::server {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using testing::Lines;
using testing::MetricsText;
using ::testing::Not;

const VersionLabels kInt8{"mnist", "2", "int8"};

TEST(MetricsTest, EveryFamilyExistsFromConstruction) {
  Metrics metrics;
  const std::vector<std::string> lines = Lines(MetricsText(metrics));
  for (const char* family :
       {"fixpoint_inference_requests_total counter",
        "fixpoint_inference_request_duration_seconds histogram",
        "fixpoint_inference_queue_duration_seconds histogram",
        "fixpoint_inference_batch_size histogram", "fixpoint_inference_requests_in_flight gauge",
        "fixpoint_jobs gauge", "fixpoint_jobs_total counter",
        "fixpoint_job_duration_seconds histogram", "fixpoint_model_accuracy gauge",
        "fixpoint_model_accuracy_drop gauge", "fixpoint_model_top1_agreement gauge",
        "fixpoint_artifact_bytes gauge"}) {
    EXPECT_THAT(lines, Contains(std::string("# TYPE ") + family));
  }
  // Every job state is present at zero.
  for (const char* state : {"QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"}) {
    EXPECT_THAT(lines, Contains(std::string("fixpoint_jobs{state=\"") + state + "\"} 0"));
  }
}

TEST(MetricsTest, VersionSeriesStartAtZeroWhenLoaded) {
  Metrics metrics;
  metrics.OnVersionLoaded(kInt8, 123456);
  const std::vector<std::string> lines = Lines(MetricsText(metrics));
  const std::string labels = "model=\"mnist\",precision=\"int8\",version=\"2\"";
  EXPECT_THAT(lines, Contains("fixpoint_inference_requests_total{code=\"OK\"," + labels + "} 0"));
  EXPECT_THAT(lines,
              Contains("fixpoint_inference_request_duration_seconds_count{" + labels + "} 0"));
  EXPECT_THAT(lines, Contains("fixpoint_inference_queue_duration_seconds_count{" + labels + "} 0"));
  EXPECT_THAT(lines, Contains("fixpoint_inference_batch_size_count{" + labels + "} 0"));
  EXPECT_THAT(lines, Contains("fixpoint_inference_requests_in_flight{" + labels + "} 0"));
  EXPECT_THAT(lines, Contains("fixpoint_artifact_bytes{model=\"mnist\",version=\"2\"} 123456"));
}

TEST(MetricsTest, HistogramBuckets) {
  Metrics metrics;
  metrics.OnVersionLoaded(kInt8, 1);
  const std::string text = MetricsText(metrics);
  const std::string labels = "model=\"mnist\",precision=\"int8\",version=\"2\"";
  // Latency: 50 us .. 10 s; batch: powers of two up to 256.
  EXPECT_THAT(text, HasSubstr("fixpoint_inference_request_duration_seconds_bucket{" + labels +
                              ",le=\"5e-05\"} 0"));
  EXPECT_THAT(text, HasSubstr("fixpoint_inference_request_duration_seconds_bucket{" + labels +
                              ",le=\"10\"} 0"));
  EXPECT_THAT(text, HasSubstr("fixpoint_inference_batch_size_bucket{" + labels + ",le=\"1\"} 0"));
  EXPECT_THAT(text, HasSubstr("fixpoint_inference_batch_size_bucket{" + labels + ",le=\"256\"} 0"));
  EXPECT_THAT(text,
              Not(HasSubstr("fixpoint_inference_batch_size_bucket{" + labels + ",le=\"512\"}")));
}

TEST(MetricsTest, RecordsRequestsQueueBatchesAndInFlight) {
  Metrics metrics;
  metrics.OnVersionLoaded(kInt8, 1);
  const VersionMetrics handle = metrics.ForVersion(kInt8);
  handle.RecordRequest("OK", 0.002, false);
  handle.RecordRequest("OK", 0.004, false);
  handle.RecordRequest("INVALID_ARGUMENT", 0.0001, false);
  const double queue[] = {0.0003};
  handle.RecordBatch(5, queue);
  handle.AddInFlight(3);
  handle.AddInFlight(-1);
  const std::vector<std::string> lines = Lines(MetricsText(metrics));
  const std::string labels = "model=\"mnist\",precision=\"int8\",version=\"2\"";
  EXPECT_THAT(lines, Contains("fixpoint_inference_requests_total{code=\"OK\"," + labels + "} 2"));
  EXPECT_THAT(lines, Contains("fixpoint_inference_requests_total{code=\"INVALID_ARGUMENT\"," +
                              labels + "} 1"));
  EXPECT_THAT(lines,
              Contains("fixpoint_inference_request_duration_seconds_count{" + labels + "} 3"));
  EXPECT_THAT(lines, Contains("fixpoint_inference_request_duration_seconds_bucket{" + labels +
                              ",le=\"0.0025\"} 2"));
  EXPECT_THAT(lines, Contains("fixpoint_inference_queue_duration_seconds_count{" + labels + "} 1"));
  EXPECT_THAT(lines, Contains("fixpoint_inference_batch_size_bucket{" + labels + ",le=\"4\"} 0"));
  EXPECT_THAT(lines, Contains("fixpoint_inference_batch_size_bucket{" + labels + ",le=\"8\"} 1"));
  EXPECT_THAT(lines, Contains("fixpoint_inference_batch_size_sum{" + labels + "} 5"));
  EXPECT_THAT(lines, Contains("fixpoint_inference_requests_in_flight{" + labels + "} 2"));
}

TEST(MetricsTest, JobsGaugeCounterAndDuration) {
  Metrics metrics;
  metrics.SetJobCounts({{"RUNNING", 2}, {"QUEUED", 5}});
  metrics.SetJobCounts({{"RUNNING", 1}});  // QUEUED went back to none
  metrics.CountFinishedJob("quantize", "SUCCEEDED");
  metrics.RecordJobDuration("quantize", 42);
  const std::vector<std::string> lines = Lines(MetricsText(metrics));
  EXPECT_THAT(lines, Contains("fixpoint_jobs{state=\"RUNNING\"} 1"));
  EXPECT_THAT(lines, Contains("fixpoint_jobs{state=\"QUEUED\"} 0"));
  EXPECT_THAT(lines, Contains("fixpoint_jobs_total{kind=\"quantize\",state=\"SUCCEEDED\"} 1"));
  EXPECT_THAT(lines, Contains("fixpoint_job_duration_seconds_count{kind=\"quantize\"} 1"));
  EXPECT_THAT(lines,
              Contains("fixpoint_job_duration_seconds_bucket{kind=\"quantize\",le=\"50\"} 1"));
}

TEST(MetricsTest, AccuracyGauges) {
  Metrics metrics;
  metrics.SetAccuracy("mnist", "2", "1", "fashion-test", 0.92, 0.9, 0.97);
  const std::vector<std::string> lines = Lines(MetricsText(metrics));
  EXPECT_THAT(lines, Contains("fixpoint_model_accuracy{dataset=\"fashion-test\",model=\"mnist\","
                              "precision=\"fp32\",version=\"1\"} 0.92"));
  EXPECT_THAT(lines, Contains("fixpoint_model_accuracy{dataset=\"fashion-test\",model=\"mnist\","
                              "precision=\"int8\",version=\"2\"} 0.9"));
  bool drop = false;
  for (const std::string& l : lines) {
    if (absl::StartsWith(l,
                         "fixpoint_model_accuracy_drop{dataset=\"fashion-test\","
                         "model=\"mnist\",version=\"2\"} 0.0")) {
      drop = true;
    }
  }
  EXPECT_TRUE(drop) << MetricsText(metrics);
  EXPECT_THAT(lines, Contains("fixpoint_model_top1_agreement{dataset=\"fashion-test\","
                              "model=\"mnist\",version=\"2\"} 0.97"));
}

TEST(MetricsTest, DeletedVersionLosesEverySeries) {
  Metrics metrics;
  const VersionLabels fp32{"mnist", "1", "fp32"};
  metrics.OnVersionLoaded(fp32, 10);
  metrics.OnVersionLoaded(kInt8, 20);
  metrics.ForVersion(kInt8).RecordRequest("RESOURCE_EXHAUSTED", 0.001, false);
  metrics.SetAccuracy("mnist", "2", "1", "d", 0.9, 0.8, 0.85);
  metrics.OnVersionDeleted("mnist", "2");
  const std::string text = MetricsText(metrics);
  EXPECT_THAT(text, Not(HasSubstr("version=\"2\"")));
  EXPECT_THAT(text, HasSubstr("fixpoint_artifact_bytes{model=\"mnist\",version=\"1\"} 10"));
  EXPECT_THAT(text, HasSubstr("precision=\"fp32\",version=\"1\"} 0.9"));
  // Families stay, even when their last series went.
  EXPECT_THAT(text, HasSubstr("# TYPE fixpoint_model_top1_agreement gauge"));
}

TEST(MetricsTest, VersionHandleRecordsWithoutLookups) {
  Metrics metrics;
  metrics.OnVersionLoaded(kInt8, 1);
  const VersionMetrics handle = metrics.ForVersion(kInt8);
  handle.AddInFlight(2);
  handle.RecordRequest("OK", 0.002, true);
  handle.RecordRequest("UNAVAILABLE", 0.001, false);  // a code seen for the first time
  const double queue[] = {0.0001, 0.0003};
  handle.RecordBatch(2, queue);
  const std::vector<std::string> lines = Lines(MetricsText(metrics));
  const std::string labels = "model=\"mnist\",precision=\"int8\",version=\"2\"";
  EXPECT_THAT(lines, Contains("fixpoint_inference_requests_total{code=\"OK\"," + labels + "} 1"));
  EXPECT_THAT(lines,
              Contains("fixpoint_inference_requests_total{code=\"UNAVAILABLE\"," + labels + "} 1"));
  EXPECT_THAT(lines,
              Contains("fixpoint_inference_request_duration_seconds_count{" + labels + "} 2"));
  EXPECT_THAT(lines, Contains("fixpoint_inference_queue_duration_seconds_count{" + labels + "} 2"));
  EXPECT_THAT(lines, Contains("fixpoint_inference_batch_size_sum{" + labels + "} 2"));
  EXPECT_THAT(lines, Contains("fixpoint_inference_requests_in_flight{" + labels + "} 1"));
}

// A request still in flight when its version is deleted must neither touch
// the removed series nor bring them back.
TEST(MetricsTest, VersionHandleIsInertOnceDeleted) {
  Metrics metrics;
  metrics.OnVersionLoaded(kInt8, 1);
  const VersionMetrics handle = metrics.ForVersion(kInt8);
  handle.AddInFlight(1);
  metrics.OnVersionDeleted("mnist", "2");
  handle.RecordRequest("OK", 0.002, true);
  handle.RecordRequest("INTERNAL", 0.002, false);
  handle.RecordBatch(1, {});
  EXPECT_THAT(MetricsText(metrics), Not(HasSubstr("version=\"2\"")));
  VersionMetrics().RecordRequest("OK", 0.1, true);  // a default handle records nothing
}

// promtool (Debian's prometheus package) parses and lints the exposition:
// names, units, HELP text, histogram series.
TEST(MetricsTest, PromtoolAcceptsTheExposition) {
  if (std::system("command -v promtool > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "promtool is not installed";
  }
  Metrics metrics;
  metrics.OnVersionLoaded(kInt8, 10);
  metrics.ForVersion(kInt8).RecordRequest("OK", 0.01, false);
  metrics.ForVersion(kInt8).RecordBatch(3, {});
  metrics.SetJobCounts({{"RUNNING", 1}});
  metrics.CountFinishedJob("quantize", "FAILED");
  metrics.RecordJobDuration("quantize", 3);
  metrics.SetAccuracy("mnist", "2", "1", "d", 0.9, 0.8, 0.85);
  const std::string path = testing::MakeTempDir() + "/metrics.txt";
  std::ofstream(path) << MetricsText(metrics);
  const std::string out = path + ".out";
  const int rc = std::system(("promtool check metrics < " + path + " > " + out + " 2>&1").c_str());
  std::ifstream in(out);
  const std::string report((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(rc, 0) << report;
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

}  // namespace
}  // namespace fixpoint::server
