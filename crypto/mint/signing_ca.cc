#include "crypto/mint/signing_ca.h"

#include <fmt/format.h>

#include <cstdint>
#include <utility>

namespace vtps::mint {

namespace {

Error caError(const std::string& name, std::string_view cause) {
  return makeError(fmt::format("signing CA {}: {}", name, cause));
}

// The digest that matches the key's strength (RFC 5480 section 4 for EC).
Result<const EVP_MD*> digestForKey(const std::string& name, EVP_PKEY* key) {
  const int id = EVP_PKEY_get_base_id(key);
  if (id == EVP_PKEY_RSA) {
    const int bits = EVP_PKEY_get_bits(key);
    if (bits < 2048) {
      return caError(name, fmt::format("RSA key of {} bits is too small (at least 2048)", bits));
    }
    return EVP_sha256();
  }
  if (id == EVP_PKEY_EC) {
    char group[64] = {};
    std::size_t len = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof(group), &len) != 1) {
      return ossl::error(fmt::format("signing CA {}: read EC curve", name));
    }
    const std::string_view curve(group, len);
    if (curve == "prime256v1" || curve == "secp224r1") return EVP_sha256();
    if (curve == "secp384r1") return EVP_sha384();
    if (curve == "secp521r1") return EVP_sha512();
    return caError(name,
                   fmt::format("EC curve {} is not supported (P-224, P-256, P-384, P-521)", curve));
  }
  const char* type = EVP_PKEY_get0_type_name(key);
  return caError(name, fmt::format("key type {} is not supported (RSA >= 2048 bits or EC "
                                   "P-224/P-256/P-384/P-521)",
                                   type != nullptr ? type : "unknown"));
}

// keyid of the CA: its subjectKeyIdentifier, or the RFC 5280 method 1 hash of its public key
// when the CA carries none (then the leaf's AKI still names the right key).
Result<ossl::X509ExtensionPtr> authorityKeyId(const std::string& name, X509* cert) {
  ossl::Asn1OctetStringPtr keyid;
  if (const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(cert); ski != nullptr) {
    keyid.reset(ASN1_OCTET_STRING_dup(ski));
  } else {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (X509_pubkey_digest(cert, EVP_sha1(), md, &md_len) != 1) {
      return ossl::error(fmt::format("signing CA {}: hash public key", name));
    }
    keyid.reset(ASN1_OCTET_STRING_new());
    if (keyid && ASN1_OCTET_STRING_set(keyid.get(), md, static_cast<int>(md_len)) != 1) {
      keyid.reset();
    }
  }
  ossl::AuthorityKeyIdPtr akid(AUTHORITY_KEYID_new());
  if (!keyid || !akid) return ossl::error(fmt::format("signing CA {}: build AKI", name));
  akid->keyid = keyid.release();
  ossl::X509ExtensionPtr ext(X509V3_EXT_i2d(NID_authority_key_identifier, 0, akid.get()));
  if (!ext) return ossl::error(fmt::format("signing CA {}: encode AKI", name));
  return ext;
}

}  // namespace

Result<std::shared_ptr<const SigningCa>> SigningCa::create(std::string name, X509* cert,
                                                           EVP_PKEY* key) {
  if (cert == nullptr || key == nullptr) return caError(name, "certificate or key missing");
  if (X509_check_private_key(cert, key) != 1) {
    ossl::drainErrors();
    return caError(name, "private key does not match the certificate");
  }
  // EXFLAG_CA is basicConstraints CA:TRUE alone; X509_check_ca() would also fail on keyUsage and
  // hide which of the two is wrong.
  if ((X509_get_extension_flags(cert) & EXFLAG_CA) == 0) {
    return caError(name, "certificate is not a CA (basicConstraints CA:TRUE missing)");
  }
  if ((X509_get_key_usage(cert) & KU_KEY_CERT_SIGN) == 0) {
    return caError(name, "keyUsage does not allow keyCertSign");
  }
  Result<const EVP_MD*> digest = digestForKey(name, key);
  if (!digest.ok()) return digest.error();
  Result<ossl::X509ExtensionPtr> aki = authorityKeyId(name, cert);
  if (!aki.ok()) return aki.error();

  std::shared_ptr<SigningCa> ca(new SigningCa());
  unsigned int fp_len = 0;
  if (X509_digest(cert, EVP_sha256(), ca->fingerprint_.data(), &fp_len) != 1 ||
      fp_len != ca->fingerprint_.size()) {
    return ossl::error(fmt::format("signing CA {}: SHA-256 fingerprint", name));
  }
  if (X509_up_ref(cert) != 1) return ossl::error(fmt::format("signing CA {}: reference", name));
  ca->cert_.reset(cert);
  if (EVP_PKEY_up_ref(key) != 1) return ossl::error(fmt::format("signing CA {}: reference", name));
  ca->key_.reset(key);
  ca->name_ = std::move(name);
  ca->digest_ = *digest;
  ca->aki_ = std::move(aki).value();
  return std::shared_ptr<const SigningCa>(std::move(ca));
}

}  // namespace vtps::mint
