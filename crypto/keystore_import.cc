// Keystore operations that create, import, replace, delete and export certificates.
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <set>

#include "crypto/csr.h"
#include "crypto/file_util.h"
#include "crypto/key_sealer.h"
#include "crypto/keystore.h"
#include "crypto/keystore_internal.h"
#include "crypto/ossl.h"
#include "crypto/pkcs12.h"
#include "crypto/store_transaction.h"

namespace vtps::crypto {

using namespace keystore_detail;  // NOLINT(google-build-using-namespace)

namespace {

constexpr int kMaxValidityDays = 36500;

Error prefixed(std::string_view operation, const std::string& name, const Error& e) {
  return Error{fmt::format("{} {}: {}", operation, name, e.message)};
}

Status checkReserved(const std::string& name) {
  if (name == kUntrustedServerCaName) {
    return Error{fmt::format("the name \"{}\" is reserved for the appliance's own CA", name)};
  }
  return {};
}

CertificateKind kindOf(const Certificate& cert) {
  return cert.isCa() ? CertificateKind::kSigning : CertificateKind::kServer;
}

}  // namespace

// ---- staging helpers ----

Status Keystore::stageCertificate(StoreTransaction& tx, const std::string& name,
                                  const Certificate& leaf, const std::vector<Certificate>& chain,
                                  const std::optional<PrivateKey>& key, const Stored& stored,
                                  KeyMap& memory_keys) const {
  tx.put(certFile(name), chainPem(leaf, chain), kPublicFileMode);
  Meta meta{std::string(toString(stored.kind)), stored.exportable, false, stored.created,
            std::string(toString(stored.status))};
  tx.put(metaFile(name), metaToJson(name, meta), kPublicFileMode);
  if (!key) {
    tx.remove(keyFile(name));
    memory_keys.erase(name);
    return {};
  }
  if (options_.persistence == KeyPersistence::kMemory) {
    memory_keys.insert_or_assign(name, *key);
    return {};
  }
  auto der = key->pkcs8Der();
  if (!der.ok()) return der.error();
  auto sealed = sealer_->seal(der.value(), kKeyPurpose, name);
  ossl::cleanse(der.value());
  if (!sealed.ok()) return sealed.error();
  tx.put(keyFile(name), std::move(sealed.value()), kSecretFileMode);
  return {};
}

std::pair<Keystore::KeyMap, Keystore::KeyMap> Keystore::memoryKeyMaps() const {
  std::lock_guard<std::mutex> guard(mu_);
  return {memory_keys_, memory_pending_keys_};
}

Status Keystore::commit(StoreTransaction& tx, KeyMap memory_keys, KeyMap pending_keys) {
  VTPS_RETURN_IF_ERROR(tx.commit());
  std::lock_guard<std::mutex> guard(mu_);
  memory_keys_ = std::move(memory_keys);
  memory_pending_keys_ = std::move(pending_keys);
  return {};
}

// ---- new signing certificate and signing requests ----

Result<CertificateRecord> Keystore::createSigningCertificate(const std::string& name,
                                                             const NewSigningOptions& options) {
  constexpr std::string_view kOp = "create signing certificate";
  auto fail = [&](const Error& e) { return prefixed(kOp, name, e); };
  if (Status st = validateCertificateName(name); !st.ok()) return st.error();
  if (Status st = checkReserved(name); !st.ok()) return fail(st.error());
  if (options.days < 1 || options.days > kMaxValidityDays) {
    return fail(
        Error{fmt::format("validity of {} days: must be 1 to {}", options.days, kMaxValidityDays)});
  }
  if (Status st = options.subject.validate(); !st.ok()) return fail(st.error());
  auto lock = StoreLock::acquire(options_.dir);
  if (!lock.ok()) return fail(lock.error());
  if (hasCertificate(name)) return fail(Error{"a certificate of that name already exists"});
  if (hasRequest(name)) return fail(Error{"a pending signing request of that name exists"});
  auto key = PrivateKey::generate(options.key);
  if (!key.ok()) return fail(key.error());
  auto cert = createSelfSignedCa(options.subject, key.value(), Validity::days(options.days));
  if (!cert.ok()) return fail(cert.error());
  StoreTransaction tx(options_.dir);
  auto [keys, pending] = memoryKeyMaps();
  Stored stored{CertificateKind::kSigning, options.exportable, now(), CertificateStatus::kValid};
  if (Status st = stageCertificate(tx, name, cert.value(), {}, key.value(), stored, keys);
      !st.ok()) {
    return fail(st.error());
  }
  if (Status st = commit(tx, std::move(keys), std::move(pending)); !st.ok())
    return fail(st.error());
  return readRecord(name);
}

Result<RequestRecord> Keystore::createRequest(const std::string& name,
                                              const NewRequestOptions& options) {
  constexpr std::string_view kOp = "create signing request";
  auto fail = [&](const Error& e) { return prefixed(kOp, name, e); };
  if (Status st = validateCertificateName(name); !st.ok()) return st.error();
  if (Status st = checkReserved(name); !st.ok()) return fail(st.error());
  if (Status st = options.subject.validate(); !st.ok()) return fail(st.error());
  auto lock = StoreLock::acquire(options_.dir);
  if (!lock.ok()) return fail(lock.error());
  if (hasCertificate(name)) return fail(Error{"a certificate of that name already exists"});
  if (hasRequest(name)) return fail(Error{"a pending signing request of that name exists"});
  auto key = PrivateKey::generate(options.key);
  if (!key.ok()) return fail(key.error());
  auto req = CertificateRequest::create(options.subject, key.value(), options.signing);
  if (!req.ok()) return fail(req.error());

  StoreTransaction tx(options_.dir);
  auto [keys, pending] = memoryKeyMaps();
  tx.put(csrFile(name), req->toPem(), kPublicFileMode);
  Meta meta{std::string(kPendingKind), options.exportable, options.signing, now(),
            std::string(kPendingStatus)};
  tx.put(metaFile(name), metaToJson(name, meta), kPublicFileMode);
  if (options_.persistence == KeyPersistence::kMemory) {
    pending.insert_or_assign(name, key.value());
  } else {
    auto der = key->pkcs8Der();
    if (!der.ok()) return fail(der.error());
    auto sealed = sealer_->seal(der.value(), kPendingPurpose, name);
    ossl::cleanse(der.value());
    if (!sealed.ok()) return fail(sealed.error());
    tx.put(pendingKeyFile(name), std::move(sealed.value()), kSecretFileMode);
  }
  if (Status st = commit(tx, std::move(keys), std::move(pending)); !st.ok())
    return fail(st.error());
  RequestRecord rec{name,           options.signing, options.exportable, meta.created,
                    req->subject(), key->describe(), req->dnsNames()};
  return rec;
}

Result<std::string> Keystore::requestPem(const std::string& name) const {
  if (!hasRequest(name)) {
    return Error{
        fmt::format("export signing request {}: no pending signing request of that name", name)};
  }
  auto pem = readFile(path(csrFile(name)));
  if (!pem.ok()) return prefixed("export signing request", name, pem.error());
  return pem;
}

// ---- import ----

Status Keystore::adoptPendingKey(const std::string& name, const Certificate& leaf,
                                 const std::string& cert_source, std::optional<PrivateKey>& key,
                                 bool& exportable) const {
  auto pending_key = readKey(kPendingPurpose, name);
  if (!pending_key.ok()) return pending_key.error();
  if (!pending_key->has_value()) {
    return Error{"the pending signing request's private key is not in this process"};
  }
  if (key && !keyMatchesCertificate(**pending_key, leaf)) {
    return Error{"a pending signing request of that name exists and the given key is not its key"};
  }
  if (!keyMatchesCertificate(**pending_key, leaf)) {
    return Error{fmt::format(
        "{} does not match the key of the pending signing request (was it issued for another "
        "request?)",
        cert_source)};
  }
  key = std::move(**pending_key);
  // The request's --exportable carries over to its certificate.
  if (auto bytes = readFile(path(metaFile(name))); bytes.ok()) {
    if (auto meta = metaFromJson(bytes.value(), metaFile(name)); meta.ok()) {
      exportable = exportable || meta->exportable;
    }
  }
  return {};
}

namespace {

// The names an import creates: the base name, plus each PKCS#12 entry's alias.
Result<std::vector<std::string>> importNames(const std::string& base,
                                             const std::vector<Resolved>& resolved,
                                             const std::string& source,
                                             const std::function<bool(const std::string&)>& taken) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const auto& r : resolved) {
    std::string full = base + r.alias;
    VTPS_RETURN_IF_ERROR(validateCertificateName(full));
    VTPS_RETURN_IF_ERROR(checkReserved(full));
    if (!seen.insert(full).second) {
      return Error{fmt::format("two certificates of {} would both be named \"{}\"", source, full)};
    }
    if (taken(full)) {
      return Error{fmt::format(
          "a certificate named \"{}\" already exists (use cert replace to renew it)", full)};
    }
    names.push_back(std::move(full));
  }
  return names;
}

}  // namespace

