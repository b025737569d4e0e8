#include "crypto/pkcs12.h"

#include <fmt/format.h>

#include <climits>

#include "crypto/ossl_interop.h"

namespace vtps::crypto {
namespace {

struct Bag {
  std::string alias;
  std::string local_key_id;
  ossl::X509Ptr cert;    // set for certificate bags
  ossl::EvpPkeyPtr key;  // set for key bags
};

std::string attributeString(const PKCS12_SAFEBAG* bag) {
  ossl::OpensslStringPtr name(PKCS12_get_friendlyname(const_cast<PKCS12_SAFEBAG*>(bag)));
  return name ? std::string(name.get()) : std::string();
}

std::string localKeyId(const PKCS12_SAFEBAG* bag) {
  const ASN1_TYPE* attr = PKCS12_SAFEBAG_get0_attr(bag, NID_localKeyID);
  if (attr == nullptr || attr->type != V_ASN1_OCTET_STRING) return {};
  const ASN1_OCTET_STRING* id = attr->value.octet_string;
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(id)),
                     static_cast<size_t>(ASN1_STRING_length(id)));
}

// Password handed to OpenSSL: null for the absent password (distinct from "" in PKCS#12).
struct Password {
  const char* data = nullptr;
  int len = 0;
};

class BagCollector {
 public:
  BagCollector(Password password, std::string_view source) : password_(password), source_(source) {}

  Status collect(const STACK_OF(PKCS12_SAFEBAG) * bags, int depth) {
    if (depth > 3)
      return Error{fmt::format("parse PKCS#12 {}: safe contents nested too deeply", source_)};
    for (int i = 0; i < sk_PKCS12_SAFEBAG_num(bags); ++i) {
      VTPS_RETURN_IF_ERROR(collectOne(sk_PKCS12_SAFEBAG_value(bags, i), depth));
    }
    return {};
  }

  std::vector<Bag>& bags() { return bags_; }

 private:
  Status collectOne(const PKCS12_SAFEBAG* bag, int depth) {
    switch (PKCS12_SAFEBAG_get_nid(bag)) {
      case NID_keyBag:
        return addKey(bag, EVP_PKCS82PKEY(PKCS12_SAFEBAG_get0_p8inf(bag)));
      case NID_pkcs8ShroudedKeyBag: {
        ossl::Pkcs8PrivKeyInfoPtr p8(PKCS12_decrypt_skey(bag, password_.data, password_.len));
        if (!p8) return ossl::error(fmt::format("parse PKCS#12 {}: decrypt key bag", source_));
        return addKey(bag, EVP_PKCS82PKEY(p8.get()));
      }
      case NID_certBag: {
        if (PKCS12_SAFEBAG_get_bag_nid(bag) != NID_x509Certificate) return {};
        ossl::X509Ptr cert(PKCS12_SAFEBAG_get1_cert(bag));
        if (!cert) return ossl::error(fmt::format("parse PKCS#12 {}: certificate bag", source_));
        bags_.push_back(Bag{attributeString(bag), localKeyId(bag), std::move(cert), nullptr});
        return {};
      }
      case NID_safeContentsBag:
        return collect(PKCS12_SAFEBAG_get0_safes(bag), depth + 1);
      default:
        return {};  // CRL and secret bags are not used by the appliance
    }
  }

  Status addKey(const PKCS12_SAFEBAG* bag, EVP_PKEY* raw_key) {
    ossl::EvpPkeyPtr key(raw_key);
    if (!key) return ossl::error(fmt::format("parse PKCS#12 {}: decode private key", source_));
    bags_.push_back(Bag{attributeString(bag), localKeyId(bag), nullptr, std::move(key)});
    return {};
  }

  Password password_;
  std::string_view source_;
  std::vector<Bag> bags_;
};

Result<Password> verifyMac(PKCS12* p12, std::string_view password, std::string_view source) {
  if (PKCS12_mac_present(p12) != 1) {
    return Error{fmt::format(
        "parse PKCS#12 {}: the file has no integrity MAC; export it again with a password",
        source)};
  }
  const ASN1_INTEGER* iter = nullptr;
  PKCS12_get0_mac(nullptr, nullptr, nullptr, &iter, p12);
  long iterations = iter != nullptr ? ASN1_INTEGER_get(iter) : 1;
  if (iterations < 1 || iterations > kMaxPkcs12MacIterations) {
    return Error{fmt::format("parse PKCS#12 {}: MAC iteration count {} is outside 1..{}", source,
                             iterations, kMaxPkcs12MacIterations)};
  }
  Password pw{password.data(), static_cast<int>(password.size())};
  if (PKCS12_verify_mac(p12, pw.data, pw.len) == 1) return pw;
  if (password.empty() && PKCS12_verify_mac(p12, nullptr, 0) == 1) return Password{};
  ERR_clear_error();
  return Error{fmt::format("parse PKCS#12 {}: wrong password (MAC verification failed)", source)};
}

