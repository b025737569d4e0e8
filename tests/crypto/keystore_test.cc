#include "crypto/keystore.h"

#include <gtest/gtest.h>

#include "crypto/csr.h"
#include "crypto/key_sealer.h"
#include "crypto/pkcs12.h"
#include "tests/crypto/test_pki.h"

namespace vtps::crypto {
namespace {

using testing::ecKey;
using testing::issue;
using testing::selfSignedCa;
using testing::snapshot;
using testing::validFor;

class KeystoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::writeFile(dir_.file("bundle.crt"), "");
    store_ = openStore(KeyPersistence::kDisk);
  }

  std::unique_ptr<Keystore> openStore(KeyPersistence persistence) {
    KeystoreOptions options;
    options.dir = dir_.file("store");
    options.persistence = persistence;
    options.default_ca_bundle = dir_.file("bundle.crt");
    auto ks = Keystore::open(options);
    EXPECT_TRUE(ks.ok()) << ks.message();
    return ks.ok() ? std::move(ks.value()) : nullptr;
  }

  std::string storePath(const std::string& rel) const { return dir_.file("store/" + rel); }

  static CertificateInput pemInput(const std::string& cert_pem,
                                   std::optional<std::string> key = std::nullopt,
                                   std::optional<std::string> password = std::nullopt) {
    CertificateInput in;
    in.cert_bytes = cert_pem;
    in.cert_source = "cert.pem";
    in.key_bytes = std::move(key);
    in.key_source = "key.pem";
    in.password = std::move(password);
    return in;
  }

  NewSigningOptions signingOptions(const std::string& cn) {
    NewSigningOptions o;
    o.subject.cn = cn;
    o.key = KeySpec::parse("ec:prime256v1").value();
    o.days = 30;
    return o;
  }

  testing::TempDir dir_;
  std::unique_ptr<Keystore> store_;
  PrivateKey ca_key_ = ecKey();
  Certificate ca_ = selfSignedCa("Test Root", ca_key_);
};

TEST_F(KeystoreTest, OpenCreatesTheLayoutAndAPrivateMasterKey) {
  for (const char* sub : {"certs", "keys", "meta", "csr", "cas"}) {
    EXPECT_TRUE(std::filesystem::is_directory(storePath(sub))) << sub;
    EXPECT_EQ(testing::fileMode(storePath(sub)), 0700u) << sub;
  }
  EXPECT_EQ(testing::fileMode(storePath("master.key")), 0600u);
  EXPECT_EQ(testing::readFile(storePath("master.key")).size(), 32u);
}

TEST_F(KeystoreTest, CreatesASigningCertificateWithAnEncryptedKey) {
  auto rec = store_->createSigningCertificate("corp-signing", signingOptions("Corp CA"));
  ASSERT_TRUE(rec.ok()) << rec.message();
  EXPECT_EQ(rec->kind, CertificateKind::kSigning);
  EXPECT_EQ(rec->status, CertificateStatus::kValid);
  EXPECT_TRUE(rec->info.is_ca);
  EXPECT_EQ(rec->info.subject, "CN=Corp CA");

  std::string sealed = testing::readFile(storePath("keys/corp-signing.key"));
  EXPECT_EQ(sealed.substr(0, 4), "VTPK");
  EXPECT_EQ(testing::fileMode(storePath("keys/corp-signing.key")), 0600u);
  std::string meta = testing::readFile(storePath("meta/corp-signing.json"));
  EXPECT_NE(meta.find("\"kind\": \"signing\""), std::string::npos) << meta;
  EXPECT_NE(meta.find("\"exportable\": false"), std::string::npos) << meta;

  auto bundle = store_->loadCertificate("corp-signing");
  ASSERT_TRUE(bundle.ok()) << bundle.message();
  EXPECT_TRUE(keyMatchesCertificate(bundle->key, bundle->leaf));
  EXPECT_TRUE(bundle->chain.empty());
}

