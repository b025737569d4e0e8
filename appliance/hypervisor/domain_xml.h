// libvirt domain XML for a vtps instance. The XML follows libvirt's domain schema
// (`virt-xml-validate FILE domain` accepts it) and encodes the appliance's needs: the guest's
// crypto relies on AES-NI and RDRAND, so the CPU is host-passthrough and requires both (libvirt
// refuses to start it on a host without them instead of the guest running slowly); in
// performance mode every vCPU is pinned to its own host core and memory comes from hugepages.
#pragma once

#include <string>

#include "appliance/hypervisor/domain_spec.h"
#include "crypto/result.h"

namespace vtps::hypervisor {

// Validates `spec` (validateDomainSpec) and renders it. Device order is part of the contract:
// the management NIC comes first, then the data ports in the order given, so that the guest
// (net.ifnames=0) sees eth0 as management and eth1.. as data ports.
Result<std::string> domainXml(const DomainSpec& spec);

// Text made safe for XML character data and single- or double-quoted attributes.
std::string xmlEscape(std::string_view text);

}  // namespace vtps::hypervisor
