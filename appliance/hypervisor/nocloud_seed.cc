#include "appliance/hypervisor/nocloud_seed.h"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <charconv>

namespace vtps::hypervisor {
namespace {

// "A.B.C.D/P" plus `offset` in the host part; refuses to leave the prefix or to land on its
// network or broadcast address.
Result<std::string> offsetAddress(const std::string& cidr, int offset) {
  std::string what = "day-0 vtps.management.address: ";
  auto slash = cidr.find('/');
  if (slash == std::string::npos) return Error{what + "\"" + cidr + "\" is not ADDRESS/PREFIX"};
  std::string addr = cidr.substr(0, slash);
  int prefix = -1;
  auto [end, ec] = std::from_chars(cidr.data() + slash + 1, cidr.data() + cidr.size(), prefix);
  in_addr in{};
  if (ec != std::errc{} || end != cidr.data() + cidr.size() || prefix < 8 || prefix > 30 ||
      inet_pton(AF_INET, addr.c_str(), &in) != 1) {
    return Error{what + "\"" + cidr + "\" is not ADDRESS/PREFIX (prefix 8..30)"};
  }
  uint32_t host = ntohl(in.s_addr);
  uint32_t mask = ~uint32_t{0} << (32 - prefix);
  uint32_t moved = host + static_cast<uint32_t>(offset);
  if ((moved & mask) != (host & mask) || (moved & ~mask) == ~mask || (moved & ~mask) == 0) {
    in_addr net{htonl(host & mask)};
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &net, buf, sizeof buf);
    return Error{what + cidr + " + " + std::to_string(offset) + " leaves " + buf + "/" +
                 std::to_string(prefix)};
  }
  in_addr out{htonl(moved)};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &out, buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(prefix);
}

Result<YAML::Node> loadDay0(std::string_view day0_yaml) {
  YAML::Node doc;
  try {
    doc = YAML::Load(std::string(day0_yaml));
  } catch (const YAML::Exception& e) {
    return Error{"day-0 config: " + std::string(e.what())};
  }
  if (doc.IsNull()) doc = YAML::Node(YAML::NodeType::Map);
  if (!doc.IsMap()) return Error{"day-0 config: expected a mapping (a #cloud-config document)"};
  if (!doc["vtps"]) doc["vtps"] = YAML::Node(YAML::NodeType::Map);
  if (!doc["vtps"].IsMap()) return Error{"day-0 config: vtps: expected a mapping"};
  return doc;
}

}  // namespace

Result<SeedFiles> makeSeed(const DomainSpec& spec, std::string_view day0_yaml) {
  auto loaded = loadDay0(day0_yaml);
  if (!loaded.ok()) return loaded.error();
  YAML::Node doc = loaded.value();
  YAML::Node vtps = doc["vtps"];
  // A single instance (index 0) may keep the hostname the operator chose; group members are
  // named after themselves so that logs and metrics tell them apart.
  if (spec.instance > 0 || !vtps["hostname"]) vtps["hostname"] = spec.name;
  YAML::Node mgmt = vtps["management"];
  if (spec.instance > 1 && mgmt && mgmt.IsMap() && mgmt["address"]) {
    if (!mgmt["address"].IsScalar()) {
      return Error{"day-0 vtps.management.address: expected ADDRESS/PREFIX"};
    }
    auto moved = offsetAddress(mgmt["address"].as<std::string>(), spec.instance - 1);
    if (!moved.ok()) return moved.error();
    mgmt["address"] = moved.value();
  }
  YAML::Emitter out;
  out << doc;
  SeedFiles seed;
  seed.user_data = "#cloud-config\n" + std::string(out.c_str()) + "\n";
  seed.meta_data = "instance-id: " + spec.name +
                   "\nlocal-hostname: " + vtps["hostname"].as<std::string>() + "\n";
  return seed;
}

}  // namespace vtps::hypervisor
