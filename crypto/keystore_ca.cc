// Keystore operations on CA certificates, and the appliance's own Untrusted Server CA.
#include <fmt/format.h>

#include "crypto/keystore.h"
#include "crypto/keystore_internal.h"
#include "crypto/store_transaction.h"

namespace vtps::crypto {

using namespace keystore_detail;  // NOLINT(google-build-using-namespace)

namespace {

constexpr int kUntrustedCaDays = 3650;
// Renew the Untrusted Server CA this long before it expires, so minted leaves never outlive it.
constexpr int64_t kUntrustedCaRenewSeconds = 30LL * 86400;

}  // namespace

Result<CaRecord> Keystore::importCa(const std::string& name, const CertificateInput& input) {
  if (Status st = validateCaName(name); !st.ok()) return st.error();
  auto fail = [&](const Error& e) {
    return Error{fmt::format("import CA certificate {}: {}", name, e.message)};
  };
  auto lock = StoreLock::acquire(options_.dir);
  if (!lock.ok()) return fail(lock.error());
  if (hasCa(name)) return fail(Error{"a CA certificate of that name already exists"});
  if (input.key_bytes) return fail(Error{"CA certificates are imported without a private key"});
  auto certs = allCertificates(input, fmt::format("import CA certificate {}", name));
  if (!certs.ok()) return certs.error();
  std::string pem;
  for (const auto& c : certs.value())
    pem += c.toPem();
  StoreTransaction tx(options_.dir);
  tx.put(caFile(name), std::move(pem), kPublicFileMode);
  if (Status st = tx.commit(); !st.ok()) return fail(st.error());
  auto all = cas();
  if (!all.ok()) return all.error();
  for (auto& rec : all.value()) {
    if (rec.name == name) return std::move(rec);
  }
  return fail(Error{"the imported CA certificate could not be read back"});
}

Status Keystore::deleteCa(const std::string& name) {
  auto lock = StoreLock::acquire(options_.dir);
  if (!lock.ok()) return Error{fmt::format("delete CA certificate {}: {}", name, lock.message())};
  if (!hasCa(name)) {
    return Error{fmt::format("delete CA certificate {}: no CA certificate of that name", name)};
  }
  StoreTransaction tx(options_.dir);
  tx.remove(caFile(name));
  if (Status st = tx.commit(); !st.ok()) {
    return Error{fmt::format("delete CA certificate {}: {}", name, st.message())};
  }
  return {};
}

Result<std::vector<Certificate>> Keystore::caCertificates(const std::string& name) const {
  if (!hasCa(name)) return Error{fmt::format("no CA certificate named {}", name)};
  return readChainFile(caFile(name));
}

Result<std::vector<CaRecord>> Keystore::cas() const {
  auto trust = anchors();
  if (!trust.ok()) return trust.error();
  std::vector<CaRecord> out;
  for (const auto& name : namesIn("cas", ".pem")) {
    auto certs = readChainFile(caFile(name));
    if (!certs.ok()) return certs.error();
    CaRecord rec;
    rec.name = name;
    for (const auto& c : certs.value())
      rec.certificates.push_back(c.info());
    std::vector<Certificate> rest(certs->begin() + 1, certs->end());
    rec.status = trust->statusOf(certs->front(), rest, nullptr, now());
    out.push_back(std::move(rec));
  }
  return out;
}

Result<CertificateBundle> Keystore::untrustedServerCa() {
  const std::string name(kUntrustedServerCaName);
  auto fail = [&](const Error& e) {
    return Error{fmt::format("Untrusted Server CA: {}", e.message)};
  };
  auto lock = StoreLock::acquire(options_.dir);
  if (!lock.ok()) return fail(lock.error());
  if (hasCertificate(name)) {
    auto certs = readChainFile(certFile(name));
    auto key = readKey(kKeyPurpose, name);
    if (certs.ok() && key.ok() && key->has_value() &&
        keyMatchesCertificate(**key, certs->front()) &&
        certs->front().notAfter() > now() + kUntrustedCaRenewSeconds) {
      return CertificateBundle{certs->front(), {}, std::move(**key)};
    }
    // Otherwise (expiring, key gone after a restart with persist-private-keys off, or damaged
    // files) a new one replaces it: it is untrusted by design, so nothing depends on its identity.
  }
  auto key = PrivateKey::generate(KeySpec{KeyAlgorithm::kEc, 0, "prime256v1"});
  if (!key.ok()) return fail(key.error());
  SubjectFields subject;
  subject.cn = name;
  subject.o = "vtps";
  auto cert = createSelfSignedCa(subject, key.value(), Validity::days(kUntrustedCaDays));
  if (!cert.ok()) return fail(cert.error());
  StoreTransaction tx(options_.dir);
  auto [keys, pending] = memoryKeyMaps();
  Stored stored{CertificateKind::kSigning, false, now(), CertificateStatus::kValid};
  if (Status st = stageCertificate(tx, name, cert.value(), {}, key.value(), stored, keys);
      !st.ok()) {
    return fail(st.error());
  }
  if (Status st = commit(tx, std::move(keys), std::move(pending)); !st.ok())
    return fail(st.error());
  return CertificateBundle{cert.value(), {}, key.value()};
}

}  // namespace vtps::crypto
