#include "tests/integration/client_util.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/util/sha256.h"

namespace fixpoint::testing {

Stubs Connect(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  Stubs s;
  s.channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  s.models = v1::ModelService::NewStub(s.channel);
  s.datasets = v1::DatasetService::NewStub(s.channel);
  s.quant = v1::QuantizationService::NewStub(s.channel);
  s.infer = inference::GRPCInferenceService::NewStub(s.channel);
  return s;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  if (!token.empty()) c->AddMetadata("authorization", "Bearer " + token);
  return c;
}

v1::UploadModelHeader OnnxHeader(const std::string& name, const std::string& bytes) {
  v1::UploadModelHeader h;
  h.set_name(name);
  h.set_format(v1::MODEL_FORMAT_ONNX);
  h.set_size_bytes(static_cast<int64_t>(bytes.size()));
  h.set_sha256(util::Sha256Hex(bytes));
  return h;
}

grpc::Status UploadModel(Stubs& s, const v1::UploadModelHeader& header, const std::string& bytes,
                         v1::ModelVersion* out, const std::string& token) {
  auto context = Context(token);
  auto writer = s.models->UploadModel(context.get(), out);
  constexpr size_t kChunk = 256 << 10;
  v1::UploadModelRequest first;
  *first.mutable_header() = header;
  first.set_data(bytes.substr(0, std::min(kChunk, bytes.size())));
  bool ok = writer->Write(first);
  for (size_t pos = kChunk; ok && pos < bytes.size(); pos += kChunk) {
    v1::UploadModelRequest chunk;
    chunk.set_data(bytes.substr(pos, kChunk));
    ok = writer->Write(chunk);
  }
  writer->WritesDone();
  return writer->Finish();
}

grpc::Status UploadDataset(Stubs& s, const std::string& name, const std::string& images,
                           const std::string& labels, v1::DatasetFormat format, v1::Dataset* out,
                           const std::string& token) {
  auto context = Context(token);
  auto writer = s.datasets->UploadDataset(context.get(), out);
  v1::UploadDatasetRequest first;
  v1::UploadDatasetHeader* h = first.mutable_header();
  h->set_name(name);
  h->set_format(format);
  h->set_size_bytes(static_cast<int64_t>(images.size()));
  h->set_sha256(util::Sha256Hex(images));
  if (!labels.empty()) {
    h->set_labels_size_bytes(static_cast<int64_t>(labels.size()));
    h->set_labels_sha256(util::Sha256Hex(labels));
  }
  bool ok = writer->Write(first);
  constexpr size_t kChunk = 1 << 20;
  for (size_t pos = 0; ok && pos < images.size(); pos += kChunk) {
    v1::UploadDatasetRequest chunk;
    chunk.set_data(images.substr(pos, kChunk));
    ok = writer->Write(chunk);
  }
  for (size_t pos = 0; ok && pos < labels.size(); pos += kChunk) {
    v1::UploadDatasetRequest chunk;
    chunk.set_labels_data(labels.substr(pos, kChunk));
    ok = writer->Write(chunk);
  }
  writer->WritesDone();
  return writer->Finish();
}

grpc::Status WatchUntilFinal(Stubs& s, const std::string& id, v1::Job* last,
                             std::vector<std::string>* phases) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
  v1::WatchJobRequest request;
  request.set_id(id);
  auto reader = s.quant->WatchJob(&context, request);
  v1::JobEvent event;
  while (reader->Read(&event)) {
    *last = event.job();
    if (phases && !event.job().phase().empty() &&
        (phases->empty() || phases->back() != event.job().phase())) {
      phases->push_back(event.job().phase());
    }
  }
  return reader->Finish();
}

bool WaitModelReady(Stubs& s, const std::string& model, const std::string& version,
                    int seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < end) {
    inference::ModelReadyRequest request;
    request.set_name(model);
    request.set_version(version);
    inference::ModelReadyResponse response;
    auto context = Context();
    if (s.infer->ModelReady(context.get(), request, &response).ok() && response.ready()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

inference::ModelInferRequest InferRequest(const std::string& model, const std::string& version,
                                          const std::vector<float>& images, int64_t first,
                                          int64_t count) {
  inference::ModelInferRequest r;
  r.set_model_name(model);
  r.set_model_version(version);
  auto* input = r.add_inputs();
  input->set_name("input");
  input->set_datatype("FP32");
  for (int64_t d : {count, int64_t{1}, int64_t{28}, int64_t{28}}) input->add_shape(d);
  const size_t per = 28 * 28;
  r.add_raw_input_contents(
      std::string(reinterpret_cast<const char*>(images.data() + first * per),
                  static_cast<size_t>(count) * per * sizeof(float)));
  return r;
}

}  // namespace fixpoint::testing
