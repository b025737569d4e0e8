// The daemon's view of the keystore in OpenSSL handles: what a TLS context or the leaf minter
// needs (certificate, chain, key). This header is about OpenSSL by design.
#pragma once

#include <string>

#include "crypto/keystore.h"
#include "crypto/ossl.h"
#include "crypto/ossl_interop.h"

namespace vtps::crypto {

struct OsslBundle {
  ossl::X509Ptr leaf;
  ossl::X509StackPtr chain;  // nearest issuer first
  ossl::EvpPkeyPtr key;
};

// Owned (up-referenced) handles of a bundle.
Result<OsslBundle> toOssl(const CertificateBundle& bundle);

// A stored certificate's chain and key by name (Keystore::loadCertificate) as OpenSSL handles.
Result<OsslBundle> loadCertificateOssl(const Keystore& keystore, const std::string& name);
// The Untrusted Server CA (Keystore::untrustedServerCa) as OpenSSL handles.
Result<OsslBundle> untrustedServerCaOssl(Keystore& keystore);

}  // namespace vtps::crypto