TEST_F(KeystoreTest, RefusesBadAndDuplicateNamesLeavingTheStoreUnchanged) {
  ASSERT_TRUE(store_->createSigningCertificate("one", signingOptions("One")).ok());
  auto before = snapshot(storePath(""));
  EXPECT_EQ(store_->createSigningCertificate("one", signingOptions("One")).message(),
            "create signing certificate one: a certificate of that name already exists");
  EXPECT_EQ(store_->createSigningCertificate("../evil", signingOptions("x")).message(),
            "certificate name \"../evil\": use 1 to 128 letters, digits, '.', '_', '-' or spaces, "
            "starting with a letter or digit and not ending with a space");
  EXPECT_FALSE(store_->createSigningCertificate("", signingOptions("x")).ok());
  EXPECT_FALSE(store_->createSigningCertificate("trailing ", signingOptions("x")).ok());
  EXPECT_FALSE(store_->createSigningCertificate(std::string(129, 'a'), signingOptions("x")).ok());
  EXPECT_EQ(store_->createSigningCertificate("Untrusted Server CA", signingOptions("x")).message(),
            "create signing certificate Untrusted Server CA: the name \"Untrusted Server CA\" is "
            "reserved for the appliance's own CA");
  NewSigningOptions bad = signingOptions("x");
  bad.subject.c = "USA";
  EXPECT_EQ(store_->createSigningCertificate("two", bad).message(),
            "create signing certificate two: country \"USA\": must be two letters (an ISO 3166 "
            "code such as US)");
  bad = signingOptions("x");
  bad.days = 0;
  EXPECT_EQ(store_->createSigningCertificate("two", bad).message(),
            "create signing certificate two: validity of 0 days: must be 1 to 36500");
  EXPECT_EQ(snapshot(storePath("")), before);
}

TEST_F(KeystoreTest, ImportOfARequestedCertificatePicksUpThePendingKey) {
  NewRequestOptions ro;
  ro.subject.cn = "www.example.com";
  ro.subject.dns_names = {"www.example.com"};
  ro.key = KeySpec::parse("ec:prime256v1").value();
  ro.exportable = true;
  auto req = store_->createRequest("web", ro);
  ASSERT_TRUE(req.ok()) << req.message();
  EXPECT_EQ(testing::fileMode(storePath("csr/web.key")), 0600u);
  auto pem = store_->requestPem("web");
  ASSERT_TRUE(pem.ok());
  auto parsed = CertificateRequest::parsePem(pem.value(), "web.csr").value();
  ASSERT_EQ(store_->requests()->size(), 1u);

  // The CA signs the request's public key.
  auto pub_der = parsed.publicKeyDer();
  const auto* p = reinterpret_cast<const unsigned char*>(pub_der.data());
  ossl::EvpPkeyPtr pub(d2i_PUBKEY(nullptr, &p, static_cast<long>(pub_der.size())));
  PrivateKey pub_only = shareKey(pub.get());
  Certificate leaf = issue(ca_, ca_key_, pub_only, "www.example.com", false, validFor(-60, 86400),
                           {"www.example.com"});

  auto before = snapshot(storePath(""));
  Certificate stranger = issue(ca_, ca_key_, ecKey(), "other", false, validFor(-60, 86400));
  EXPECT_EQ(store_->importCertificate("web", pemInput(stranger.toPem()), false).message(),
            "import certificate web: cert.pem does not match the key of the pending signing "
            "request (was it issued for another request?)");
  EXPECT_EQ(snapshot(storePath("")), before);

  auto imported = store_->importCertificate("web", pemInput(leaf.toPem()), false);
  ASSERT_TRUE(imported.ok()) << imported.message();
  ASSERT_EQ(imported->size(), 1u);
  EXPECT_EQ(imported->front().kind, CertificateKind::kServer);
  EXPECT_TRUE(imported->front().exportable) << "exportable comes from the request";
  EXPECT_EQ(imported->front().status, CertificateStatus::kNoTrustAnchor);
  EXPECT_FALSE(std::filesystem::exists(storePath("csr/web.csr")));
  EXPECT_FALSE(std::filesystem::exists(storePath("csr/web.key")));
  EXPECT_TRUE(store_->requests()->empty());
  EXPECT_TRUE(store_->loadCertificate("web").ok());
}

TEST_F(KeystoreTest, ImportsPemWithAnEncryptedKeyAndRejectsAWrongPassword) {
  PrivateKey key = ecKey();
  Certificate leaf = issue(ca_, ca_key_, key, "a", false, validFor(-60, 86400));
  auto before = snapshot(storePath(""));
  auto wrong = store_->importCertificate(
      "a", pemInput(leaf.toPem(), key.encryptedPkcs8Pem("right").value(), "wrong"), false);
  EXPECT_EQ(wrong.message(),
            "import certificate a: load private key key.pem: wrong password (or the encrypted key "
            "is corrupt)");
  EXPECT_EQ(store_->importCertificate("a", pemInput(leaf.toPem()), false).message(),
            "import certificate a: no private key: cert.pem holds none, no key file was given, "
            "and there is no pending signing request named a");
  EXPECT_EQ(
      store_->importCertificate("a", pemInput(leaf.toPem(), testing::pkcs8Pem(ecKey())), false)
          .message(),
      "import certificate a: the private key key.pem does not match the certificate in "
      "cert.pem");
  EXPECT_EQ(snapshot(storePath("")), before);
  auto ok = store_->importCertificate(
      "a", pemInput(leaf.toPem(), key.encryptedPkcs8Pem("right").value(), "right"), false);
  ASSERT_TRUE(ok.ok()) << ok.message();
}