Result<std::vector<CertificateRecord>> Keystore::importCertificate(const std::string& name,
                                                                   const CertificateInput& input,
                                                                   bool exportable) {
  constexpr std::string_view kOp = "import certificate";
  auto fail = [&](const Error& e) { return prefixed(kOp, name, e); };
  if (Status st = validateCertificateName(name); !st.ok()) return st.error();
  if (Status st = checkReserved(name); !st.ok()) return fail(st.error());
  auto lock = StoreLock::acquire(options_.dir);
  if (!lock.ok()) return fail(lock.error());
  auto resolved = resolveInput(input, /*keyed_only=*/true, fmt::format("{} {}", kOp, name));
  if (!resolved.ok()) return resolved.error();
  auto names = importNames(name, resolved.value(), input.cert_source,
                           [this](const std::string& n) { return hasCertificate(n); });
  if (!names.ok()) return fail(names.error());

  // A PEM/DER certificate issued for a pending request takes the request's key.
  Resolved& first = resolved->front();
  bool consumes_request = resolved->size() == 1 && hasRequest(names->front());
  if (consumes_request) {
    Status st =
        adoptPendingKey(names->front(), first.leaf, input.cert_source, first.key, exportable);
    if (!st.ok()) return fail(st.error());
  } else if (!first.key) {
    return fail(Error{fmt::format(
        "no private key: {} holds none, no key file was given, and there is no pending signing "
        "request named {}",
        input.cert_source, name)});
  }

  auto trust = anchors();
  if (!trust.ok()) return fail(trust.error());
  StoreTransaction tx(options_.dir);
  auto [keys, pending] = memoryKeyMaps();
  for (size_t i = 0; i < names->size(); ++i) {
    const Resolved& r = resolved.value()[i];
    if (Status st = checkKeyType(*r.key, "private key"); !st.ok()) return fail(st.error());
    Stored stored{kindOf(r.leaf), exportable, now(),
                  trust->statusOf(r.leaf, r.chain, &*r.key, now())};
    Status st = stageCertificate(tx, (*names)[i], r.leaf, r.chain, r.key, stored, keys);
    if (!st.ok()) return fail(st.error());
  }
  if (consumes_request) {
    tx.remove(csrFile(names->front()));
    tx.remove(pendingKeyFile(names->front()));
    pending.erase(names->front());
  }
  if (Status st = commit(tx, std::move(keys), std::move(pending)); !st.ok())
    return fail(st.error());
  std::vector<CertificateRecord> out;
  for (const auto& n : names.value()) {
    auto rec = readRecord(n);
    if (!rec.ok()) return rec.error();
    out.push_back(std::move(rec.value()));
  }
  return out;
}