Result<std::vector<Bag>> readBags(PKCS12* p12, Password pw, std::string_view source) {
  ossl::Pkcs7StackPtr safes(PKCS12_unpack_authsafes(p12));
  if (!safes) return ossl::error(fmt::format("parse PKCS#12 {}", source));
  BagCollector collector(pw, source);
  for (int i = 0; i < sk_PKCS7_num(safes.get()); ++i) {
    PKCS7* p7 = sk_PKCS7_value(safes.get(), i);
    ossl::SafeBagStackPtr bags;
    switch (OBJ_obj2nid(p7->type)) {
      case NID_pkcs7_data:
        bags.reset(PKCS12_unpack_p7data(p7));
        break;
      case NID_pkcs7_encrypted:
        bags.reset(PKCS12_unpack_p7encdata(p7, pw.data, pw.len));
        break;
      default:
        continue;  // enveloped data (public-key privacy mode) is not supported by any tool we meet
    }
    if (!bags) return ossl::error(fmt::format("parse PKCS#12 {}: decrypt safe contents", source));
    VTPS_RETURN_IF_ERROR(collector.collect(bags.get(), 0));
  }
  return std::move(collector.bags());
}

// Pairs each key with its certificate: by localKeyID when both carry one, else by public key.
// A key without a certificate is of no use to the appliance and is dropped.
Result<Pkcs12Contents> pairKeys(std::vector<Bag>& bags, std::string_view source) {
  Pkcs12Contents out;
  std::vector<Bag*> keys;
  for (auto& bag : bags) {
    if (bag.key) keys.push_back(&bag);
  }
  std::vector<bool> key_used(keys.size(), false);
  for (auto& bag : bags) {
    if (!bag.cert) continue;
    Pkcs12Certificate item{wrapCertificate(std::move(bag.cert)), bag.alias, std::nullopt};
    for (size_t k = 0; k < keys.size(); ++k) {
      if (key_used[k]) continue;
      bool by_id = !bag.local_key_id.empty() && bag.local_key_id == keys[k]->local_key_id;
      EVP_PKEY* pub = X509_get0_pubkey(raw(item.certificate));
      if (by_id || (pub != nullptr && EVP_PKEY_eq(pub, keys[k]->key.get()) == 1)) {
        item.key = shareKey(keys[k]->key.get());
        if (item.alias.empty()) item.alias = keys[k]->alias;
        key_used[k] = true;
        break;
      }
    }
    ERR_clear_error();
    out.certificates.push_back(std::move(item));
  }
  if (out.certificates.empty()) {
    return Error{fmt::format("parse PKCS#12 {}: the file holds no certificate", source)};
  }
  return out;
}

}  // namespace

std::vector<Certificate> Pkcs12Contents::chainFor(const Certificate& leaf) const {
  std::vector<Certificate> pool;
  pool.reserve(certificates.size());
  for (const auto& c : certificates)
    pool.push_back(c.certificate);
  return buildChain(leaf, pool);
}

Result<Pkcs12Contents> parsePkcs12(std::string_view der, std::string_view password,
                                   std::string_view source) {
  if (der.empty()) return Error{fmt::format("parse PKCS#12 {}: file is empty", source)};
  if (der.size() > INT_MAX) return Error{fmt::format("parse PKCS#12 {}: too large", source)};
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ossl::Pkcs12Ptr p12(d2i_PKCS12(nullptr, &p, static_cast<long>(der.size())));
  if (!p12) {
    ERR_clear_error();
    return Error{fmt::format("parse PKCS#12 {}: not a PKCS#12 (DER) file", source)};
  }
  auto pw = verifyMac(p12.get(), password, source);
  if (!pw.ok()) return pw.error();
  auto bags = readBags(p12.get(), pw.value(), source);
  if (!bags.ok()) return bags.error();
  return pairKeys(bags.value(), source);
}

Result<std::string> buildPkcs12(const Certificate& leaf, const std::vector<Certificate>& chain,
                                const PrivateKey* key, std::string_view alias,
                                std::string_view password) {
  ossl::X509StackPtr cas(sk_X509_new_null());
  if (!cas) return ossl::error("build PKCS#12");
  for (const auto& c : chain) {
    if (sk_X509_push(cas.get(), raw(c)) == 0) return ossl::error("build PKCS#12");
    X509_up_ref(raw(c));  // the stack's deleter frees what it holds
  }
  std::string name(alias);
  std::string pw(password);
  ossl::Pkcs12Ptr p12(PKCS12_create_ex(pw.c_str(), name.empty() ? nullptr : name.c_str(),
                                       key != nullptr ? raw(*key) : nullptr, raw(leaf), cas.get(),
                                       NID_aes_256_cbc, NID_aes_256_cbc, PKCS12_DEFAULT_ITER,
                                       PKCS12_DEFAULT_ITER, 0, nullptr, nullptr));
  if (p12 && PKCS12_set_mac(p12.get(), pw.c_str(), -1, nullptr, 0, PKCS12_DEFAULT_ITER,
                            EVP_sha256()) != 1) {
    p12.reset();
  }
  ossl::cleanse(pw);
  if (!p12) return ossl::error("build PKCS#12");
  unsigned char* der = nullptr;
  int len = i2d_PKCS12(p12.get(), &der);
  if (len <= 0) return ossl::error("encode PKCS#12");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace vtps::crypto
