// Peers for the SSL client inspection tests, on top of NetnsLab:
//  - ClientPki: a test "public" CA (the origins' issuer, put in the proxy's trust store) and the
//    origins' certificates: good ones, an expired one, a self-signed one, one for the wrong
//    host, one with an RSA-1024 key;
//  - SniOrigin: one TLS origin on 10.10.2.2:443 that answers as many hosts, choosing the
//    certificate by SNI, asking "mtls.test" clients for a certificate (optional, so that a client
//    without one still gets through), selecting h2 when offered, and echoing what it reads;
//  - Probe: a client in the client namespace that records what it was shown (issuer, subject,
//    ALPN, whether the chain verified against its anchors), and in "pinned" mode rejects every
//    certificate that does not verify against its anchors with alert certificate_unknown (46),
//    as clients with pinned certificates do.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "crypto/ossl.h"
#include "dataplane/proxy/unique_fd.h"
#include "tests/dataplane/proxy_engine/netns_lab.h"

namespace vtps::proxy::testing {

inline constexpr const char* kPublicCaName = "vtps test public CA";

struct OriginCert {
  ossl::X509Ptr cert;
  ossl::EvpPkeyPtr key;
};

class ClientPki {
 public:
  ClientPki();
  X509* publicCa() const { return public_ca_.cert.get(); }
  std::string publicCaPem() const;
  // The certificate the origin presents for `sni` ("" or unknown: the default, good one).
  const OriginCert& forHost(const std::string& sni) const;

 private:
  OriginCert public_ca_;
  OriginCert good_;  // every good test host in its subjectAltNames
  std::map<std::string, OriginCert> special_;
};

class SniOrigin {
 public:
  SniOrigin(const NetnsLab& lab, const ClientPki& pki);
  ~SniOrigin();
  bool ok() const { return listener_.valid(); }
  int accepted() const { return accepted_.load(); }
  // SNIs the origin saw, in order ("" for none).
  std::vector<std::string> snis();

 private:
  static int onServerName(SSL* ssl, int* alert, void* arg);
  void acceptLoop();
  void serve(UniqueFd fd);

  const ClientPki& pki_;
  ossl::SslCtxPtr ctx_;
  UniqueFd listener_;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::vector<std::string> snis_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

class Probe {
 public:
  struct Options {
    std::string sni;
    std::vector<std::string> alpn;
    std::vector<X509*> anchors;  // what this client trusts
    bool pinned = false;         // reject (alert 46) what does not verify against `anchors`
  };
  Probe(const NetnsLab& lab, const Options& options);
  bool connected() const { return connected_; }
  const std::string& error() const { return error_; }
  std::string issuerCn() const;
  std::string subjectCn() const;
  std::string alpn() const;
  // Chain verified against the anchors, and the name against the SNI (when there is one).
  bool verified() const;
  std::string roundTrip(const std::string& data);

 private:
  UniqueFd fd_;
  ossl::SslCtxPtr ctx_;
  ossl::SslPtr ssl_;
  bool connected_ = false;
  std::string error_;
};

}  // namespace vtps::proxy::testing
