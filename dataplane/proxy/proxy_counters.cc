#include "dataplane/proxy/proxy_counters.h"

#include <cassert>

namespace vtps::proxy {
namespace {

using G = CounterGroupId;

constexpr CounterInfo kCounterInfo[] = {
    // npSslInspStats: what was decided for the sessions on SSL tuples.
    {Ctr::kSessionsActive, G::kSslInsp, "sessionsActive", "sessions open now (any decision)", true},
    {Ctr::kDecrypted, G::kSslInsp, "sessionsDecrypted",
     "sessions decrypted and handed to the inspector"},
    {Ctr::kDecryptedNotInspected, G::kSslInsp, "sessionsDecryptedNotInspected",
     "sessions decrypted but not inspected (decrypted service other, or HTTP/2 kept)"},
    {Ctr::kNotDecrypted, G::kSslInsp, "sessionsNotDecrypted",
     "sessions spliced byte for byte (source exception, never-decrypt, decryption policy, domain "
     "exclusion, disabled policy, no policy)"},
    {Ctr::kBypassed, G::kSslInsp, "sessionsBypassed",
     "sessions spliced because max-concurrent-connections was reached"},
    {Ctr::kBlocked, G::kSslInsp, "sessionsBlocked", "sessions the proxy closed (every cause)"},
    {Ctr::kBlockedByInspector, G::kSslInsp, "sessionsBlockedByInspector",
     "sessions closed by an inspector's block verdict"},
    {Ctr::kBlockedOverThreshold, G::kSslInsp, "sessionsBlockedOverThreshold",
     "sessions refused because max-concurrent-connections was reached (over-threshold block)"},
    {Ctr::kRefused, G::kSslInsp, "sessionsRefused",
     "sessions whose client handshake failed (versions, ciphers, compression, alerts)"},
    {Ctr::kCleartextDropped, G::kSslInsp, "sessionsCleartextDropped",
     "connections that sent non-TLS bytes on an SSL tuple, dropped"},
    {Ctr::kMalformedHello, G::kSslInsp, "sessionsMalformedHello",
     "connections whose ClientHello violated the TLS grammar, dropped"},
    {Ctr::kHelloTimeouts, G::kSslInsp, "sessionsHelloTimeout",
     "connections that sent no complete ClientHello in time, dropped"},
    {Ctr::kSourceExceptions, G::kSslInsp, "sessionsSourceException",
     "sessions not decrypted because the client matched a source exception"},
    {Ctr::kPolicyDisabled, G::kSslInsp, "sessionsPolicyDisabled",
     "sessions not decrypted because their server policy is disabled"},
    {Ctr::kNoPolicy, G::kSslInsp, "sessionsNoPolicy",
     "sessions that matched no SSL server or client policy, spliced"},
    {Ctr::kCleared, G::kSslInsp, "sessionsCleared",
     "SSL sessions closed by `debug np ssl-clear` or at shutdown"},
    {Ctr::kThresholdCrossings, G::kSslInsp, "thresholdCrossings",
     "times max-concurrent-connections was reached (one system log line each)"},
    {Ctr::kClientPolicySessions, G::kSslInsp, "clientPolicySessions",
     "sessions taken by an SSL client policy (outbound; any decision)"},
    {Ctr::kClientPolicyDisabled, G::kSslInsp, "sessionsClientPolicyDisabled",
     "sessions not decrypted because their client policy is disabled"},
    {Ctr::kNeverDecrypt, G::kSslInsp, "sessionsNeverDecrypt",
     "sessions not decrypted because the client matched the policy's never-decrypt addresses"},
    {Ctr::kAlwaysDecrypt, G::kSslInsp, "sessionsAlwaysDecrypt",
     "sessions decrypted because the client matched the policy's always-decrypt addresses "
     "(domains and exclusions not consulted)"},
    {Ctr::kPolicyDomain, G::kSslInsp, "sessionsPolicyDomain",
     "sessions not decrypted because the domain is in the decryption policy's domains"},
    {Ctr::kPolicyCategory, G::kSslInsp, "sessionsPolicyCategory",
     "sessions not decrypted because the domain is in a category of the decryption policy"},
    {Ctr::kCategoryOverrides, G::kSslInsp, "sessionsCategoryOverride",
     "sessions decrypted because the domain is a category override of the decryption policy"},
    {Ctr::kDomainExcluded, G::kSslInsp, "sessionsDomainExcluded",
     "sessions not decrypted because the domain is in the SSL client domain exclusions"},
    {Ctr::kCertificateNameExcluded, G::kSslInsp, "sessionsCertificateNameExcluded",
     "sessions without SNI whose server certificate names a domain that is not decrypted "
     "(the first is decrypted but not inspected, later ones to that server are spliced)"},
    {Ctr::kBlockedInvalidCertificate, G::kSslInsp, "sessionsBlockedInvalidCertificate",
     "sessions blocked because the server certificate is invalid (untrusted, key too short, "
     "wrong name) and block-invalid-certificates is on"},
    {Ctr::kBlockedExpiredCertificate, G::kSslInsp, "sessionsBlockedExpiredCertificate",
     "sessions blocked because the server certificate is expired or not yet valid and "
     "block-expired-certificates is on"},
    {Ctr::kBlockedClientCertificate, G::kSslInsp, "sessionsBlockedClientCertificate",
     "sessions closed because the server asked for a client certificate (cannot be inspected)"},
    {Ctr::kFailedConnections, G::kSslInsp, "failedConnections",
     "failed client policy handshakes with a domain (SNI), each a failed connection log entry"},
    {Ctr::kAutoExclusions, G::kSslInsp, "domainsAutoExcluded",
     "domains added to the automatic SSL client domain exclusions"},
    // npSslInspProtocolStats: how the two TLS legs negotiated, and why they failed.
    {Ctr::kClientSsl3, G::kSslInspProtocol, "clientSsl3", "client handshakes completed with SSLv3"},
    {Ctr::kClientTls10, G::kSslInspProtocol, "clientTls10",
     "client handshakes completed with TLS 1.0"},
    {Ctr::kClientTls11, G::kSslInspProtocol, "clientTls11",
     "client handshakes completed with TLS 1.1"},
    {Ctr::kClientTls12, G::kSslInspProtocol, "clientTls12",
     "client handshakes completed with TLS 1.2"},
    {Ctr::kClientTls13, G::kSslInspProtocol, "clientTls13",
     "client handshakes completed with TLS 1.3"},
    {Ctr::kClientCipherAesGcm, G::kSslInspProtocol, "clientCipherAesGcm",
     "client handshakes completed with an AES-GCM suite"},
    {Ctr::kClientCipherChacha20, G::kSslInspProtocol, "clientCipherChacha20",
     "client handshakes completed with a ChaCha20-Poly1305 suite"},
    {Ctr::kClientCipherAesCcm, G::kSslInspProtocol, "clientCipherAesCcm",
     "client handshakes completed with an AES-CCM suite"},
    {Ctr::kClientCipherAesCbc, G::kSslInspProtocol, "clientCipherAesCbc",
     "client handshakes completed with an AES-CBC suite"},
    {Ctr::kClientCipherOther, G::kSslInspProtocol, "clientCipherOther",
     "client handshakes that found no shared cipher suite, or completed with a suite of no family "
     "above: a possibly unsupported cipher"},
    {Ctr::kClientHandshakeFailures, G::kSslInspProtocol, "clientHandshakeFailures",
     "client handshakes that failed (every cause)"},
    {Ctr::kClientVersionFailures, G::kSslInspProtocol, "clientVersionFailures",
     "client handshakes that failed because no enabled protocol version was offered"},
    {Ctr::kHandshakeTimeouts, G::kSslInspProtocol, "handshakeTimeouts",
     "handshakes (either leg) that did not finish in time"},
    {Ctr::kServerSsl3, G::kSslInspProtocol, "serverSsl3", "server handshakes completed with SSLv3"},
    {Ctr::kServerTls10, G::kSslInspProtocol, "serverTls10",
     "server handshakes completed with TLS 1.0"},
    {Ctr::kServerTls11, G::kSslInspProtocol, "serverTls11",
     "server handshakes completed with TLS 1.1"},
    {Ctr::kServerTls12, G::kSslInspProtocol, "serverTls12",
     "server handshakes completed with TLS 1.2"},
    {Ctr::kServerTls13, G::kSslInspProtocol, "serverTls13",
     "server handshakes completed with TLS 1.3"},
    {Ctr::kServerCipherAesGcm, G::kSslInspProtocol, "serverCipherAesGcm",
     "server handshakes completed with an AES-GCM suite"},
    {Ctr::kServerCipherChacha20, G::kSslInspProtocol, "serverCipherChacha20",
     "server handshakes completed with a ChaCha20-Poly1305 suite"},
    {Ctr::kServerCipherAesCcm, G::kSslInspProtocol, "serverCipherAesCcm",
     "server handshakes completed with an AES-CCM suite"},
    {Ctr::kServerCipherAesCbc, G::kSslInspProtocol, "serverCipherAesCbc",
     "server handshakes completed with an AES-CBC suite"},
    {Ctr::kServerCipherOther, G::kSslInspProtocol, "serverCipherOther",
     "server handshakes that found no shared cipher suite, or completed with a suite of no family "
     "above"},
    {Ctr::kServerConnFailures, G::kSslInspProtocol, "serverConnFailures",
     "server connection failures: TCP connect or TLS handshake to the server failed"},
    {Ctr::kServerTcpConnectFailures, G::kSslInspProtocol, "serverTcpConnectFailures",
     "server connection failures at the TCP connect (refused, unreachable, timed out)"},
    {Ctr::kServerHandshakeFailures, G::kSslInspProtocol, "serverHandshakeFailures",
     "server connection failures in the TLS handshake (ciphers, versions, client certificate)"},
    {Ctr::kServerResumed, G::kSslInspProtocol, "serverResumed",
     "server handshakes that resumed a session the worker kept from the same server (no "
     "certificate sent, no key exchange signature)"},
    {Ctr::kServerCertificateRequests, G::kSslInspProtocol, "serverCertificateRequests",
     "servers that asked the proxy for a client certificate (the proxy sends none)"},
    {Ctr::kAlpnDowngrades, G::kSslInspProtocol, "alpnDowngrades",
     "sessions where the client offered h2 and http/1.1 was negotiated (HTTP/2 downgrade)"},
    {Ctr::kServerCertTrusted, G::kSslInspProtocol, "serverCertTrusted",
     "server certificates that chained to the trust store, named the host and were valid"},
    {Ctr::kServerCertUntrusted, G::kSslInspProtocol, "serverCertUntrusted",
     "server certificates that did not chain to the trust store (or none was sent)"},
    {Ctr::kServerCertKeyTooShort, G::kSslInspProtocol, "serverCertKeyTooShort",
     "server certificates with an RSA key below the client proxy's minimum key length"},
    {Ctr::kServerCertHostnameMismatch, G::kSslInspProtocol, "serverCertHostnameMismatch",
     "server certificates that do not name the host (SNI) the client asked for"},
    {Ctr::kServerCertExpired, G::kSslInspProtocol, "serverCertExpired",
     "server certificates outside their validity period"},
    {Ctr::kLeavesSigningCa, G::kSslInspProtocol, "leavesSigningCa",
     "client handshakes started with a leaf of the signing certificate (server trusted)"},
    {Ctr::kLeavesUntrustedCa, G::kSslInspProtocol, "leavesUntrustedCa",
     "client handshakes started with a leaf of the Untrusted Server CA (server not trusted)"},
    {Ctr::kMintFailures, G::kSslInspProtocol, "mintFailures",
     "sessions closed because no leaf could be minted"},
    {Ctr::kClientCertRejections, G::kSslInspProtocol, "clientCertRejections",
     "client handshakes the client ended with bad_certificate, certificate_unknown or unknown_ca "
     "(it rejected the minted leaf)"},
    // npTcpProxyStats: the TCP legs the kernel handed over and the proxy opened.
    {Ctr::kTcpAccepted, G::kTcpProxy, "tcpAccepted",
     "TCP connections accepted from the TPROXY listener (SSL and cleartext tuples)"},
    {Ctr::kTcpAcceptErrors, G::kTcpProxy, "tcpAcceptErrors",
     "accept() failures other than EAGAIN (descriptor or memory limits)"},
    {Ctr::kTcpActive, G::kTcpProxy, "tcpActive", "client connections open now", true},
    {Ctr::kTcpClosed, G::kTcpProxy, "tcpClosed", "client connections closed"},
    {Ctr::kTcpUpstreamConnects, G::kTcpProxy, "tcpUpstreamConnects",
     "transparent connections attempted to servers (client address kept)"},
    {Ctr::kTcpUpstreamConnected, G::kTcpProxy, "tcpUpstreamConnected",
     "transparent connections to servers established"},
    {Ctr::kTcpSpliced, G::kTcpProxy, "tcpSpliced",
     "sessions relayed with splice(2) (not decrypted or bypassed)"},
    {Ctr::kTcpBytesClientToServer, G::kTcpProxy, "tcpBytesClientToServer",
     "payload bytes delivered to servers (cleartext of decrypted sessions, raw of spliced ones)"},
    {Ctr::kTcpBytesServerToClient, G::kTcpProxy, "tcpBytesServerToClient",
     "payload bytes delivered to clients"},
    {Ctr::kTcpResetsToServer, G::kTcpProxy, "tcpResetsToServer",
     "TCP resets sent to servers for blocked sessions (the server proxy's tcp-reset option)"},
    {Ctr::kTcpResetsToClient, G::kTcpProxy, "tcpResetsToClient",
     "TCP resets sent to clients for blocked sessions (the client proxy's tcp-reset option)"},
    {Ctr::kTcpResetsReceived, G::kTcpProxy, "tcpResetsReceived",
     "connections a peer (client or server) reset"},
    // Sessions of cleartext inspection tuples (filters.cleartext-inspection); the tcp* counters
    // above count their legs and bytes too.
    {Ctr::kCleartextSessions, G::kTcpProxy, "cleartextSessions",
     "connections accepted on cleartext inspection tuples"},
    {Ctr::kCleartextSessionsActive, G::kTcpProxy, "cleartextSessionsActive",
     "cleartext sessions open now", true},
    {Ctr::kCleartextInspected, G::kTcpProxy, "cleartextInspected",
     "cleartext sessions relayed through the filters"},
    {Ctr::kCleartextNotInspected, G::kTcpProxy, "cleartextNotInspected",
     "cleartext sessions spliced without inspection (inspection bypass rule)"},
    {Ctr::kCleartextBlocked, G::kTcpProxy, "cleartextBlocked",
     "cleartext sessions blocked (by the filters, or the server connect failed)"},
    {Ctr::kCleartextBytesClientToServer, G::kTcpProxy, "cleartextBytesClientToServer",
     "payload bytes of cleartext sessions delivered to servers"},
    {Ctr::kCleartextBytesServerToClient, G::kTcpProxy, "cleartextBytesServerToClient",
     "payload bytes of cleartext sessions delivered to clients"},
};
static_assert(std::size(kCounterInfo) == static_cast<size_t>(Ctr::kCount),
              "every counter has one kCounterInfo entry");

constexpr bool inOrder() {
  for (size_t i = 0; i < std::size(kCounterInfo); ++i) {
    if (kCounterInfo[i].id != static_cast<Ctr>(i)) return false;
  }
  return true;
}
static_assert(inOrder(), "kCounterInfo is indexed by Ctr");

}  // namespace

std::span<const CounterInfo> counterInfo() {
  return kCounterInfo;
}

std::string_view groupName(CounterGroupId group) {
  switch (group) {
    case CounterGroupId::kSslInsp:
      return "npSslInspStats";
    case CounterGroupId::kSslInspProtocol:
      return "npSslInspProtocolStats";
    case CounterGroupId::kTcpProxy:
      return "npTcpProxyStats";
  }
  return "unknown";
}

std::vector<CounterGroup> sumCounters(std::span<const WorkerCounters* const> workers) {
  std::vector<CounterGroup> groups;
  for (auto id :
       {CounterGroupId::kSslInsp, CounterGroupId::kSslInspProtocol, CounterGroupId::kTcpProxy}) {
    CounterGroup group{std::string(groupName(id)), {}};
    for (const CounterInfo& info : kCounterInfo) {
      if (info.group != id) continue;
      uint64_t sum = 0;
      for (const WorkerCounters* w : workers)
        sum += w->get(info.id);
      group.values.emplace_back(std::string(info.name), sum);
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

}  // namespace vtps::proxy
