// A connection to a libvirt hypervisor (libvirt's C API): define, start, stop, inspect and
// undefine domains. Any URI libvirt knows works: qemu:///system on a KVM host, test:///default
// in tests (libvirt's in-memory driver: state lives as long as the connection).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.h"

namespace vtps::hypervisor {

enum class DomainState {
  kNoState,
  kRunning,
  kBlocked,
  kPaused,
  kShuttingDown,
  kShutOff,
  kCrashed,
  kSuspended
};
// virsh's words: "running", "shut off", "paused", ...
std::string_view toString(DomainState state);

struct DomainStatus {
  std::string name;
  DomainState state = DomainState::kNoState;
  bool persistent = false;
  int vcpus = 0;
  uint64_t memory_kib = 0;
};

class Hypervisor {
 public:
  // Opens `uri` (with libvirt's default authentication callbacks). Errors carry libvirt's reason:
  // `connect to qemu:///system: Failed to connect socket …: No such file or directory`.
  static Result<Hypervisor> connect(const std::string& uri);
  Hypervisor(Hypervisor&&) noexcept;
  Hypervisor& operator=(Hypervisor&&) noexcept;
  ~Hypervisor();

  const std::string& uri() const { return uri_; }
  // The libvirt domain type to ask for: "kvm" where the driver offers it, else "qemu" (TCG);
  // "test" on the test driver.
  Result<std::string> preferredDomainType() const;

  // Defines (or redefines, keeping the UUID) a persistent domain from XML; returns its name.
  Result<std::string> define(const std::string& xml);
  // Starts a defined domain; a running one is left running (success).
  Status start(const std::string& name);
  // Asks the guest to shut down (ACPI) and waits up to `timeout_s` for it to be off; `force`
  // powers it off at once. A domain that is already off is a success.
  Status stop(const std::string& name, bool force, int timeout_s = 120);
  // Removes the definition (and UEFI variables) of a domain that is off.
  Status undefine(const std::string& name);
  Result<DomainStatus> status(const std::string& name) const;
  Result<std::vector<DomainStatus>> list() const;          // every domain, sorted by name
  Result<std::string> xml(const std::string& name) const;  // the domain's live/persistent XML

 private:
  struct Connection;
  Hypervisor(std::string uri, std::unique_ptr<Connection> conn);
  std::string uri_;
  std::unique_ptr<Connection> conn_;
};

}  // namespace vtps::hypervisor
