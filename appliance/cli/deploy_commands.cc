// `vtpsctl deploy xml|define|start|stop|status|scale|undefine`: deploys the appliance image on a
// libvirt host (qemu:///system by default). The VM is sized from the appliance config given with
// the global --config: one vCPU per guest CPU its cores use (vCPU 0 included, for housekeeping),
// every vCPU pinned one to one to --host-cpus, and hugepage-backed memory when device.mode is
// performance. Instance disks (qcow2 overlays of --image) and NoCloud seeds (from --day0) go to
// --state-dir.
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "appliance/cli/context.h"
#include "appliance/hypervisor/domain_xml.h"
#include "appliance/hypervisor/hypervisor.h"
#include "appliance/hypervisor/instance_group.h"
#include "crypto/file_util.h"

namespace vtps::cli {
namespace {

namespace hv = vtps::hypervisor;

struct DeployOptions {
  std::string uri = "qemu:///system";
  std::string name = "vtps";
  std::string image;
  std::string state_dir = "/var/lib/libvirt/images/vtps";
  std::string day0_file;
  std::string domain_type;  // xml only; define/scale ask the connection
  uint64_t memory_mib = 4096;
  int vcpus = 0;  // 0: from the config's cores
  std::string host_cpus;
  std::string emulator_cpus;
  std::string mode;  // "", standard, performance (overrides device.mode)
  std::string hugepage_size = "2M";
  std::string management = "network:default";
  std::vector<std::string> data_ports;
  int count = 1;
  bool force = false;
  int timeout_s = 120;
};

// Guest CPUs the config uses: vCPU 0 plus every proxy and dataplane core.
int vcpusForConfig(const config::Config& cfg) {
  int highest = 0;
  for (int c : cfg.device.proxy_cores)
    highest = std::max(highest, c);
  for (int c : cfg.device.dataplane_cores)
    highest = std::max(highest, c);
  return std::max(2, highest + 1);
}

Result<std::vector<hv::DataPort>> dataPorts(const DeployOptions& o, int dataplane_cores) {
  std::vector<hv::DataPort> ports;
  for (const std::string& text : o.data_ports) {
    auto port = hv::parseDataPort(text);
    if (!port.ok()) return port.error();
    // One queue pair per dataplane lcore unless the operator said otherwise.
    if (text.find("queues=") == std::string::npos) port->queues = std::max(1, dataplane_cores);
    ports.push_back(port.value());
  }
  return ports;
}

Status applyCpus(const DeployOptions& o, const config::Config& cfg, bool performance,
                 hv::GroupRequest& request) {
  hv::DomainSpec& spec = request.group_template;
  int needed = vcpusForConfig(cfg);
  if (o.vcpus != 0 && o.vcpus < needed) {
    return Error{"--vcpus " + std::to_string(o.vcpus) + ": the config's cores need " +
                 std::to_string(needed) + " vCPUs"};
  }
  spec.vcpus = o.vcpus != 0 ? o.vcpus : needed;
  if (!o.host_cpus.empty()) {
    auto cpus = hv::parseCpuList(o.host_cpus);
    if (!cpus.ok()) return Error{"--host-cpus: " + cpus.message()};
    request.host_cpus = cpus.value();
  } else if (performance) {
    return Error{"performance mode pins every vCPU to a host core: --host-cpus is required"};
  }
  if (!o.emulator_cpus.empty()) {
    auto cpus = hv::parseCpuList(o.emulator_cpus);
    if (!cpus.ok()) return Error{"--emulator-cpus: " + cpus.message()};
    for (int cpu : cpus.value()) {
      if (std::find(request.host_cpus.begin(), request.host_cpus.end(), cpu) !=
          request.host_cpus.end()) {
        return Error{"--emulator-cpus: host CPU " + std::to_string(cpu) +
                     " is also pinned to a vCPU"};
      }
    }
    spec.emulator_pins = cpus.value();
  }
  return Status::success();
}

Result<hv::GroupRequest> buildRequest(Context& ctx, const DeployOptions& o) {
  auto cfg = ctx.loadConfig();
  if (!cfg.ok()) return cfg.error();
  if (o.image.empty()) return Error{"--image: the appliance qcow2 is required"};
  bool performance = o.mode.empty() ? cfg.value()->device.mode == config::DeviceMode::kPerformance
                                    : o.mode == "performance";
  hv::GroupRequest request;
  request.state_dir = o.state_dir;
  hv::DomainSpec& spec = request.group_template;
  spec.name = o.name;
  spec.disk = o.image;
  spec.memory_mib = o.memory_mib;
  if (performance) spec.hugepage_kib = o.hugepage_size == "1G" ? 1048576 : 2048;
  VTPS_RETURN_IF_ERROR(applyCpus(o, *cfg.value(), performance, request));
  auto mgmt = hv::parseNetSource(o.management);
  if (!mgmt.ok()) return Error{"--mgmt: " + mgmt.message()};
  spec.management = mgmt.value();
  auto ports = dataPorts(o, static_cast<int>(cfg.value()->device.dataplane_cores.size()));
  if (!ports.ok()) return ports.error();
  spec.data_ports = ports.value();
  if (!o.day0_file.empty()) {
    auto day0 = crypto::readFile(o.day0_file);
    if (!day0.ok()) return Error{"--day0: " + day0.message()};
    request.day0_yaml = day0.value();
  }
  return request;
}

void printStatus(const std::vector<hv::DomainStatus>& domains) {
  std::printf("%-24s %-12s %5s %10s\n", "NAME", "STATE", "VCPUS", "MEMORY_MIB");
  for (const hv::DomainStatus& d : domains) {
    std::printf("%-24s %-12s %5d %10llu\n", d.name.c_str(), std::string(toString(d.state)).c_str(),
                d.vcpus, static_cast<unsigned long long>(d.memory_kib / 1024));
  }
}

Status deployXml(Context& ctx, const DeployOptions& o) {
  auto request = buildRequest(ctx, o);
  if (!request.ok()) return request.error();
  request->group_template.domain_type = o.domain_type.empty() ? "kvm" : o.domain_type;
  auto spec = hv::planInstance(request.value(), 0);
  if (!spec.ok()) return spec.error();
  auto xml = hv::domainXml(spec.value());
  if (!xml.ok()) return xml.error();
  std::cout << xml.value();
  return Status::success();
}

Result<hv::Hypervisor> connectFor(hv::GroupRequest& request, const std::string& uri) {
  auto conn = hv::Hypervisor::connect(uri);
  if (!conn.ok()) return conn.error();
  auto type = conn->preferredDomainType();
  if (!type.ok()) return type.error();
  request.group_template.domain_type = type.value();
  return conn;
}

Status deployDefine(Context& ctx, const DeployOptions& o, bool start) {
  auto request = buildRequest(ctx, o);
  if (!request.ok()) return request.error();
  auto conn = connectFor(request.value(), o.uri);
  if (!conn.ok()) return conn.error();
  auto spec = hv::deployInstance(conn.value(), request.value(), 0, start);
  if (!spec.ok()) return spec.error();
  std::cout << (start ? "started " : "defined ") << spec->name << " (disk " << spec->disk
            << ", seed " << spec->seed_iso << ")\n";
  return Status::success();
}

Status deployScale(Context& ctx, const DeployOptions& o) {
  auto request = buildRequest(ctx, o);
  if (!request.ok()) return request.error();
  auto conn = connectFor(request.value(), o.uri);
  if (!conn.ok()) return conn.error();
  auto report = hv::scaleGroup(conn.value(), request.value(), o.count);
  if (!report.ok()) return report.error();
  for (const std::string& name : report->running)
    std::cout << "running " << name << '\n';
  for (const std::string& name : report->removed)
    std::cout << "removed " << name << '\n';
  return Status::success();
}

Status deployOnDomain(const DeployOptions& o, const std::string& action) {
  auto conn = hv::Hypervisor::connect(o.uri);
  if (!conn.ok()) return conn.error();
  if (action == "start") VTPS_RETURN_IF_ERROR(conn->start(o.name));
  if (action == "stop") VTPS_RETURN_IF_ERROR(conn->stop(o.name, o.force, o.timeout_s));
  if (action == "undefine") VTPS_RETURN_IF_ERROR(conn->undefine(o.name));
  if (action == "status") {
    auto members = hv::groupStatus(conn.value(), o.name);
    if (!members.ok()) return members.error();
    if (members->empty()) return Error{"status: no instance of \"" + o.name + "\" on " + o.uri};
    printStatus(members.value());
    return Status::success();
  }
  std::cout << (action == "start"  ? "started "
                : action == "stop" ? "stopped "
                                   : "undefined ")
            << o.name << '\n';
  return Status::success();
}

void addSpecOptions(CLI::App* cmd, DeployOptions& o) {
  cmd->add_option("--image", o.image, "appliance qcow2 (instances get overlays of it)")->required();
  cmd->add_option("--state-dir", o.state_dir,
                  "instance disks and seeds (/var/lib/libvirt/images/vtps)");
  cmd->add_option("--day0", o.day0_file, "day-0 cloud-config (vtps: mapping) for the seed");
  cmd->add_option("--memory", o.memory_mib, "guest memory in MiB (4096)");
  cmd->add_option("--vcpus", o.vcpus, "vCPUs (default: what the config's cores need)");
  cmd->add_option("--host-cpus", o.host_cpus, "host CPUs to pin vCPUs to, one each (e.g. 2-5)");
  cmd->add_option("--emulator-cpus", o.emulator_cpus, "host CPUs for QEMU's own threads");
  cmd->add_option("--mode", o.mode, "standard | performance (default: the config's device.mode)")
      ->check(CLI::IsMember({"standard", "performance"}));
  cmd->add_option("--hugepage-size", o.hugepage_size, "performance mode page size: 2M | 1G")
      ->check(CLI::IsMember({"2M", "1G"}));
  cmd->add_option("--mgmt", o.management, "management NIC: network:N | bridge:N | tap:N");
  cmd->add_option("--data-port", o.data_ports,
                  "data port (repeat): network:N|bridge:N|tap:N[,queues=Q][,mac=M] or "
                  "vf:DDDD:BB:SS.F[,vlan=V][,mac=M]");
}

}  // namespace

void addDeployCommands(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<DeployOptions>();
  auto* deploy = app.add_subcommand("deploy", "deploy the appliance image on a libvirt host");
  deploy->require_subcommand(1);
  deploy->add_option("--connect", o->uri, "libvirt URI (qemu:///system)");

  auto* xml = deploy->add_subcommand("xml", "print the libvirt domain XML of an instance");
  xml->add_option("--name", o->name, "instance name (vtps)");
  xml->add_option("--domain-type", o->domain_type, "libvirt domain type (kvm)");
  addSpecOptions(xml, *o);
  xml->callback([&ctx, o] { runCommand(ctx, [&] { return deployXml(ctx, *o); }); });

  auto* define = deploy->add_subcommand("define", "create disk and seed, define the domain");
  define->add_option("--name", o->name, "instance name (vtps)");
  auto start_now = std::make_shared<bool>(false);
  define->add_flag("--start", *start_now, "start it too");
  addSpecOptions(define, *o);
  define->callback(
      [&ctx, o, start_now] { runCommand(ctx, [&] { return deployDefine(ctx, *o, *start_now); }); });

  auto* scale = deploy->add_subcommand("scale", "run exactly --count instances NAME-1..NAME-N");
  scale->add_option("--name", o->name, "group name (vtps)");
  scale->add_option("--count", o->count, "number of instances")
      ->required()
      ->check(CLI::Range(0, 64));
  addSpecOptions(scale, *o);
  scale->callback([&ctx, o] { runCommand(ctx, [&] { return deployScale(ctx, *o); }); });

  for (const char* action : {"start", "stop", "status", "undefine"}) {
    std::string what = std::string(action) == "status" ? "show an instance or group"
                                                       : std::string(action) + " an instance";
    auto* cmd = deploy->add_subcommand(action, what);
    cmd->add_option("--name", o->name, "instance (or, for status, group) name (vtps)");
    if (std::string(action) == "stop") {
      cmd->add_flag("--force", o->force, "power off at once instead of an ACPI shutdown");
      cmd->add_option("--timeout", o->timeout_s, "seconds to wait for the guest (120)");
    }
    std::string name(action);
    cmd->callback([&ctx, o, name] { runCommand(ctx, [&] { return deployOnDomain(*o, name); }); });
  }
}

}  // namespace vtps::cli
