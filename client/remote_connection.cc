#include "client/remote_connection.h"

#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

ABSL_FLAG(std::string, server, "127.0.0.1:8001", "fixpointd's gRPC address (host:port)");
ABSL_FLAG(std::string, token_file, "",
          "file holding the bearer token sent as 'authorization: Bearer <token>'");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA certificate(s): connect with TLS and verify the server against them");
ABSL_FLAG(std::string, tls_cert, "", "PEM client certificate for mutual TLS (with --tls_key)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, tls_server_name, "",
          "TLS: the name the server certificate must carry, when it differs from --server's host");
ABSL_FLAG(double, timeout_s, 30,
          "deadline of each call in seconds (uploads, --wait and watches are not limited)");

namespace fixpoint::client {
namespace {

absl::StatusOr<std::string> ReadSmall(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("--", flag, ": cannot read '", path, "'"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

int UsageError(absl::string_view message, absl::string_view usage) {
  std::cerr << "fixpoint: " << message << "\nusage: " << usage << "\n";
  return kExitUsage;
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::FromFlags() {
  std::unique_ptr<Connection> c(new Connection());
  c->server_ = absl::GetFlag(FLAGS_server);
  const double timeout_s = absl::GetFlag(FLAGS_timeout_s);
  if (!(timeout_s > 0) || !std::isfinite(timeout_s)) {
    return absl::InvalidArgumentError("--timeout_s must be a positive number of seconds");
  }
  c->timeout_ = absl::Seconds(timeout_s);
  if (!absl::GetFlag(FLAGS_token_file).empty()) {
    auto token = ReadSmall(absl::GetFlag(FLAGS_token_file), "token_file");
    if (!token.ok()) return token.status();
    c->token_ = std::string(absl::StripAsciiWhitespace(*token));
    if (c->token_.empty()) return absl::InvalidArgumentError("--token_file: the file is empty");
  }

  const std::string ca = absl::GetFlag(FLAGS_tls_ca);
  const std::string cert = absl::GetFlag(FLAGS_tls_cert);
  const std::string key = absl::GetFlag(FLAGS_tls_key);
  if (cert.empty() != key.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together (mutual TLS)");
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(256 << 20);  // reports with large manifests, batched outputs
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (!ca.empty() || !cert.empty()) {
    grpc::SslCredentialsOptions ssl;
    if (!ca.empty()) {
      auto pem = ReadSmall(ca, "tls_ca");
      if (!pem.ok()) return pem.status();
      ssl.pem_root_certs = *pem;
    }
    if (!cert.empty()) {
      auto pem_cert = ReadSmall(cert, "tls_cert");
      if (!pem_cert.ok()) return pem_cert.status();
      auto pem_key = ReadSmall(key, "tls_key");
      if (!pem_key.ok()) return pem_key.status();
      ssl.pem_cert_chain = *pem_cert;
      ssl.pem_private_key = *pem_key;
    }
    credentials = grpc::SslCredentials(ssl);
    if (!absl::GetFlag(FLAGS_tls_server_name).empty()) {
      args.SetSslTargetNameOverride(absl::GetFlag(FLAGS_tls_server_name));
    }
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  c->channel_ = grpc::CreateCustomChannel(c->server_, credentials, args);
  c->models_ = v1::ModelService::NewStub(c->channel_);
  c->datasets_ = v1::DatasetService::NewStub(c->channel_);
  c->quantization_ = v1::QuantizationService::NewStub(c->channel_);
  c->inference_ = inference::GRPCInferenceService::NewStub(c->channel_);
  return c;
}

void Connection::Prepare(grpc::ClientContext* context, bool with_deadline) const {
  if (!token_.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token_));
  if (with_deadline) context->set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
}

int Connection::Fail(const grpc::Status& status, absl::string_view what) const {
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  std::cerr << "fixpoint: " << what << ": " << absl::StatusCodeToString(code) << ": "
            << status.error_message() << "\n";
  // UNAVAILABLE or a deadline on a channel that is not connected means nobody
  // answered; on a connected channel they are the server's own answer (a
  // draining server, a version not loaded, a slow call).
  const bool connected = channel_->GetState(false) == GRPC_CHANNEL_READY;
  if ((code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded) &&
      !connected) {
    std::cerr << "fixpoint: is fixpointd running at " << server_
              << "? (--server, --tls_ca / --tls_cert / --tls_key / --tls_server_name, "
                 "--timeout_s)\n";
    return kExitUnreachable;
  }
  return kExitServerError;
}

}  // namespace fixpoint::client
