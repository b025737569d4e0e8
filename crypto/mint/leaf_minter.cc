#include "crypto/mint/leaf_minter.h"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace vtps::mint {

namespace {

// Extensions that are the same on every leaf, encoded once instead of once per mint.
struct ConstantExtensions {
  ossl::X509ExtensionPtr basic_constraints;
  ossl::X509ExtensionPtr key_usage_ec;
  ossl::X509ExtensionPtr key_usage_rsa;
  ossl::X509ExtensionPtr ext_key_usage;
};

Result<ConstantExtensions> buildConstantExtensions() {
  auto make = [](int nid, const char* value) {
    return ossl::X509ExtensionPtr(X509V3_EXT_nconf_nid(nullptr, nullptr, nid, value));
  };
  ConstantExtensions e;
  e.basic_constraints = make(NID_basic_constraints, "critical,CA:FALSE");
  e.key_usage_ec = make(NID_key_usage, "critical,digitalSignature");
  e.key_usage_rsa = make(NID_key_usage, "critical,digitalSignature,keyEncipherment");
  e.ext_key_usage = make(NID_ext_key_usage, "serverAuth");
  if (!e.basic_constraints || !e.key_usage_ec || !e.key_usage_rsa || !e.ext_key_usage) {
    return ossl::error("build constant leaf extensions");
  }
  return e;
}

const Result<ConstantExtensions>& constantExtensions() {
  static const Result<ConstantExtensions> extensions = buildConstantExtensions();
  return extensions;
}

// Positive and non-zero as RFC 5280 4.1.2.2 requires; 127 random bits is well above the 64 the
// CA/Browser Forum asks for, and 16 bytes stays within the 20-octet limit.
Status setRandomSerial(X509* leaf) {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return ossl::error("random serial");
  }
  bytes[0] &= 0x7f;
  if (std::all_of(bytes.begin(), bytes.end(), [](unsigned char b) { return b == 0; })) {
    bytes.back() = 1;
  }
  ossl::BignumPtr bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(leaf)) == nullptr) {
    return ossl::error("set serial");
  }
  return Status::success();
}

Status setClampedValidity(X509* leaf, const X509* upstream, const X509* ca) {
  const ASN1_TIME* up_nb = X509_get0_notBefore(upstream);
  const ASN1_TIME* up_na = X509_get0_notAfter(upstream);
  const ASN1_TIME* ca_nb = X509_get0_notBefore(ca);
  const ASN1_TIME* ca_na = X509_get0_notAfter(ca);
  const int nb_order = ASN1_TIME_compare(up_nb, ca_nb);
  const int na_order = ASN1_TIME_compare(up_na, ca_na);
  const int up_na_vs_ca_nb = ASN1_TIME_compare(up_na, ca_nb);
  if (nb_order == -2 || na_order == -2 || up_na_vs_ca_nb == -2) {
    return ossl::error("compare upstream and CA validity");
  }
  const ASN1_TIME* not_before = nb_order > 0 ? up_nb : ca_nb;
  const ASN1_TIME* not_after = na_order < 0 ? up_na : ca_na;
  if (ASN1_TIME_compare(not_before, not_after) > 0) {
    // Upstream's window is wholly before or after the CA's: collapse to the nearest CA bound.
    not_before = not_after = up_na_vs_ca_nb < 0 ? ca_nb : ca_na;
  }
  if (X509_set1_notBefore(leaf, not_before) != 1 || X509_set1_notAfter(leaf, not_after) != 1) {
    return ossl::error("set validity");
  }
  return Status::success();
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Upstream's subjectAltName names, plus the SNI when upstream does not already cover it.
// `critical` is set to upstream's criticality. Null when there is no name at all.
Result<ossl::GeneralNamesPtr> subjectAltNames(X509* upstream, std::string_view sni,
                                              bool& critical) {
  int crit = -1;
  ossl::GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(upstream, NID_subject_alt_name, &crit, nullptr)));
  if (crit == -2) return makeError("upstream certificate has two subjectAltName extensions");
  if (!names && crit >= 0) return ossl::error("decode upstream subjectAltName");
  critical = crit == 1;
  if (!isValidSni(sni)) return names;
  constexpr unsigned int kFlags =
      X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
  const int covered = X509_check_host(upstream, sni.data(), sni.size(), kFlags, nullptr);
  if (covered == 1) return names;
  if (!names) names.reset(GENERAL_NAMES_new());
  const std::string host = lowercase(sni);
  ossl::GeneralNamePtr name(a2i_GENERAL_NAME(nullptr, nullptr, nullptr, GEN_DNS, host.c_str(), 0));
  if (!names || !name || sk_GENERAL_NAME_push(names.get(), name.get()) == 0) {
    return ossl::error("add SNI to subjectAltName");
  }
  (void)name.release();  // owned by `names` now
  return names;
}

