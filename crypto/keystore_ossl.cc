#include "crypto/keystore_ossl.h"

namespace vtps::crypto {

Result<OsslBundle> toOssl(const CertificateBundle& bundle) {
  OsslBundle out;
  X509_up_ref(raw(bundle.leaf));
  out.leaf.reset(raw(bundle.leaf));
  EVP_PKEY_up_ref(raw(bundle.key));
  out.key.reset(raw(bundle.key));
  out.chain.reset(sk_X509_new_null());
  if (!out.chain) return ossl::error("copy certificate chain");
  for (const auto& c : bundle.chain) {
    if (sk_X509_push(out.chain.get(), raw(c)) == 0) return ossl::error("copy certificate chain");
    X509_up_ref(raw(c));
  }
  return out;
}

Result<OsslBundle> loadCertificateOssl(const Keystore& keystore, const std::string& name) {
  auto bundle = keystore.loadCertificate(name);
  if (!bundle.ok()) return bundle.error();
  return toOssl(bundle.value());
}

Result<OsslBundle> untrustedServerCaOssl(Keystore& keystore) {
  auto bundle = keystore.untrustedServerCa();
  if (!bundle.ok()) return bundle.error();
  return toOssl(bundle.value());
}

}  // namespace vtps::crypto