TEST_F(KeystoreTest, ImportsDerAndCombinedPem) {
  PrivateKey key = ecKey();
  Certificate leaf = issue(ca_, ca_key_, key, "a", false, validFor(-60, 86400));
  CertificateInput der = pemInput(leaf.toDer(), key.pkcs8Der().value());
  ASSERT_TRUE(store_->importCertificate("der", der, false).ok());
  ASSERT_TRUE(
      store_->importCertificate("combined", pemInput(testing::pkcs8Pem(key) + leaf.toPem()), false)
          .ok());
  EXPECT_EQ(store_->certificates()->size(), 2u);
}

TEST_F(KeystoreTest, ImportsEveryKeyedPkcs12CertificateAsBaseNamePlusAlias) {
  PrivateKey k1 = ecKey();
  PrivateKey k2 = ecKey();
  Certificate c1 = issue(ca_, ca_key_, k1, "one", false, validFor(-60, 86400));
  Certificate c2 = issue(ca_, ca_key_, k2, "two", false, validFor(-60, 86400));
  CertificateInput in;
  in.cert_bytes =
      testing::multiPkcs12({{c1, k1, "-one"}, {c2, k2, "-two"}, {ca_, {}, "root"}}, "pw");
  in.cert_source = "bundle.p12";
  in.password = "pw";
  auto recs = store_->importCertificate("site", in, false);
  ASSERT_TRUE(recs.ok()) << recs.message();
  ASSERT_EQ(recs->size(), 2u);
  EXPECT_EQ((*recs)[0].name, "site-one");
  EXPECT_EQ((*recs)[1].name, "site-two");
  ASSERT_EQ((*recs)[0].chain.size(), 1u) << "the root in the file is kept as chain";
  EXPECT_EQ((*recs)[0].chain[0].subject, "CN=Test Root");
  EXPECT_EQ((*recs)[0].status, CertificateStatus::kNoTrustAnchor)
      << "a root inside the file is not an anchor until it is imported as a CA";

  auto before = snapshot(storePath(""));
  in.password = "bad";
  EXPECT_EQ(store_->importCertificate("other", in, false).message(),
            "import certificate other: parse PKCS#12 bundle.p12: wrong password (MAC "
            "verification failed)");
  in.password = "pw";
  EXPECT_EQ(store_->importCertificate("site", in, false).message(),
            "import certificate site: a certificate named \"site-one\" already exists (use cert "
            "replace to renew it)");
  EXPECT_EQ(snapshot(storePath("")), before);
}

TEST_F(KeystoreTest, StatusFollowsTrustAnchorsAndDates) {
  PrivateKey k = ecKey();
  Certificate leaf = issue(ca_, ca_key_, k, "leaf", false, validFor(-60, 86400));
  Certificate expired = issue(ca_, ca_key_, k, "old", false, validFor(-86400 * 2, -86400));
  Certificate future = issue(ca_, ca_key_, k, "new", false, validFor(86400, 86400 * 2));
  std::string key_pem = testing::pkcs8Pem(k);
  ASSERT_TRUE(store_->importCertificate("leaf", pemInput(leaf.toPem(), key_pem), false).ok());
  ASSERT_TRUE(store_->importCertificate("old", pemInput(expired.toPem(), key_pem), false).ok());
  ASSERT_TRUE(store_->importCertificate("new", pemInput(future.toPem(), key_pem), false).ok());
  EXPECT_EQ(store_->certificate("leaf")->status, CertificateStatus::kNoTrustAnchor);
  EXPECT_EQ(store_->certificate("old")->status, CertificateStatus::kExpired);
  EXPECT_EQ(store_->certificate("new")->status, CertificateStatus::kNotYetValid);

  auto ca = store_->importCa("Test Root", pemInput(ca_.toPem()));
  ASSERT_TRUE(ca.ok()) << ca.message();
  EXPECT_EQ(store_->certificate("leaf")->status, CertificateStatus::kNoTrustAnchor)
      << "status is stored until refreshed";
  ASSERT_TRUE(store_->refreshStatus().ok());
  EXPECT_EQ(store_->certificate("leaf")->status, CertificateStatus::kValid);
  EXPECT_EQ(store_->certificate("old")->status, CertificateStatus::kExpired);
}

