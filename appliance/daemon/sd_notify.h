// systemd's readiness protocol (sd_notify(3)) without libsystemd: one datagram with "KEY=VALUE"
// lines to the AF_UNIX socket named by $NOTIFY_SOCKET ('@' prefix: abstract namespace).
#pragma once

#include <string_view>

#include "crypto/result.h"

namespace vtps::daemon {

// Sends `state` (e.g. "READY=1\nSTATUS=running") to $NOTIFY_SOCKET. Succeeds without doing
// anything when the variable is unset (not started by systemd, or Type=simple).
Status notifySystemd(std::string_view state);

}  // namespace vtps::daemon
