#include "server/services/dataset_service.h"

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"
#include "server/convert/management_convert.h"
#include "server/convert/status_convert.h"
#include "server/log.h"
#include "server/services/unary_on_pool.h"
#include "server/services/upload_buffer.h"
#include "server/services/upload_reactor.h"

namespace fixpoint::server {
namespace {

absl::StatusOr<io::DatasetFormat> FormatOf(v1::DatasetFormat f, absl::string_view bytes) {
  switch (f) {
    case v1::DATASET_FORMAT_CSV: return io::DatasetFormat::kCsv;
    case v1::DATASET_FORMAT_IDX: return io::DatasetFormat::kIdx;
    case v1::DATASET_FORMAT_NPY: return io::DatasetFormat::kNpy;
    default: return io::SniffDatasetFormat(bytes);
  }
}

}  // namespace

// Header first, then `data` chunks (images), then `labels_data` chunks.
class DatasetService::Upload : public UploadReactor<v1::UploadDatasetRequest> {
 public:
  Upload(DatasetService* service, grpc::CallbackServerContext* context, v1::Dataset* response)
      : UploadReactor(context, service->pool_), service_(service), response_(response),
        images_("dataset upload", service->max_upload_bytes_),
        labels_("dataset labels", service->max_upload_bytes_) {
    Begin(*service_->auth_);
  }

 private:
  absl::Status Accept(const v1::UploadDatasetRequest& chunk) override {
    if (chunk.has_header()) {
      if (images_.declared()) {
        return absl::InvalidArgumentError("dataset upload: header sent twice");
      }
      header_ = chunk.header();
      FP_RETURN_IF_ERROR(store::ValidateName(header_.name()));
      const std::string what = absl::StrCat("dataset '", header_.name(), "'");
      images_ = UploadBuffer(what, service_->max_upload_bytes_);
      FP_RETURN_IF_ERROR(images_.Declare(header_.size_bytes(), header_.sha256(), "header"));
      if (header_.labels_size_bytes() != 0) {
        labels_ = UploadBuffer(absl::StrCat(what, " labels"), service_->max_upload_bytes_);
        FP_RETURN_IF_ERROR(
            labels_.Declare(header_.labels_size_bytes(), header_.labels_sha256(), "header.labels"));
      }
    } else if (!images_.declared()) {
      return absl::InvalidArgumentError(
          "dataset upload: the first message must carry the header (name, format, size, sha256)");
    }
    if (!chunk.data().empty()) {
      if (labels_started_) {
        return absl::InvalidArgumentError(
            "dataset upload: images data after labels data (send every images chunk first)");
      }
      FP_RETURN_IF_ERROR(images_.Append(chunk.data()));
    }
    if (!chunk.labels_data().empty()) {
      if (!labels_.declared()) {
        return absl::InvalidArgumentError(
            "dataset upload: labels_data sent but header.labels_size_bytes is 0");
      }
      labels_started_ = true;
      FP_RETURN_IF_ERROR(labels_.Append(chunk.labels_data()));
    }
    return absl::OkStatus();
  }

  absl::Status Complete() override {
    if (!images_.declared()) return absl::InvalidArgumentError("dataset upload: empty stream");
    FP_RETURN_IF_ERROR(images_.Finish());
    if (labels_.declared()) FP_RETURN_IF_ERROR(labels_.Finish());
    FP_ASSIGN_OR_RETURN(io::DatasetFormat format, FormatOf(header_.format(), images_.bytes()));
    FP_ASSIGN_OR_RETURN(io::PreprocessSpec spec, PreprocessSpecFromProto(header_.preprocessing()));
    auto info = service_->store_->AddDataset(header_.name(), images_.bytes(),
                                             labels_.declared() ? labels_.bytes() : "", format,
                                             spec);
    if (!info.ok()) return WithContext(info.status(), absl::StrCat("dataset '", header_.name(), "'"));
    LogInfo("dataset stored", {{"dataset", info->name},
                               {"sha256", info->sha256},
                               {"items", std::to_string(info->items)}});
    *response_ = ToProto(*info);
    return absl::OkStatus();
  }

  DatasetService* const service_;
  v1::Dataset* const response_;
  v1::UploadDatasetHeader header_;
  UploadBuffer images_;
  UploadBuffer labels_;
  bool labels_started_ = false;
};

DatasetService::DatasetService(store::ArtifactStore* store, WorkPool* pool, const TokenAuth* auth,
                               int64_t max_upload_bytes)
    : store_(store), pool_(pool), auth_(auth), max_upload_bytes_(max_upload_bytes) {}

grpc::ServerReadReactor<v1::UploadDatasetRequest>* DatasetService::UploadDataset(
    grpc::CallbackServerContext* context, v1::Dataset* response) {
  return new Upload(this, context, response);
}

grpc::ServerUnaryReactor* DatasetService::ListDatasets(grpc::CallbackServerContext* context,
                                                       const v1::ListDatasetsRequest*,
                                                       v1::ListDatasetsResponse* response) {
  return UnaryOnPool(context, auth_, pool_, [this, response] {
    for (const store::DatasetInfo& d : store_->ListDatasets()) {
      *response->add_datasets() = ToProto(d);
    }
    return absl::OkStatus();
  });
}

}  // namespace fixpoint::server