TEST_F(KeystoreTest, IntermediatesInTheFileCompleteTheChain) {
  PrivateKey inter_key = ecKey();
  PrivateKey k = ecKey();
  Certificate inter = issue(ca_, ca_key_, inter_key, "Inter", true, validFor(-60, 86400));
  Certificate leaf = issue(inter, inter_key, k, "leaf", false, validFor(-60, 86400));
  ASSERT_TRUE(store_->importCa("root", pemInput(ca_.toPem())).ok());
  auto rec = store_->importCertificate(
      "leaf", pemInput(leaf.toPem() + inter.toPem(), testing::pkcs8Pem(k)), false);
  ASSERT_TRUE(rec.ok()) << rec.message();
  ASSERT_EQ(rec->front().chain.size(), 1u);
  EXPECT_EQ(rec->front().status, CertificateStatus::kValid);
  EXPECT_EQ(store_->loadCertificate("leaf")->chain.size(), 1u);
}

TEST_F(KeystoreTest, ReportsAKeyThatDoesNotMatchItsCertificate) {
  ASSERT_TRUE(store_->createSigningCertificate("a", signingOptions("A")).ok());
  // Seal a foreign key correctly under the name "a", as a damaged store could hold.
  KeySealer sealer = KeySealer::withKey(testing::readFile(storePath("master.key")));
  std::string der = ecKey().pkcs8Der().value();
  testing::writeFile(storePath("keys/a.key"), sealer.seal(der, "key", "a").value());
  auto recs = store_->refreshStatus();
  ASSERT_TRUE(recs.ok()) << recs.message();
  EXPECT_EQ(store_->certificate("a")->status, CertificateStatus::kKeyMismatch);
  EXPECT_EQ(store_->loadCertificate("a").message(),
            "load certificate a: the stored private key does not match it");
}

TEST_F(KeystoreTest, ReplaceKeepsTheOldCertificateAsReplaced) {
  PrivateKey k = ecKey();
  Certificate v1 = issue(ca_, ca_key_, k, "web", false, validFor(-60, 86400));
  ASSERT_TRUE(
      store_->importCertificate("web", pemInput(v1.toPem(), testing::pkcs8Pem(k)), true).ok());
  // Renewal with the same key: no key file needed.
  Certificate v2 = issue(ca_, ca_key_, k, "web", false, validFor(-60, 86400 * 2));
  auto rec = store_->replaceCertificate("web", pemInput(v2.toPem()));
  ASSERT_TRUE(rec.ok()) << rec.message();
  EXPECT_EQ(rec->info.serial, v2.info().serial);
  EXPECT_TRUE(rec->exportable);
  auto old = store_->certificate("web_REPLACED");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->info.serial, v1.info().serial);
  EXPECT_TRUE(store_->loadCertificate("web_REPLACED").ok()) << "old key resealed under new name";

  auto before = snapshot(storePath(""));
  Certificate v3 = issue(ca_, ca_key_, ecKey(), "web", false, validFor(-60, 86400));
  EXPECT_EQ(store_->replaceCertificate("web", pemInput(v3.toPem())).message(),
            "replace certificate web: \"web_REPLACED\" already exists; delete it before replacing "
            "web again");
  ASSERT_TRUE(store_->deleteCertificate("web_REPLACED").ok());
  before = snapshot(storePath(""));
  EXPECT_EQ(store_->replaceCertificate("web", pemInput(v3.toPem())).message(),
            "replace certificate web: cert.pem does not match the current key of web; give the "
            "new certificate's key");
  EXPECT_EQ(store_->replaceCertificate("nope", pemInput(v3.toPem())).message(),
            "replace certificate nope: no certificate of that name");
  EXPECT_EQ(snapshot(storePath("")), before);
}

