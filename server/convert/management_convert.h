// fixpoint.v1 messages <-> core types (store, jobs, quant), in one place.
// Pure functions; thread-safe.
#ifndef FIXPOINT_SERVER_CONVERT_MANAGEMENT_CONVERT_H_
#define FIXPOINT_SERVER_CONVERT_MANAGEMENT_CONVERT_H_

#include "absl/status/statusor.h"
#include "core/io/preprocess.h"
#include "core/jobs/quantize_job.h"
#include "core/jobs/scheduler.h"
#include "core/quant/artifact.h"
#include "core/store/artifact_store.h"
#include "fixpoint/v1/datasets.pb.h"
#include "fixpoint/v1/models.pb.h"
#include "fixpoint/v1/quantization.pb.h"
#include "proto/convert/preprocessing_convert.h"

namespace fixpoint::server {

v1::ModelVersion ToProto(const store::VersionInfo& v);
v1::Model ToProto(const store::ModelInfo& m);
v1::Dataset ToProto(const store::DatasetInfo& d);
// The job, with its request (from the params JSON) and result when present.
v1::Job ToProto(const jobs::JobRecord& job);
v1::Report ToReport(const std::string& model, int64_t version, const quant::Manifest& m,
                    const std::string& manifest_json);

jobs::QuantizeJobParams FromProto(const v1::QuantizeRequest& r);
v1::QuantizeRequest ToProto(const jobs::QuantizeJobParams& p);

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_CONVERT_MANAGEMENT_CONVERT_H_
