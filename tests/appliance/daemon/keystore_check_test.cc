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

// persist-private-keys off, after a restart: web1's key is gone, web2's was made since. The
// engine may run web2 and its policy now; web1 and its policy wait for the key.
TEST_F(KeystoreCheckTest, KeyWaitLeavesOutOnlyTheProxiesWhoseKeysAreMissing) {
  {
    auto first = openStore(false);
    ASSERT_TRUE(first);
    addSigning(*first, "c1");
  }
  auto restarted = openStore(false);
  ASSERT_TRUE(restarted);
  addSigning(*restarted, "c2");
  auto c = std::make_shared<config::Config>(configNaming("c1", "unused"));
  c->trust_stores.clear();
  config::ServerProxy web2;
  web2.name = "web2";
  web2.certificates = {"c2"};
  c->server_proxies.push_back(web2);
  config::Profile profile;
  profile.name = "default";
  profile.ssl_server_policies.push_back({});
  profile.ssl_server_policies.back().name = "p1";
  profile.ssl_server_policies.back().server_proxy = "web1";
  profile.ssl_server_policies.push_back({});
  profile.ssl_server_policies.back().name = "p2";
  profile.ssl_server_policies.back().server_proxy = "web2";
  profile.ssl_client_policies.push_back({});
  profile.ssl_client_policies.back().name = "out";
  profile.ssl_client_policies.back().client_proxy = "outbound";
  c->profiles.push_back(profile);

  KeyWait wait = planKeyWait(c, *restarted);
  ASSERT_TRUE(wait.waiting());
  EXPECT_EQ(wait.missing_keys, std::vector<std::string>{"c1"});
  EXPECT_EQ(wait.left_out,
            (std::vector<std::string>{"server proxy web1", "client proxy outbound"}));
  EXPECT_EQ(wait.describe(),
            "waiting for keys: c1 (left out until then: server proxy web1, client proxy outbound)");
  ASSERT_EQ(wait.runnable->server_proxies.size(), 1u);
  EXPECT_EQ(wait.runnable->server_proxies[0].name, "web2");
  EXPECT_TRUE(wait.runnable->client_proxies.empty());
  ASSERT_EQ(wait.runnable->profiles[0].ssl_server_policies.size(), 1u);
  EXPECT_EQ(wait.runnable->profiles[0].ssl_server_policies[0].name, "p2");
  EXPECT_TRUE(wait.runnable->profiles[0].ssl_client_policies.empty());
  EXPECT_TRUE(checkKeystoreReferences(*wait.runnable, *restarted).empty());
  EXPECT_TRUE(checkKeystoreReferences(*c, *restarted, /*keys_may_come_later=*/true).empty());
  EXPECT_EQ(checkKeystoreReferences(*c, *restarted).size(), 2u);
  // The config itself is untouched: it is what applies once the key is supplied.
  EXPECT_EQ(c->server_proxies.size(), 2u);
}

TEST_F(KeystoreCheckTest, KeyWaitDoesNotCoverACertificateThatIsNotThere) {
  auto ks = openStore(false);
  ASSERT_TRUE(ks);
  auto c = std::make_shared<config::Config>(configNaming("absent", "unused"));
  c->trust_stores.clear();
  KeyWait wait = planKeyWait(c, *ks);
  EXPECT_FALSE(wait.waiting());
  EXPECT_EQ(wait.runnable, c);
  EXPECT_EQ(checkKeystoreReferences(*wait.runnable, *ks).size(), 2u);
}

// A proxy left out for a missing key that also names an absent certificate: still refused.
TEST_F(KeystoreCheckTest, KeyWaitDoesNotHideAnAbsentCertificateBesideAMissingKey) {
  {
    auto first = openStore(false);
    ASSERT_TRUE(first);
    addSigning(*first, "c1");
  }
  auto restarted = openStore(false);
  ASSERT_TRUE(restarted);
  config::Config c = configNaming("c1", "unused");
  c.client_proxies.clear();
  c.trust_stores.clear();
  c.server_proxies[0].certificates.push_back("absent");
  auto diags = checkKeystoreReferences(c, *restarted, /*keys_may_come_later=*/true);
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_NE(diags[0].str().find("certificate 'absent' is not in the keystore"), std::string::npos);
}

}  // namespace
}  // namespace vtps::daemon
