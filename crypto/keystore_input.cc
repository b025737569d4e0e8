// Decoding what operators import (keystore_internal.h: resolveInput, allCertificates).
#include <fmt/format.h>

#include "crypto/keystore_internal.h"
#include "crypto/ossl_interop.h"
#include "crypto/pkcs12.h"

namespace vtps::crypto::keystore_detail {
namespace {

bool looksLikePem(std::string_view bytes) {
  return bytes.find("-----BEGIN ") != std::string_view::npos;
}

CertificateFormat detectFormat(const CertificateInput& input) {
  if (input.format != CertificateFormat::kAuto) return input.format;
  if (looksLikePem(input.cert_bytes)) return CertificateFormat::kPem;
  if (Certificate::parseDer(input.cert_bytes, input.cert_source).ok()) {
    return CertificateFormat::kDer;
  }
  return CertificateFormat::kPkcs12;
}

Result<std::vector<Certificate>> parseCertificates(const CertificateInput& input,
                                                   CertificateFormat format) {
  if (format == CertificateFormat::kPem && !looksLikePem(input.cert_bytes)) {
    return Error{
        fmt::format("parse certificate {}: not PEM (no -----BEGIN line)", input.cert_source)};
  }
  if (format == CertificateFormat::kDer) {
    auto one = Certificate::parseDer(input.cert_bytes, input.cert_source);
    if (!one.ok()) return one.error();
    return std::vector<Certificate>{std::move(one.value())};
  }
  return Certificate::parseAll(input.cert_bytes, input.cert_source);
}

Result<Pkcs12Contents> parsePkcs12Input(const CertificateInput& input, bool auto_detected) {
  auto contents = parsePkcs12(input.cert_bytes, input.password.value_or(""), input.cert_source);
  if (!contents.ok() && auto_detected && contents.message().ends_with("not a PKCS#12 (DER) file")) {
    return Error{fmt::format("parse certificate {}: not a PEM, DER or PKCS#12 certificate file",
                             input.cert_source)};
  }
  return contents;
}

// The key of a PEM/DER import: the key file, else a PRIVATE KEY block inside the certificate file.
Result<std::optional<PrivateKey>> keyFor(const CertificateInput& input, CertificateFormat format) {
  if (input.key_bytes) {
    auto key = PrivateKey::parse(*input.key_bytes, input.password, input.key_source);
    if (!key.ok()) return key.error();
    return std::optional<PrivateKey>(std::move(key.value()));
  }
  if (format == CertificateFormat::kPem &&
      input.cert_bytes.find("PRIVATE KEY-----") != std::string::npos) {
    auto key = PrivateKey::parse(input.cert_bytes, input.password, input.cert_source);
    if (!key.ok()) return key.error();
    return std::optional<PrivateKey>(std::move(key.value()));
  }
  return std::optional<PrivateKey>();
}

Result<std::vector<Resolved>> resolvePkcs12(const CertificateInput& input, bool keyed_only,
                                            bool auto_detected) {
  if (input.key_bytes) {
    return Error{fmt::format("{}: a PKCS#12 file carries its own key; do not give a key file",
                             input.cert_source)};
  }
  auto contents = parsePkcs12Input(input, auto_detected);
  if (!contents.ok()) return contents.error();
  std::vector<Resolved> out;
  for (const auto& item : contents->certificates) {
    if (keyed_only && !item.key) continue;
    out.push_back(
        Resolved{item.certificate, contents->chainFor(item.certificate), item.key, item.alias});
  }
  if (out.empty()) {
    return Error{fmt::format(
        "{}: the PKCS#12 file holds no private key (import CA certificates with ca import)",
        input.cert_source)};
  }
  return out;
}

}  // namespace

Result<std::vector<Resolved>> resolveInput(const CertificateInput& input, bool keyed_only,
                                           std::string_view operation) {
  auto fail = [&](const Error& e) { return Error{fmt::format("{}: {}", operation, e.message)}; };
  CertificateFormat format = detectFormat(input);
  if (format == CertificateFormat::kPkcs12) {
    auto resolved = resolvePkcs12(input, keyed_only, input.format == CertificateFormat::kAuto);
    if (!resolved.ok()) return fail(resolved.error());
    return resolved;
  }
  auto certs = parseCertificates(input, format);
  if (!certs.ok()) return fail(certs.error());
  auto key = keyFor(input, format);
  if (!key.ok()) return fail(key.error());
  const Certificate* leaf = &certs->front();
  if (key->has_value()) {
    leaf = nullptr;
    for (const auto& c : certs.value()) {
      if (keyMatchesCertificate(**key, c)) {
        leaf = &c;
        break;
      }
    }
    if (leaf == nullptr) {
      return fail(Error{fmt::format("the private key {} does not match {} in {}",
                                    input.key_bytes ? input.key_source : input.cert_source,
                                    certs->size() == 1 ? "the certificate" : "any certificate",
                                    input.cert_source)});
    }
  }
  Resolved r{*leaf, buildChain(*leaf, certs.value()), std::move(key.value()), {}};
  return std::vector<Resolved>{std::move(r)};
}

Result<std::vector<Certificate>> allCertificates(const CertificateInput& input,
                                                 std::string_view operation) {
  CertificateFormat format = detectFormat(input);
  if (format != CertificateFormat::kPkcs12) {
    auto certs = parseCertificates(input, format);
    if (!certs.ok()) return Error{fmt::format("{}: {}", operation, certs.message())};
    return certs;
  }
  auto contents = parsePkcs12Input(input, input.format == CertificateFormat::kAuto);
  if (!contents.ok()) return Error{fmt::format("{}: {}", operation, contents.message())};
  std::vector<Certificate> out;
  for (const auto& item : contents->certificates)
    out.push_back(item.certificate);
  return out;
}

}  // namespace vtps::crypto::keystore_detail