// ---- replace ----

Result<CertificateRecord> Keystore::replaceCertificate(const std::string& name,
                                                       const CertificateInput& input) {
  if (Status st = validateCertificateName(name); !st.ok()) return st.error();
  auto lock = StoreLock::acquire(options_.dir);
  if (!lock.ok()) return prefixed("replace certificate", name, lock.error());
  return replaceLocked(name, input);
}

Result<CertificateRecord> Keystore::replaceLocked(const std::string& name,
                                                  const CertificateInput& input) {
  constexpr std::string_view kOp = "replace certificate";
  auto fail = [&](const Error& e) { return prefixed(kOp, name, e); };
  if (name == kUntrustedServerCaName) {
    return fail(Error{"the appliance manages this CA; delete it to have a new one created"});
  }
  if (!hasCertificate(name)) return fail(Error{"no certificate of that name"});
  std::string replaced = name + std::string(kReplacedSuffix);
  if (Status st = validateCertificateName(replaced); !st.ok()) return fail(st.error());
  if (hasCertificate(replaced) || hasRequest(replaced)) {
    return fail(Error{
        fmt::format("\"{}\" already exists; delete it before replacing {} again", replaced, name)});
  }
  auto resolved = resolveInput(input, /*keyed_only=*/true, fmt::format("{} {}", kOp, name));
  if (!resolved.ok()) return resolved.error();
  if (resolved->size() != 1) {
    return fail(Error{fmt::format("{} holds {} certificates with keys; a replacement is one",
                                  input.cert_source, resolved->size())});
  }
  Resolved& fresh = resolved->front();

  auto old_certs = readChainFile(certFile(name));
  if (!old_certs.ok()) return fail(old_certs.error());
  auto old_meta_bytes = readFile(path(metaFile(name)));
  if (!old_meta_bytes.ok()) return fail(old_meta_bytes.error());
  auto old_meta = metaFromJson(old_meta_bytes.value(), path(metaFile(name)));
  if (!old_meta.ok()) return fail(old_meta.error());
  auto old_key = readKey(kKeyPurpose, name);
  if (!old_key.ok()) return fail(old_key.error());
  if (!fresh.key) {
    if (!old_key->has_value() || !keyMatchesCertificate(**old_key, fresh.leaf)) {
      return fail(Error{
          fmt::format("{} does not match the current key of {}; give the new certificate's key",
                      input.cert_source, name)});
    }
    fresh.key = **old_key;
  }
  if (Status st = checkKeyType(*fresh.key, "private key"); !st.ok()) return fail(st.error());

  auto trust = anchors();
  if (!trust.ok()) return fail(trust.error());
  StoreTransaction tx(options_.dir);
  auto [keys, pending] = memoryKeyMaps();
  std::vector<Certificate> old_chain(old_certs->begin() + 1, old_certs->end());
  Stored old_stored{
      old_meta->kind == "signing" ? CertificateKind::kSigning : CertificateKind::kServer,
      old_meta->exportable, old_meta->created,
      parseCertificateStatus(old_meta->status).value_or(CertificateStatus::kValid)};
  VTPS_RETURN_IF_ERROR(
      stageCertificate(tx, replaced, old_certs->front(), old_chain, *old_key, old_stored, keys));
  Stored stored{kindOf(fresh.leaf), old_meta->exportable, now(),
                trust->statusOf(fresh.leaf, fresh.chain, &*fresh.key, now())};
  VTPS_RETURN_IF_ERROR(
      stageCertificate(tx, name, fresh.leaf, fresh.chain, fresh.key, stored, keys));
  if (Status st = commit(tx, std::move(keys), std::move(pending)); !st.ok())
    return fail(st.error());
  return readRecord(name);
}

