#include "appliance/daemon/keystore_check.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace vtps::daemon {
namespace {

namespace fs = std::filesystem;

class KeystoreCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vtps-ks-check-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<crypto::Keystore> openStore(bool persist) {
    config::Device device;
    device.keystore = dir_.string();
    device.ssl_inspection.persist_private_keys = persist;
    auto ks = openKeystore(device);
    EXPECT_TRUE(ks.ok()) << ks.message();
    return ks.ok() ? std::move(*ks) : nullptr;
  }

  static void addSigning(crypto::Keystore& ks, const std::string& name) {
    crypto::NewSigningOptions options;
    options.subject.cn = name;
    options.key.algorithm = crypto::KeyAlgorithm::kEc;
    options.key.curve = "prime256v1";
    auto created = ks.createSigningCertificate(name, options);
    ASSERT_TRUE(created.ok()) << created.message();
  }

  // A config naming `certificate` in a server proxy (line 10) and a client proxy (line 20) and
  // `ca` in a trust store (line 30).
  static config::Config configNaming(const std::string& certificate, const std::string& ca) {
    config::Config c;
    c.source_path = "vtps.yaml";
    config::ServerProxy server;
    server.name = "web1";
    server.certificates = {certificate};
    server.marks.fields["certificates"] = {10, 5};
    c.server_proxies.push_back(server);
    config::ClientProxy client;
    client.name = "outbound";
    client.signing_certificate = certificate;
    client.marks.fields["signing-certificate"] = {20, 7};
    c.client_proxies.push_back(client);
    config::TrustStore store;
    store.name = "corp";
    store.ca_certificates = {ca};
    store.marks.fields["ca-certificates"] = {30, 9};
    c.trust_stores.push_back(store);
    return c;
  }

  fs::path dir_;
};

TEST_F(KeystoreCheckTest, AcceptsAConfigWhoseCertificatesAreAllThere) {
  auto ks = openStore(true);
  ASSERT_TRUE(ks);
  addSigning(*ks, "web1");
  config::Config c = configNaming("web1", "unused");
  c.trust_stores.clear();
  EXPECT_TRUE(checkKeystoreReferences(c, *ks).empty());
}

TEST_F(KeystoreCheckTest, ReportsEachMissingNameAtItsField) {
  auto ks = openStore(true);
  ASSERT_TRUE(ks);
  auto diags = checkKeystoreReferences(configNaming("absent", "no-such-ca"), *ks);
  ASSERT_EQ(diags.size(), 3u);
  std::string dir = dir_.string();
  EXPECT_EQ(diags[0].str(),
            "vtps.yaml:10:5: error: ssl.server-proxies[0].certificates: certificate 'absent' is "
            "not in the keystore " +
                dir + " (vtpsctl cert list shows what is there)");
  EXPECT_EQ(diags[1].str(),
            "vtps.yaml:20:7: error: ssl.client-proxies[0].signing-certificate: certificate "
            "'absent' is not in the keystore " +
                dir + " (vtpsctl cert list shows what is there)");
  EXPECT_EQ(diags[2].str(),
            "vtps.yaml:30:9: error: ssl.trust-stores[0].ca-certificates: CA 'no-such-ca' is not "
            "in the keystore " +
                dir + " (vtpsctl ca list shows what is there)");
}

TEST_F(KeystoreCheckTest, ReportsACertificateWhoseKeyThisProcessDoesNotHold) {
  {
    auto first = openStore(false);  // keys in memory only
    ASSERT_TRUE(first);
    addSigning(*first, "web1");
  }
  auto restarted = openStore(false);
  ASSERT_TRUE(restarted);
  config::Config c = configNaming("web1", "unused");
  c.client_proxies.clear();
  c.trust_stores.clear();
  auto diags = checkKeystoreReferences(c, *restarted);
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_EQ(diags[0].str(),
            "vtps.yaml:10:5: error: ssl.server-proxies[0].certificates: "
            "certificate 'web1' has no private key in " +
                dir_.string() +
                " (persist-private-keys is off and the key was not supplied; "
                "see docs/keystore.md)");
}

}  // namespace
}  // namespace vtps::daemon