TEST_F(KeystoreTest, DeletesCertificatesAndPendingRequests) {
  ASSERT_TRUE(store_->createSigningCertificate("a", signingOptions("A")).ok());
  NewRequestOptions ro;
  ro.subject.cn = "b";
  ro.key = KeySpec::parse("ec:prime256v1").value();
  ASSERT_TRUE(store_->createRequest("b", ro).ok());
  ASSERT_TRUE(store_->deleteCertificate("a").ok());
  ASSERT_TRUE(store_->deleteCertificate("b").ok());
  EXPECT_TRUE(snapshot(storePath("certs")).empty());
  EXPECT_TRUE(snapshot(storePath("keys")).empty());
  EXPECT_TRUE(snapshot(storePath("meta")).empty());
  EXPECT_TRUE(snapshot(storePath("csr")).empty());
  EXPECT_EQ(store_->deleteCertificate("a").message(),
            "delete certificate a: no certificate or pending signing request of that name");
}

TEST_F(KeystoreTest, ExportsTheKeyOnlyWhenExportableAndEncrypted) {
  NewSigningOptions o = signingOptions("A");
  ASSERT_TRUE(store_->createSigningCertificate("locked", o).ok());
  o.exportable = true;
  ASSERT_TRUE(store_->createSigningCertificate("open", o).ok());
  ExportOptions with_key{ExportFormat::kPem, true, "pw"};
  EXPECT_EQ(store_->exportCertificate("locked", with_key).message(),
            "export certificate locked: its private key is not exportable (it was created or "
            "imported without --exportable)");
  auto pem = store_->exportCertificate("open", with_key);
  ASSERT_TRUE(pem.ok()) << pem.message();
  EXPECT_NE(pem->find("-----BEGIN ENCRYPTED PRIVATE KEY-----"), std::string::npos);
  auto key = PrivateKey::parse(pem.value(), std::string("pw"), "export");
  ASSERT_TRUE(key.ok()) << key.message();
  EXPECT_TRUE(keyMatchesCertificate(key.value(), store_->loadCertificate("open")->leaf));

  EXPECT_EQ(
      store_->exportCertificate("open", ExportOptions{ExportFormat::kPem, true, ""}).message(),
      "export certificate open: an exported private key must be protected by a non-empty "
      "password");
  EXPECT_EQ(
      store_->exportCertificate("open", ExportOptions{ExportFormat::kDer, true, "pw"}).message(),
      "export certificate open: DER holds the certificate only; export the key as pem or "
      "pkcs12");
  auto p12 = store_->exportCertificate("open", ExportOptions{ExportFormat::kPkcs12, true, "pw"});
  ASSERT_TRUE(p12.ok()) << p12.message();
  auto parsed = parsePkcs12(p12.value(), "pw", "x");
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  EXPECT_EQ(parsed->certificates.front().alias, "open");
  EXPECT_TRUE(parsed->certificates.front().key.has_value());
  auto cert_only = store_->exportCertificate("locked", ExportOptions{});
  ASSERT_TRUE(cert_only.ok());
  EXPECT_EQ(cert_only->find("PRIVATE KEY"), std::string::npos);
}

TEST_F(KeystoreTest, ManagesCaCertificatesUnderTheirNamingRules) {
  auto before = snapshot(storePath(""));
  EXPECT_EQ(store_->importCa("ca", pemInput(ca_.toPem())).message(),
            "CA name \"ca\": the name ca is reserved");
  EXPECT_EQ(store_->importCa("CA", pemInput(ca_.toPem())).message(),
            "CA name \"CA\": the name ca is reserved");
  EXPECT_EQ(store_->importCa("corp.root", pemInput(ca_.toPem())).message(),
            "CA name \"corp.root\": use 1 to 128 letters, digits, hyphens, underscores or spaces, "
            "starting with a letter or digit and not ending with a space");
  EXPECT_EQ(store_->importCa("x", pemInput("junk")).message(),
            "import CA certificate x: parse certificate cert.pem: not a PEM, DER or PKCS#12 "
            "certificate file");
  EXPECT_EQ(snapshot(storePath("")), before);

  auto rec = store_->importCa("Corp Root_1", pemInput(ca_.toPem()));
  ASSERT_TRUE(rec.ok()) << rec.message();
  EXPECT_EQ(rec->status, CertificateStatus::kValid);
  EXPECT_EQ(store_->importCa("Corp Root_1", pemInput(ca_.toPem())).message(),
            "import CA certificate Corp Root_1: a CA certificate of that name already exists");
  ASSERT_EQ(store_->cas()->size(), 1u);
  ASSERT_TRUE(store_->deleteCa("Corp Root_1").ok());
  EXPECT_EQ(store_->deleteCa("Corp Root_1").message(),
            "delete CA certificate Corp Root_1: no CA certificate of that name");
}

