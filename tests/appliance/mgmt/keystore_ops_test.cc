// The keystore operations vtpsctl and vtpsd share (appliance/mgmt/keystore_ops.h): supplying a key
// to a keystore that keeps keys in memory (persist-private-keys off), and the refusals both doors
// give with the same words. tests/appliance/cli checks that vtpsctl prints these words.
#include "appliance/mgmt/keystore_ops.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace vtps::mgmt {
namespace {

namespace fs = std::filesystem;

class KeystoreOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vtps-ks-ops-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<crypto::Keystore> open(crypto::KeyPersistence persistence) {
    crypto::KeystoreOptions options;
    options.dir = dir_;
    options.persistence = persistence;
    auto ks = crypto::Keystore::open(options);
    EXPECT_TRUE(ks.ok()) << ks.message();
    return ks.ok() ? std::move(*ks) : nullptr;
  }

  // An exportable signing certificate `name` made in a memory keystore; returns its key as
  // encrypted PEM (password "pw") — what an operator keeps to supply after a restart.
  std::string makeAndExport(const std::string& name) {
    auto ks = open(crypto::KeyPersistence::kMemory);
    NewCertificateRequest request;
    request.subject.cn = name;
    request.key = "ec:prime256v1";
    request.exportable = true;
    auto made = createSigningCertificate(*ks, name, request);
    EXPECT_TRUE(made.ok()) << made.message();
    ExportRequest e;
    e.with_key = true;
    e.password = "pw";
    auto pem = exportCertificate(*ks, name, e);
    EXPECT_TRUE(pem.ok()) << pem.message();
    return pem.ok() ? *pem : std::string();
  }

  std::string dir_;
};

TEST_F(KeystoreOpsTest, SuppliedKeyMakesARestartedCertificateServable) {
  const std::string pem = makeAndExport("corp-signing");
  auto restarted = open(crypto::KeyPersistence::kMemory);
  EXPECT_EQ(restarted->certificate("corp-signing")->status, crypto::CertificateStatus::kKeyMissing);
  EXPECT_FALSE(restarted->loadCertificate("corp-signing").ok());
  Status st = supplyKey(*restarted, "corp-signing", pem, "corp.pem", std::string("pw"));
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(restarted->certificate("corp-signing")->status, crypto::CertificateStatus::kValid);
  EXPECT_TRUE(restarted->loadCertificate("corp-signing").ok());
}

TEST_F(KeystoreOpsTest, SupplyKeyRefusalsNameTheCertificateAndChangeNothing) {
  const std::string pem = makeAndExport("corp-signing");
  const std::string other = makeAndExport("other");
  auto restarted = open(crypto::KeyPersistence::kMemory);
  EXPECT_EQ(supplyKey(*restarted, "absent", pem, "corp.pem", std::string("pw")).message(),
            "supply key for absent: no certificate of that name in the keystore " + dir_ +
                " (vtpsctl cert list shows what is there)");
  EXPECT_EQ(supplyKey(*restarted, "corp-signing", other, "other.pem", std::string("pw")).message(),
            "supply key for corp-signing: the key does not match the certificate");
  Status wrong = supplyKey(*restarted, "corp-signing", pem, "corp.pem", std::string("nope"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.message().rfind("supply key for corp-signing: ", 0), 0u) << wrong.message();
  EXPECT_NE(wrong.message().find("corp.pem"), std::string::npos) << wrong.message();
  Status none = supplyKey(*restarted, "corp-signing", pem, "corp.pem", std::nullopt);
  EXPECT_FALSE(none.ok());
  EXPECT_EQ(supplyKey(*restarted, "../x", pem, "corp.pem", std::string("pw"))
                .message()
                .rfind("supply key for ../x: ", 0),
            0u);
  EXPECT_EQ(restarted->certificate("corp-signing")->status, crypto::CertificateStatus::kKeyMissing);
}

TEST_F(KeystoreOpsTest, SupplyKeyIsRefusedWhenKeysArePersisted) {
  auto ks = open(crypto::KeyPersistence::kDisk);
  EXPECT_EQ(supplyKey(*ks, "web1", "x", "k.pem", std::nullopt).message(),
            "supply key for web1: keys are persisted in this keystore (persist-private-keys is "
            "on); import the certificate with its key instead");
}

TEST_F(KeystoreOpsTest, ExportAndImportRefuseBadInputWithTheOperationAndName) {
  makeAndExport("corp-signing");
  auto ks = open(crypto::KeyPersistence::kMemory);
  ExportRequest no_password;
  no_password.with_key = true;
  EXPECT_EQ(exportCertificate(*ks, "corp-signing", no_password).message(),
            "export certificate corp-signing: a password (--password-file, or \"password\" in a "
            "REST request) is required to protect the exported key");
  ExportRequest bad_format;
  bad_format.format = "pfx";
  auto refused = exportCertificate(*ks, "corp-signing", bad_format);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.message().rfind("export certificate corp-signing: ", 0), 0u);
  CertificateSource source;
  source.cert_bytes = "not a certificate";
  source.cert_source = "x.pem";
  source.format = "p7b";
  auto imported = importCertificate(*ks, "web1", source, false);
  ASSERT_FALSE(imported.ok());
  EXPECT_EQ(imported.message().rfind("import certificate web1: ", 0), 0u) << imported.message();
  NewCertificateRequest weak;
  weak.subject.cn = "w";
  weak.key = "rsa:1024";
  auto request = createRequest(*ks, "web1", weak);
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.message().rfind("create signing request web1: ", 0), 0u) << request.message();
}

TEST_F(KeystoreOpsTest, RequestFieldsCarryTextOrBase64) {
  EXPECT_EQ(decodeBase64(encodeBase64(std::string("\0\x01\xff der", 7))),
            std::string("\0\x01\xff der", 7));
  EXPECT_FALSE(decodeBase64("abc"));
  nlohmann::ordered_json request{{"cert_base64", encodeBase64("DER")}, {"key", "PEM"}};
  auto source = certificateSourceFromJson(request);
  ASSERT_TRUE(source.ok()) << source.message();
  EXPECT_EQ(source->cert_bytes, "DER");
  EXPECT_EQ(*source->key_bytes, "PEM");
  EXPECT_EQ(certificateSourceFromJson(nlohmann::ordered_json{{"key", "PEM"}}).message(),
            "the request needs \"cert\" (PEM text) or \"cert_base64\"");
  EXPECT_EQ(certificateSourceFromJson(nlohmann::ordered_json{{"cert_base64", "!!!"}}).message(),
            "\"cert_base64\" is not base64");
}

}  // namespace
}  // namespace vtps::mgmt