// ---- delete and export ----

Status Keystore::deleteCertificate(const std::string& name) {
  auto lock = StoreLock::acquire(options_.dir);
  if (!lock.ok()) return prefixed("delete certificate", name, lock.error());
  StoreTransaction tx(options_.dir);
  auto [keys, pending] = memoryKeyMaps();
  if (hasCertificate(name)) {
    tx.remove(certFile(name));
    tx.remove(keyFile(name));
    tx.remove(metaFile(name));
    keys.erase(name);
  } else if (hasRequest(name)) {
    tx.remove(csrFile(name));
    tx.remove(pendingKeyFile(name));
    tx.remove(metaFile(name));
    pending.erase(name);
  } else {
    return Error{fmt::format(
        "delete certificate {}: no certificate or pending signing request of that name", name)};
  }
  if (Status st = commit(tx, std::move(keys), std::move(pending)); !st.ok()) {
    return prefixed("delete certificate", name, st.error());
  }
  return {};
}

Result<std::string> Keystore::exportCertificate(const std::string& name,
                                                const ExportOptions& options) const {
  constexpr std::string_view kOp = "export certificate";
  auto fail = [&](const Error& e) { return prefixed(kOp, name, e); };
  auto rec = readRecord(name);
  if (!rec.ok()) return fail(rec.error());
  auto certs = readChainFile(certFile(name));
  if (!certs.ok()) return fail(certs.error());
  std::vector<Certificate> chain(certs->begin() + 1, certs->end());
  std::optional<PrivateKey> key;
  if (options.with_key) {
    if (!rec->exportable) {
      return fail(
          Error{"its private key is not exportable (it was created or imported without "
                "--exportable)"});
    }
    if (options.format == ExportFormat::kDer) {
      return fail(Error{"DER holds the certificate only; export the key as pem or pkcs12"});
    }
    if (options.password.empty()) {
      return fail(Error{"an exported private key must be protected by a non-empty password"});
    }
    auto stored = readKey(kKeyPurpose, name);
    if (!stored.ok()) return fail(stored.error());
    if (!stored->has_value()) return fail(Error{"its private key is not available"});
    key = std::move(stored.value());
  }
  switch (options.format) {
    case ExportFormat::kDer:
      return certs->front().toDer();
    case ExportFormat::kPkcs12: {
      if (options.password.empty()) {
        return fail(Error{"a PKCS#12 export needs a non-empty password"});
      }
      auto p12 = buildPkcs12(certs->front(), chain, key ? &*key : nullptr, name, options.password);
      if (!p12.ok()) return fail(p12.error());
      return p12;
    }
    case ExportFormat::kPem:
      break;
  }
  std::string out = chainPem(certs->front(), chain);
  if (key) {
    auto pem = key->encryptedPkcs8Pem(options.password);
    if (!pem.ok()) return fail(pem.error());
    out += pem.value();
  }
  return out;
}

}  // namespace vtps::crypto