TEST_F(KeystoreTest, CaImportFromPkcs12IgnoresKeys) {
  PrivateKey k = ecKey();
  Certificate leaf = issue(ca_, ca_key_, k, "leaf", false, validFor(-60, 86400));
  CertificateInput in;
  in.cert_bytes = buildPkcs12(leaf, {ca_}, &k, "x", "pw").value();
  in.cert_source = "x.p12";
  in.format = CertificateFormat::kPkcs12;
  in.password = "pw";
  auto rec = store_->importCa("bundle", in);
  ASSERT_TRUE(rec.ok()) << rec.message();
  EXPECT_EQ(rec->certificates.size(), 2u);
  EXPECT_EQ(testing::readFile(storePath("cas/bundle.pem")).find("PRIVATE KEY"), std::string::npos);
}

TEST_F(KeystoreTest, DefaultCaPackageIsAnAnchor) {
  testing::writeFile(dir_.file("bundle.crt"), ca_.toPem());
  store_ = openStore(KeyPersistence::kDisk);
  ASSERT_EQ(store_->defaultCaCertificates()->size(), 1u);
  PrivateKey k = ecKey();
  Certificate leaf = issue(ca_, ca_key_, k, "leaf", false, validFor(-60, 86400));
  auto rec = store_->importCertificate("leaf", pemInput(leaf.toPem(), testing::pkcs8Pem(k)), false);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->front().status, CertificateStatus::kValid);
}

TEST_F(KeystoreTest, MemoryPersistenceNeverWritesKeys) {
  auto mem = openStore(KeyPersistence::kMemory);
  PrivateKey k = ecKey();
  Certificate leaf = issue(ca_, ca_key_, k, "leaf", false, validFor(-60, 86400));
  ASSERT_TRUE(
      mem->importCertificate("leaf", pemInput(leaf.toPem(), testing::pkcs8Pem(k)), false).ok());
  EXPECT_FALSE(std::filesystem::exists(storePath("keys/leaf.key")));
  EXPECT_TRUE(mem->loadCertificate("leaf").ok());
  EXPECT_EQ(mem->certificate("leaf")->status, CertificateStatus::kNoTrustAnchor);

  // A restart: the certificate is there, the key is not, until it is supplied again.
  auto restarted = openStore(KeyPersistence::kMemory);
  EXPECT_EQ(restarted->certificate("leaf")->status, CertificateStatus::kKeyMissing);
  EXPECT_EQ(restarted->loadCertificate("leaf").message(),
            "load certificate leaf: its private key is not in memory (persist-private-keys is off; "
            "supply the key to vtpsd again after a restart)");
  EXPECT_EQ(restarted->supplyKey("leaf", ecKey()).message(),
            "supply key for leaf: the key does not match the certificate");
  ASSERT_TRUE(restarted->supplyKey("leaf", k).ok());
  EXPECT_TRUE(restarted->loadCertificate("leaf").ok());
  EXPECT_EQ(store_->supplyKey("leaf", k).message(),
            "supply key for leaf: keys are persisted in this keystore; import the certificate "
            "instead");
}

TEST_F(KeystoreTest, UntrustedServerCaIsCreatedOnceAndKept) {
  auto first = store_->untrustedServerCa();
  ASSERT_TRUE(first.ok()) << first.message();
  CertificateInfo info = first->leaf.info();
  EXPECT_EQ(info.subject, "CN=Untrusted Server CA,O=vtps");
  EXPECT_EQ(info.key.str(), "EC 256 (prime256v1)");
  EXPECT_TRUE(info.is_ca);
  EXPECT_TRUE(keyMatchesCertificate(first->key, first->leaf));
  auto again = openStore(KeyPersistence::kDisk)->untrustedServerCa();
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->leaf == first->leaf);
  EXPECT_EQ(store_->certificate("Untrusted Server CA")->kind, CertificateKind::kSigning);
  EXPECT_FALSE(store_->certificate("Untrusted Server CA")->exportable);

  // Without persisted keys a new process makes a new one (it is untrusted by design).
  auto mem = openStore(KeyPersistence::kMemory);
  auto fresh = mem->untrustedServerCa();
  ASSERT_TRUE(fresh.ok()) << fresh.message();
  EXPECT_FALSE(fresh->leaf == first->leaf);
  EXPECT_TRUE(mem->untrustedServerCa()->leaf == fresh->leaf);
}

}  // namespace
}  // namespace vtps::crypto
