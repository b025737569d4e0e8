// Keystore operations shared by vtpsctl (offline) and vtpsd (control methods behind the REST
// API), so that both refuse the same input with the same words: every error starts with the
// operation and the name ("import certificate web1: …"), whichever door the request came in by.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/config/config.h"
#include "crypto/keystore.h"
#include "crypto/result.h"

namespace vtps::mgmt {

// Refuse to delete what `config` (read from `config_label`) still references, then delete.
Status deleteCertificateChecked(crypto::Keystore& keystore, const config::Config& config,
                                std::string_view config_label, const std::string& name);
Status deleteCaChecked(crypto::Keystore& keystore, const config::Config& config,
                       std::string_view config_label, const std::string& name);

// A certificate (and maybe its key) as the CLI reads it from files or a request carries it.
struct CertificateSource {
  std::string cert_bytes;
  std::string cert_source;  // file name (CLI) or "request" (REST), for messages
  std::optional<std::string> key_bytes;
  std::string key_source;
  std::optional<std::string> password;  // encrypted key or PKCS#12
  std::string format;                   // "", "pem", "der" or "pkcs12"
};

// cert new-signing and cert csr new: the key type is parsed and the subject checked first.
struct NewCertificateRequest {
  crypto::SubjectFields subject;
  std::string key = "rsa:2048";
  int days = 3650;       // new-signing only
  bool signing = false;  // csr only: request a signing (CA) certificate
  bool exportable = false;
};
Result<crypto::CertificateRecord> createSigningCertificate(crypto::Keystore& keystore,
                                                           const std::string& name,
                                                           const NewCertificateRequest& request);
Result<crypto::RequestRecord> createRequest(crypto::Keystore& keystore, const std::string& name,
                                            const NewCertificateRequest& request);
Result<std::vector<crypto::CertificateRecord>> importCertificate(crypto::Keystore& keystore,
                                                                 const std::string& name,
                                                                 const CertificateSource& source,
                                                                 bool exportable);
Result<crypto::CertificateRecord> replaceCertificate(crypto::Keystore& keystore,
                                                     const std::string& name,
                                                     const CertificateSource& source);
Result<crypto::CaRecord> importCa(crypto::Keystore& keystore, const std::string& name,
                                  const CertificateSource& source);

// cert export: the key only for exportable certificates and always under a password.
struct ExportRequest {
  std::string format = "pem";  // pem|der|pkcs12
  bool with_key = false;
  std::optional<std::string> password;  // required with the key and for PKCS#12
};
Result<std::string> exportCertificate(const crypto::Keystore& keystore, const std::string& name,
                                      ExportRequest request);

// persist-private-keys off: hands the keystore (vtpsd's, in memory) the key of a stored
// certificate. Errors name the certificate: unknown name, key that does not parse (wrong or
// missing password), key that does not match, keys persisted on disk.
Status supplyKey(crypto::Keystore& keystore, const std::string& name, std::string_view key_bytes,
                 std::string_view key_source, const std::optional<std::string>& password);

// The request form of bytes that may be binary (DER, PKCS#12): standard base64.
std::string encodeBase64(std::string_view bytes);
std::optional<std::string> decodeBase64(std::string_view text);

// Control-method requests: "FIELD" holds text (PEM), "FIELD_base64" any bytes. Missing both:
// nullopt; bad base64: an Error naming the field.
Result<std::optional<std::string>> bytesField(const nlohmann::ordered_json& request,
                                              const std::string& field);
// {cert|cert_base64, key|key_base64, password, format} of a cert-import/cert-replace request.
Result<CertificateSource> certificateSourceFromJson(const nlohmann::ordered_json& request);
// {cn, email, ou[], o, l, st, c, dns[], user[], key, days, signing, exportable}.
NewCertificateRequest newCertificateRequestFromJson(const nlohmann::ordered_json& request);

// SHA-256 (hex) of the keystore's listing — names, fingerprints and statuses of the
// certificates, names of the CAs — for the audit log's before and after digests.
std::string keystoreDigest(const crypto::Keystore& keystore);

nlohmann::ordered_json certificateJson(const crypto::CertificateRecord& record);
nlohmann::ordered_json caJson(const crypto::CaRecord& record);
nlohmann::ordered_json requestJson(const crypto::RequestRecord& record);

}  // namespace vtps::mgmt
