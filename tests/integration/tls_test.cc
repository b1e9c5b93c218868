// TLS and mutual TLS through the real server: a throwaway self-signed
// certificate (made with the openssl command line; skipped without it)
// serves as server certificate, trust root and, for mTLS, client identity.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "tests/integration/client_util.h"
#include "tests/integration/server_process.h"

namespace fixpoint::testing {
namespace {

namespace fs = std::filesystem;

struct Pem {
  std::string cert_path, key_path, cert, key;
};

bool MakeCert(const std::string& dir, Pem* out) {
  out->cert_path = dir + "/cert.pem";
  out->key_path = dir + "/key.pem";
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost"
                          " -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " +
                          out->key_path + " -out " + out->cert_path + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return false;
  out->cert = ReadFile(out->cert_path);
  out->key = ReadFile(out->key_path);
  return !out->cert.empty() && !out->key.empty();
}

bool Live(const std::shared_ptr<grpc::ChannelCredentials>& creds, const std::string& address,
          grpc::Status* status) {
  auto stub = inference::GRPCInferenceService::NewStub(grpc::CreateChannel(address, creds));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  inference::ServerLiveResponse response;
  *status = stub->ServerLive(&context, {}, &response);
  return status->ok() && response.live();
}

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/fp_it_tls_" + std::to_string(getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    if (!MakeCert(dir_, &pem_)) GTEST_SKIP() << "the openssl command line is not available";
  }
  std::string dir_;
  Pem pem_;
};

TEST_F(Tls, ServerCertificateIsVerifiedAndPlaintextRefused) {
  auto server = ServerProcess::Start(dir_ + "/store",
                                     {"--tls_cert=" + pem_.cert_path, "--tls_key=" + pem_.key_path});
  ASSERT_TRUE(server.ok()) << server.status();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = pem_.cert;
  grpc::Status status;
  EXPECT_TRUE(Live(grpc::SslCredentials(options), (*server)->grpc_address(), &status))
      << status.error_message();
  EXPECT_FALSE(Live(grpc::InsecureChannelCredentials(), (*server)->grpc_address(), &status));
}

TEST_F(Tls, MutualTlsRequiresAClientCertificate) {
  auto server = ServerProcess::Start(
      dir_ + "/store", {"--tls_cert=" + pem_.cert_path, "--tls_key=" + pem_.key_path,
                        "--tls_client_ca=" + pem_.cert_path});
  ASSERT_TRUE(server.ok()) << server.status();
  grpc::SslCredentialsOptions anonymous;
  anonymous.pem_root_certs = pem_.cert;
  grpc::Status status;
  EXPECT_FALSE(Live(grpc::SslCredentials(anonymous), (*server)->grpc_address(), &status));
  grpc::SslCredentialsOptions identified = anonymous;
  identified.pem_private_key = pem_.key;
  identified.pem_cert_chain = pem_.cert;
  EXPECT_TRUE(Live(grpc::SslCredentials(identified), (*server)->grpc_address(), &status))
      << status.error_message();
}

}  // namespace
}  // namespace fixpoint::testing
