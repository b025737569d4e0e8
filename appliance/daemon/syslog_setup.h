// device.syslog -> the SyslogForwarder's collectors: addresses split, the keystore CA that
// verifies each TLS collector loaded as PEM, facility and log names mapped.
#pragma once

#include <memory>

#include "appliance/config/config.h"
#include "appliance/telemetry/syslog_forwarder.h"
#include "crypto/keystore.h"
#include "crypto/result.h"

namespace vtps::daemon {

// Null when the config names no collector. Errors: "syslog ADDRESS: ca-certificate NAME:
// <keystore cause>".
Result<std::unique_ptr<telemetry::SyslogForwarder>> startSyslog(const config::Device& device,
                                                                const crypto::Keystore& keystore);

}  // namespace vtps::daemon