Status addExtensions(X509* leaf, X509* upstream, std::string_view sni, bool rsa_key,
                     const SigningCa& ca) {
  const Result<ConstantExtensions>& constant = constantExtensions();
  if (!constant.ok()) return constant.error();
  X509_EXTENSION* key_usage =
      rsa_key ? constant->key_usage_rsa.get() : constant->key_usage_ec.get();
  if (X509_add_ext(leaf, constant->basic_constraints.get(), -1) != 1 ||
      X509_add_ext(leaf, key_usage, -1) != 1 ||
      X509_add_ext(leaf, constant->ext_key_usage.get(), -1) != 1) {
    return ossl::error("add extensions");
  }
  // subjectKeyIdentifier: RFC 5280 4.2.1.2 method 1 (SHA-1 of the public key bits).
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  ossl::Asn1OctetStringPtr ski(ASN1_OCTET_STRING_new());
  if (X509_pubkey_digest(leaf, EVP_sha1(), md, &md_len) != 1 || !ski ||
      ASN1_OCTET_STRING_set(ski.get(), md, static_cast<int>(md_len)) != 1 ||
      X509_add1_ext_i2d(leaf, NID_subject_key_identifier, ski.get(), 0, X509V3_ADD_DEFAULT) != 1 ||
      X509_add_ext(leaf, ca.authorityKeyIdExtension(), -1) != 1) {
    return ossl::error("add key identifiers");
  }
  bool san_critical = false;
  Result<ossl::GeneralNamesPtr> names = subjectAltNames(upstream, sni, san_critical);
  if (!names.ok()) return names.error();
  if (*names && sk_GENERAL_NAME_num(names->get()) > 0) {
    // An empty subject makes the SAN the only identity, so it must be critical.
    san_critical = san_critical || X509_NAME_entry_count(X509_get_subject_name(leaf)) == 0;
    if (X509_add1_ext_i2d(leaf, NID_subject_alt_name, names->get(), san_critical ? 1 : 0,
                          X509V3_ADD_DEFAULT) != 1) {
      return ossl::error("add subjectAltName");
    }
  }
  return Status::success();
}

Status buildAndSign(X509* leaf, X509* upstream, std::string_view sni, EVP_PKEY* key,
                    const SigningCa& ca) {
  const int key_id = EVP_PKEY_get_base_id(key);
  if (key_id != EVP_PKEY_RSA && key_id != EVP_PKEY_EC) {
    return makeError("leaf key is neither RSA nor EC");
  }
  if (X509_set_subject_name(leaf, X509_get_subject_name(upstream)) != 1 ||
      X509_set_issuer_name(leaf, X509_get_subject_name(ca.cert())) != 1) {
    return ossl::error("set names");
  }
  VTPS_RETURN_IF_ERROR(setRandomSerial(leaf));
  VTPS_RETURN_IF_ERROR(setClampedValidity(leaf, upstream, ca.cert()));
  VTPS_RETURN_IF_ERROR(addExtensions(leaf, upstream, sni, key_id == EVP_PKEY_RSA, ca));
  if (X509_sign(leaf, ca.key(), ca.digest()) <= 0) return ossl::error("sign");
  // Fill OpenSSL's lazily computed extension cache now, while the leaf has one owner, so that
  // threads sharing it later only read.
  (void)X509_check_purpose(leaf, -1, 0);
  return Status::success();
}

std::string_view sniLabel(std::string_view sni) {
  if (sni.empty()) return "(no SNI)";
  return isValidSni(sni) ? sni : "(invalid SNI)";
}

}  // namespace

bool isValidSni(std::string_view sni) {
  if (sni.empty() || sni.size() > 253) return false;
  std::size_t label_start = 0;
  bool label_all_digits = true;
  for (std::size_t i = 0; i <= sni.size(); ++i) {
    if (i == sni.size() || sni[i] == '.') {
      const std::size_t label_len = i - label_start;
      if (label_len == 0 || label_len > 63) return false;
      if (i == sni.size()) return !label_all_digits;
      label_start = i + 1;
      label_all_digits = true;
      continue;
    }
    const auto c = static_cast<unsigned char>(sni[i]);
    if (std::isalnum(c) == 0 && c != '-' && c != '_') return false;
    label_all_digits = label_all_digits && std::isdigit(c) != 0;
  }
  return false;
}

Result<MintedLeaf> mintLeafWithKey(X509* upstream, std::string_view sni, LeafKey key,
                                   const SigningCa& ca) {
  const auto fail = [&](const Error& cause) {
    return makeError(
        fmt::format("mint leaf for {} under {}: {}", sniLabel(sni), ca.name(), cause.message));
  };
  if (upstream == nullptr || !key.key || !key.blank_cert) {
    return fail(makeError("upstream certificate or key missing"));
  }
  if (Status built = buildAndSign(key.blank_cert.get(), upstream, sni, key.key.get(), ca);
      !built.ok()) {
    return fail(built.error());
  }
  return MintedLeaf{std::move(key.blank_cert), std::move(key.key)};
}

Result<MintedLeaf> LeafMinter::mintLeafFor(X509* upstream, std::string_view sni,
                                           LeafKeyType key_type, const SigningCa& ca) const {
  Result<LeafKey> key = pool_.take(key_type);
  if (!key.ok()) {
    return makeError(
        fmt::format("mint leaf for {} under {}: {}", sniLabel(sni), ca.name(), key.message()));
  }
  return mintLeafWithKey(upstream, sni, std::move(key).value(), ca);
}

}  // namespace vtps::mint
