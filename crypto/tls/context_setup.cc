#include "crypto/tls/context_setup.h"

#include <fmt/format.h>

#include <algorithm>

#include "crypto/tls/cipher_names.h"
#include "crypto/tls/tls_names.h"

namespace vtps::tls::detail {
namespace {

constexpr const char* kGroups =
    "X25519:secp256r1:X448:secp521r1:secp384r1:ffdhe2048:ffdhe3072:ffdhe4096:ffdhe6144:ffdhe8192";

struct CipherStrings {
  std::string tls12;  // SSL_CTX_set_cipher_list syntax, "A:B"
  std::string tls13;  // SSL_CTX_set_ciphersuites syntax, "A:B"
};

void appendName(std::string& list, std::string_view name) {
  if (!list.empty()) list += ':';
  list += name;
}

Result<CipherStrings> cipherStrings(std::string_view what, const TlsOptions& options,
                                    std::vector<std::string>& ignored) {
  CipherStrings out;
  for (const auto& iana : options.cipher_suites) {
    const CipherName* cipher = findCipher(iana);
    if (cipher == nullptr) return Error{fmt::format("{}: unknown cipher suite {}", what, iana)};
    if (!cipherSupportedByLibrary(*cipher)) {
      ignored.push_back(iana);
      continue;
    }
    appendName(cipher->tls13 ? out.tls13 : out.tls12, cipher->openssl);
  }
  const ProtocolRange& range = options.protocols;
  if (range.min <= TlsVersion::kTls12 && out.tls12.empty()) {
    return Error{fmt::format("{}: no usable cipher suite for {} (TLS 1.2 and older need one)", what,
                             versionName(range.min))};
  }
  if (range.max == TlsVersion::kTls13 && out.tls13.empty()) {
    return Error{fmt::format("{}: no usable cipher suite for TLSv1.3", what)};
  }
  return out;
}

Status applyCiphers(SSL_CTX* ctx, std::string_view what, const TlsOptions& options,
                    std::vector<std::string>& ignored) {
  if (options.cipher_suites.empty()) return {};  // OpenSSL's defaults
  auto strings = cipherStrings(what, options, ignored);
  if (!strings) return strings.error();
  if (!strings->tls12.empty() && SSL_CTX_set_cipher_list(ctx, strings->tls12.c_str()) != 1) {
    return ossl::error(fmt::format("{}: SSL_CTX_set_cipher_list {}", what, strings->tls12));
  }
  if (SSL_CTX_set_ciphersuites(ctx, strings->tls13.c_str()) != 1) {
    return ossl::error(fmt::format("{}: SSL_CTX_set_ciphersuites {}", what, strings->tls13));
  }
  return {};
}

Status applyProtocols(SSL_CTX* ctx, std::string_view what, ProtocolRange range) {
  if (range.min > range.max) {
    return Error{fmt::format("{}: protocol range {} to {} is empty", what, versionName(range.min),
                             versionName(range.max))};
  }
#ifdef OPENSSL_NO_SSL3
  if (range.min == TlsVersion::kSsl3) {
    return Error{
        fmt::format("{}: SSLv3 is enabled but this OpenSSL build does not implement it", what)};
  }
#endif
  if (SSL_CTX_set_min_proto_version(ctx, opensslVersion(range.min)) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, opensslVersion(range.max)) != 1) {
    return ossl::error(fmt::format("{}: set protocol range {} to {}", what, versionName(range.min),
                                   versionName(range.max)));
  }
  // OpenSSL 3 at security level 1 or more refuses the SHA-1 and MD5+SHA-1 signatures TLS 1.0 and
  // 1.1 depend on, so those versions only work at level 0. Otherwise pin level 1 (OpenSSL's own
  // default) rather than inherit a distribution's raised default (Debian builds level 2): key
  // sizes are the appliance's policy (min-key-length), not the library's.
  SSL_CTX_set_security_level(ctx, range.includesLegacy() ? 0 : 1);
  return {};
}

}  // namespace

Result<ossl::SslCtxPtr> newContext(std::string_view what, const TlsOptions& options,
                                   std::vector<std::string>& ignored) {
  ossl::SslCtxPtr ctx(SSL_CTX_new(TLS_method()));
  if (!ctx) return ossl::error(fmt::format("{}: SSL_CTX_new", what));
  VTPS_RETURN_IF_ERROR(applyCiphers(ctx.get(), what, options, ignored));
  // After the cipher list: a list may carry "@SECLEVEL=n", and the range decides the level.
  VTPS_RETURN_IF_ERROR(applyProtocols(ctx.get(), what, options.protocols));

  // Renegotiation is refused on both legs (a client or server asking gets no_renegotiation);
  // compression is never negotiated (CRIME). OpenSSL 3 has no heartbeat extension at all.
  uint64_t op = SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION;
  if (!options.encrypt_then_mac) op |= SSL_OP_NO_ENCRYPT_THEN_MAC;
  SSL_CTX_set_options(ctx.get(), op);
  // The key exchange groups, in preference order, are the appliance's rather than the library's:
  // OpenSSL 3.0's default list, written out, so a build on a newer library (3.5 adds a hybrid
  // post-quantum key share to every ClientHello by default) offers the same handshake.
  if (SSL_CTX_set1_groups_list(ctx.get(), kGroups) != 1) {
    return ossl::error(fmt::format("{}: SSL_CTX_set1_groups_list {}", what, kGroups));
  }
  // Non-blocking proxy legs: a retried SSL_write may pass a moved buffer, partial writes report
  // progress, and idle connections give their record buffers back (memory per idle session).
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                  SSL_MODE_RELEASE_BUFFERS);
  return ctx;
}

std::vector<std::string> effectiveAlpn(const std::vector<std::string>& alpn, bool downgrade) {
  std::vector<std::string> out;
  for (const auto& p : alpn) {
    if (downgrade && p == "h2") continue;
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  return out;
}

Result<std::string> encodeAlpn(std::string_view what, const std::vector<std::string>& protocols) {
  std::string wire;
  for (const auto& p : protocols) {
    if (p.empty() || p.size() > 255) {
      return Error{fmt::format("{}: ALPN protocol \"{}\" must be 1 to 255 bytes long", what, p)};
    }
    wire += static_cast<char>(p.size());
    wire += p;
  }
  return wire;
}

}  // namespace vtps::tls::detail
