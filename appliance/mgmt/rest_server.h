// The management REST API over HTTPS (rest_api.h does the work; this is the transport). HTTPS
// only: the certificate and key are STATE_DIR/management-cert.pem and management-key.pem,
// generated self-signed at first start and replaceable (PUT /api/v1/device/management-
// certificate, or by writing the two files). The minimum TLS version is device.management.min-tls
// (TLS 1.2 unless the config names an older one explicitly).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "appliance/config/config.h"
#include "appliance/mgmt/rest_api.h"
#include "crypto/result.h"

namespace vtps::mgmt {

struct RestServerOptions {
  std::string listen = "0.0.0.0:8443";  // "ADDRESS:PORT"; port 0 picks a free one
  config::TlsVersion min_tls = config::TlsVersion::kTls12;
  std::string state_dir;
  std::string log_dir;
  int threads = 4;
};

// Creates STATE_DIR (0700) and a self-signed P-256 certificate for the host name (and
// "localhost", 127.0.0.1) with its key (0600) when either file is missing; leaves existing
// files alone. Returns whether it generated them.
Result<bool> ensureManagementCertificate(const std::string& state_dir);

class RestServer {
 public:
  static Result<std::unique_ptr<RestServer>> create(RestServerOptions options, ControlCall control);
  ~RestServer();
  RestServer(const RestServer&) = delete;
  RestServer& operator=(const RestServer&) = delete;

  uint16_t port() const;

  class Impl;

 private:
  explicit RestServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vtps::mgmt
