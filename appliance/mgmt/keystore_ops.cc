#include "appliance/mgmt/keystore_ops.h"

#include <openssl/evp.h>

#include <algorithm>

#include "appliance/mgmt/user_store.h"
#include "crypto/ossl.h"

namespace vtps::mgmt {
namespace {

using Json = nlohmann::ordered_json;

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

Json infoJson(const crypto::CertificateInfo& i) {
  return Json{{"subject", i.subject},
              {"issuer", i.issuer},
              {"common_name", i.common_name},
              {"serial", i.serial},
              {"key", i.key.str()},
              {"not_before", crypto::formatUtc(i.not_before)},
              {"not_after", crypto::formatUtc(i.not_after)},
              {"dns_names", i.dns_names},
              {"sha256_fingerprint", i.sha256_fingerprint},
              {"is_ca", i.is_ca},
              {"self_signed", i.self_signed}};
}

Error fail(std::string_view operation, const std::string& name, const std::string& why) {
  return Error{std::string(operation) + " " + name + ": " + why};
}

Result<crypto::CertificateInput> toInput(std::string_view operation, const std::string& name,
                                         const CertificateSource& source) {
  crypto::CertificateInput in;
  if (!source.format.empty()) {
    auto format = crypto::parseCertificateFormat(source.format);
    if (!format.ok()) return fail(operation, name, format.message());
    in.format = *format;
  }
  in.cert_bytes = source.cert_bytes;
  in.cert_source = source.cert_source;
  in.key_bytes = source.key_bytes;
  in.key_source = source.key_source;
  in.password = source.password;
  return in;
}

std::vector<std::string> stringList(const Json& request, const char* field) {
  std::vector<std::string> out;
  if (!request.contains(field)) return out;
  const Json& v = request.at(field);
  if (v.is_string()) out.push_back(v.get<std::string>());
  if (v.is_array()) {
    for (const auto& e : v)
      out.push_back(e.is_string() ? e.get<std::string>() : e.dump());
  }
  return out;
}

}  // namespace

Result<crypto::CertificateRecord> createSigningCertificate(crypto::Keystore& keystore,
                                                           const std::string& name,
                                                           const NewCertificateRequest& request) {
  auto spec = crypto::KeySpec::parse(request.key);
  if (!spec.ok()) return fail("create signing certificate", name, spec.message());
  crypto::NewSigningOptions options{request.subject, *spec, request.days, request.exportable};
  return keystore.createSigningCertificate(name, options);
}

Result<crypto::RequestRecord> createRequest(crypto::Keystore& keystore, const std::string& name,
                                            const NewCertificateRequest& request) {
  auto spec = crypto::KeySpec::parse(request.key);
  if (!spec.ok()) return fail("create signing request", name, spec.message());
  crypto::NewRequestOptions options{request.subject, *spec, request.signing, request.exportable};
  return keystore.createRequest(name, options);
}

Result<std::vector<crypto::CertificateRecord>> importCertificate(crypto::Keystore& keystore,
                                                                 const std::string& name,
                                                                 const CertificateSource& source,
                                                                 bool exportable) {
  auto in = toInput("import certificate", name, source);
  if (!in.ok()) return in.error();
  return keystore.importCertificate(name, *in, exportable);
}

Result<crypto::CertificateRecord> replaceCertificate(crypto::Keystore& keystore,
                                                     const std::string& name,
                                                     const CertificateSource& source) {
  auto in = toInput("replace certificate", name, source);
  if (!in.ok()) return in.error();
  return keystore.replaceCertificate(name, *in);
}

Result<crypto::CaRecord> importCa(crypto::Keystore& keystore, const std::string& name,
                                  const CertificateSource& source) {
  auto in = toInput("import CA certificate", name, source);
  if (!in.ok()) return in.error();
  return keystore.importCa(name, *in);
}

Result<std::string> exportCertificate(const crypto::Keystore& keystore, const std::string& name,
                                      ExportRequest request) {
  auto format = crypto::parseExportFormat(request.format);
  if (!format.ok()) return fail("export certificate", name, format.message());
  crypto::ExportOptions options;
  options.format = *format;
  options.with_key = request.with_key;
  if ((request.with_key || options.format == crypto::ExportFormat::kPkcs12) &&
      (!request.password || request.password->empty())) {
    return fail("export certificate", name,
                std::string("a password (--password-file, or \"password\" in a REST request) is "
                            "required to protect the exported ") +
                    (request.with_key ? "key" : "PKCS#12 file"));
  }
  if (request.password) options.password = *request.password;
  auto bytes = keystore.exportCertificate(name, options);
  ossl::cleanse(options.password);
  if (request.password) ossl::cleanse(*request.password);
  return bytes;
}

Status supplyKey(crypto::Keystore& keystore, const std::string& name, std::string_view key_bytes,
                 std::string_view key_source, const std::optional<std::string>& password) {
  constexpr std::string_view kOperation = "supply key for";
  if (keystore.options().persistence != crypto::KeyPersistence::kMemory) {
    return fail(kOperation, name,
                "keys are persisted in this keystore (persist-private-keys is on); import the "
                "certificate with its key instead");
  }
  if (Status valid = crypto::validateCertificateName(name); !valid.ok())
    return fail(kOperation, name, valid.message());
  if (!keystore.certificate(name).ok()) {
    return fail(kOperation, name,
                "no certificate of that name in the keystore " + keystore.options().dir +
                    " (vtpsctl cert list shows what is there)");
  }
  auto key = crypto::PrivateKey::parse(key_bytes, password, key_source);
  if (!key.ok()) return fail(kOperation, name, key.message());
  return keystore.supplyKey(name, *key);
}

std::string encodeBase64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(std::max(n, 0)));
  return out;
}

