// Mints the certificate the client proxy presents to a client in place of the upstream server's:
// same subject and subject alternative names (plus the SNI the client asked for), validity inside
// the signing CA's, a fresh random serial, and a key from the key pool. About OpenSSL by design:
// the result goes straight into SSL_CTX_use_certificate / SSL_use_PrivateKey.
#pragma once

#include <string_view>

#include "crypto/mint/key_pool.h"
#include "crypto/mint/leaf_key_type.h"
#include "crypto/mint/signing_ca.h"
#include "crypto/ossl.h"
#include "crypto/result.h"

namespace vtps::mint {

// A minted leaf and its private key. Both are read-only once minted and safe to share between
// threads (wrap in shared_ptr; SSL_CTX/SSL take their own references).
struct MintedLeaf {
  ossl::X509Ptr cert;
  ossl::EvpPkeyPtr key;
};

// True if `sni` can be a TLS server_name (RFC 6066 3): a DNS host name of letters, digits, '-'
// and '_' labels of 1..63 characters, at most 253 characters, no trailing dot, and not an IP
// address literal (a last label of digits only).
bool isValidSni(std::string_view sni);

// Builds and signs the leaf for `upstream` on `key`'s blank certificate (RSA or EC key) under
// `ca`:
//  - subject copied from upstream; subjectAltName copied (criticality kept, forced critical when
//    the subject is empty, RFC 5280 4.2.1.6), plus DNS:<sni lowercased> when `sni` is valid and
//    no upstream DNS name already matches it (exact or full-label wildcard). An invalid or empty
//    SNI (e.g. an IP address) is ignored.
//  - notBefore/notAfter = upstream's clamped to the CA's. When upstream's window lies wholly
//    outside the CA's, both become the CA bound nearest to it, so the leaf is still expired (or
//    not yet valid) like upstream, and still inside the CA's validity.
//  - serial: 128 random bits (RAND_bytes) with the top bit cleared, never zero.
//  - v3 extensions: basicConstraints CA:FALSE (critical), keyUsage digitalSignature (critical,
//    +keyEncipherment for RSA keys), extendedKeyUsage serverAuth, subjectKeyIdentifier,
//    authorityKeyIdentifier from the CA, subjectAltName.
//  - signed with the CA's key and digest (SigningCa::digest()).
// `upstream` is only read. Errors: "mint leaf for <SNI | (no SNI) | (invalid SNI)> under
// <CA name>: <cause>", e.g. "... under corp: upstream certificate or key missing".
Result<MintedLeaf> mintLeafWithKey(X509* upstream, std::string_view sni, LeafKey key,
                                   const SigningCa& ca);

// mintLeafWithKey with a key of `key_type` taken from the pool. Thread-safe; the pool must
// outlive the minter.
class LeafMinter {
 public:
  explicit LeafMinter(KeyPool& pool) : pool_(pool) {}

  Result<MintedLeaf> mintLeafFor(X509* upstream, std::string_view sni, LeafKeyType key_type,
                                 const SigningCa& ca) const;

 private:
  KeyPool& pool_;
};

}  // namespace vtps::mint
