// Per-worker counters of the proxy engine, summed on read into the three TPS counter groups that
// `vtpsctl debug np stats show NAME` prints: npSslInspStats (session decisions),
// npSslInspProtocolStats (TLS versions, cipher families, handshake and server connection failures)
// and npTcpProxyStats (the TCP legs).
//
// Each worker owns one WorkerCounters and is its only writer, so an increment is a relaxed load and
// store (a plain add on x86, no lock prefix); the control thread reads them with relaxed loads. The
// block is cache-line aligned so two workers never share a line.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "dataplane/proxy/proxy_engine.h"

namespace vtps::proxy {

enum class CounterGroupId : uint8_t { kSslInsp, kSslInspProtocol, kTcpProxy };

// Every counter, grouped as printed. Names and meanings are in kCounterInfo (proxy_counters.cc)
// and in docs/architecture.md.
enum class Ctr : uint16_t {
  // npSslInspStats
  kSessionsActive,
  kDecrypted,
  kDecryptedNotInspected,
  kNotDecrypted,
  kBypassed,
  kBlocked,
  kBlockedByInspector,
  kBlockedOverThreshold,
  kRefused,
  kCleartextDropped,
  kMalformedHello,
  kHelloTimeouts,
  kSourceExceptions,
  kPolicyDisabled,
  kNoPolicy,
  kCleared,
  kThresholdCrossings,
  kClientPolicySessions,
  kClientPolicyDisabled,
  kNeverDecrypt,
  kAlwaysDecrypt,
  kPolicyDomain,
  kPolicyCategory,
  kCategoryOverrides,
  kDomainExcluded,
  kCertificateNameExcluded,
  kBlockedInvalidCertificate,
  kBlockedExpiredCertificate,
  kBlockedClientCertificate,
  kFailedConnections,
  kAutoExclusions,
  // npSslInspProtocolStats
  kClientSsl3,
  kClientTls10,
  kClientTls11,
  kClientTls12,
  kClientTls13,
  kClientCipherAesGcm,
  kClientCipherChacha20,
  kClientCipherAesCcm,
  kClientCipherAesCbc,
  kClientCipherOther,
  kClientHandshakeFailures,
  kClientVersionFailures,
  kHandshakeTimeouts,
  kServerSsl3,
  kServerTls10,
  kServerTls11,
  kServerTls12,
  kServerTls13,
  kServerCipherAesGcm,
  kServerCipherChacha20,
  kServerCipherAesCcm,
  kServerCipherAesCbc,
  kServerCipherOther,
  kServerConnFailures,
  kServerTcpConnectFailures,
  kServerHandshakeFailures,
  kServerResumed,
  kServerCertificateRequests,
  kAlpnDowngrades,
  kServerCertTrusted,
  kServerCertUntrusted,
  kServerCertKeyTooShort,
  kServerCertHostnameMismatch,
  kServerCertExpired,
  kLeavesSigningCa,
  kLeavesUntrustedCa,
  kMintFailures,
  kClientCertRejections,
  // npTcpProxyStats
  kTcpAccepted,
  kTcpAcceptErrors,
  kTcpActive,
  kTcpClosed,
  kTcpUpstreamConnects,
  kTcpUpstreamConnected,
  kTcpSpliced,
  kTcpBytesClientToServer,
  kTcpBytesServerToClient,
  kTcpResetsToServer,
  kTcpResetsToClient,
  kTcpResetsReceived,
  kCleartextSessions,
  kCleartextSessionsActive,
  kCleartextInspected,
  kCleartextNotInspected,
  kCleartextBlocked,
  kCleartextBytesClientToServer,
  kCleartextBytesServerToClient,
  kCount,
};

struct CounterInfo {
  Ctr id;
  CounterGroupId group;
  std::string_view name;     // as printed, e.g. "clientCipherOther"
  std::string_view meaning;  // one line, for docs and `--help`
  bool gauge = false;        // goes down as well as up (a current count)
};

// Every counter in print order; kCounterInfo[i].id == Ctr(i).
std::span<const CounterInfo> counterInfo();
std::string_view groupName(CounterGroupId group);

class alignas(64) WorkerCounters {
 public:
  void add(Ctr c, uint64_t n = 1) {
    auto& v = values_[static_cast<size_t>(c)];
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void sub(Ctr c, uint64_t n = 1) {
    auto& v = values_[static_cast<size_t>(c)];
    v.store(v.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
  }
  uint64_t get(Ctr c) const {
    return values_[static_cast<size_t>(c)].load(std::memory_order_relaxed);
  }

 private:
  std::array<std::atomic<uint64_t>, static_cast<size_t>(Ctr::kCount)> values_{};
};

// Sums the workers' counters into the three groups, in print order.
std::vector<CounterGroup> sumCounters(std::span<const WorkerCounters* const> workers);

}  // namespace vtps::proxy