std::optional<std::string> decodeBase64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  if (text.empty()) return std::string();
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  std::size_t padding = (text.back() == '=') + (text[text.size() - 2] == '=');
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

Result<std::optional<std::string>> bytesField(const Json& request, const std::string& field) {
  if (request.contains(field) && request.at(field).is_string())
    return std::optional<std::string>(request.at(field).get<std::string>());
  const std::string encoded = field + "_base64";
  if (!request.contains(encoded)) return std::optional<std::string>();
  const Json& v = request.at(encoded);
  auto bytes = v.is_string() ? decodeBase64(v.get<std::string>()) : std::nullopt;
  if (!bytes) return makeError("\"" + encoded + "\" is not base64");
  return std::optional<std::string>(std::move(*bytes));
}

Result<CertificateSource> certificateSourceFromJson(const Json& request) {
  CertificateSource source;
  auto cert = bytesField(request, "cert");
  if (!cert.ok()) return cert.error();
  if (!*cert) return makeError("the request needs \"cert\" (PEM text) or \"cert_base64\"");
  source.cert_bytes = std::move(**cert);
  source.cert_source = "request cert";
  auto key = bytesField(request, "key");
  if (!key.ok()) return key.error();
  if (*key) {
    source.key_bytes = std::move(**key);
    source.key_source = "request key";
  }
  if (request.contains("password") && request.at("password").is_string())
    source.password = request.at("password").get<std::string>();
  source.format = request.value("format", std::string());
  return source;
}

NewCertificateRequest newCertificateRequestFromJson(const Json& request) {
  NewCertificateRequest r;
  r.subject.cn = request.value("cn", std::string());
  r.subject.email = request.value("email", std::string());
  r.subject.ous = stringList(request, "ou");
  r.subject.o = request.value("o", std::string());
  r.subject.l = request.value("l", std::string());
  r.subject.st = request.value("st", std::string());
  r.subject.c = request.value("c", std::string());
  r.subject.dns_names = stringList(request, "dns");
  r.subject.user_emails = stringList(request, "user");
  r.key = request.value("key", std::string("rsa:2048"));
  r.days = request.value("days", 3650);
  r.signing = request.value("signing", false);
  r.exportable = request.value("exportable", false);
  return r;
}

Status deleteCertificateChecked(crypto::Keystore& keystore, const config::Config& config,
                                std::string_view config_label, const std::string& name) {
  if (contains(config.referencedCertificates(), name)) {
    return Error{"delete certificate " + name + ": the configuration " + std::string(config_label) +
                 " references it; remove the reference first"};
  }
  return keystore.deleteCertificate(name);
}

Status deleteCaChecked(crypto::Keystore& keystore, const config::Config& config,
                       std::string_view config_label, const std::string& name) {
  if (contains(config.referencedCas(), name)) {
    return Error{"delete CA certificate " + name + ": the configuration " +
                 std::string(config_label) +
                 " references it in a trust store; remove the reference first"};
  }
  return keystore.deleteCa(name);
}

std::string keystoreDigest(const crypto::Keystore& keystore) {
  Json listing = Json::array();
  if (auto certs = keystore.certificates(); certs.ok()) {
    // The status too: a supplied key turns Key Missing into the stored status.
    for (const auto& c : *certs) {
      listing.push_back(c.name + " " + c.info.sha256_fingerprint + " " +
                        std::string(crypto::toString(c.status)));
    }
  }
  if (auto cas = keystore.cas(); cas.ok()) {
    for (const auto& c : *cas)
      listing.push_back("ca " + c.name);
  }
  return sha256Hex(listing.dump());
}

Json certificateJson(const crypto::CertificateRecord& r) {
  Json j{{"name", r.name},
         {"kind", std::string(crypto::toString(r.kind))},
         {"exportable", r.exportable},
         {"created", crypto::formatUtc(r.created)},
         {"status", std::string(crypto::toString(r.status))}};
  j["certificate"] = infoJson(r.info);
  j["chain"] = Json::array();
  for (const auto& c : r.chain)
    j["chain"].push_back(infoJson(c));
  return j;
}

Json caJson(const crypto::CaRecord& r) {
  Json j{{"name", r.name}, {"status", std::string(crypto::toString(r.status))}};
  j["certificates"] = Json::array();
  for (const auto& c : r.certificates)
    j["certificates"].push_back(infoJson(c));
  return j;
}

Json requestJson(const crypto::RequestRecord& r) {
  return Json{{"name", r.name},
              {"kind", "pending-csr"},
              {"signing", r.signing},
              {"exportable", r.exportable},
              {"created", crypto::formatUtc(r.created)},
              {"subject", r.subject},
              {"key", r.key.str()},
              {"dns_names", r.dns_names}};
}

}  // namespace vtps::mgmt
