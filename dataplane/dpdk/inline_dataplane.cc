#include "dataplane/dpdk/inline_dataplane.h"

#include "dataplane/dpdk/eal.h"

namespace vtps::dpdk {

Result<std::unique_ptr<InlineDataplane>> InlineDataplane::start(
    const config::Config& config, const HostFacts& host, const EalOptions& options,
    InspectionOptions inspection, std::vector<SteerTuple> steering,
    const std::atomic<bool>* proxy_available) {
  Result<EalPlan> plan = buildEalPlan(config, host, options);
  if (!plan.ok()) return plan.error();
  VTPS_RETURN_IF_ERROR(initEal(plan->args));
  std::vector<ForwarderSegment> segments;
  for (const SegmentPlan& s : plan->segments) {
    ForwarderSegment seg{s.name, {0, 0}, s.vlans, s.sources, s.destinations, ""};
    for (const config::Segment& c : config.segments) {
      if (c.name == s.name) seg.profile = c.profile;
    }
    for (int i = 0; i < 2; ++i) {
      Result<uint16_t> id = portIdByName(s.ports[i].name);
      if (!id.ok()) return Error{"segment \"" + s.name + "\": " + id.message()};
      seg.ports[i] = *id;
    }
    if (!s.exception_interface.empty()) {
      Result<uint16_t> id = portIdByName(s.exception.name);
      if (!id.ok()) return Error{"segment \"" + s.name + "\" exception port: " + id.message()};
      seg.exception_port = *id;
    }
    segments.push_back(std::move(seg));
  }
  ForwarderOptions fo;
  fo.lcores = workerLcores();
  fo.busy_poll = plan->busy_poll;
  fo.inspection = std::move(inspection);
  fo.inspection.fallback =
      config.device.dataplane_fallback == config::DataplaneFallback::kFailClosed
          ? FallbackMode::kFailClosed
          : FallbackMode::kFailOpen;
  fo.inspection.budget = config.device.dataplane_inspection_budget / 100.0;
  fo.steering = steering;
  fo.proxy_available = proxy_available;
  auto forwarder = SegmentForwarder::start(std::move(segments), std::move(fo));
  if (!forwarder.ok()) return forwarder.error();
  return std::unique_ptr<InlineDataplane>(
      new InlineDataplane(std::move(plan.value()), std::move(forwarder.value())));
}

InlineDataplane::InlineDataplane(EalPlan plan, std::unique_ptr<SegmentForwarder> forwarder)
    : plan_(std::move(plan)), forwarder_(std::move(forwarder)) {}

InlineDataplane::~InlineDataplane() = default;

}  // namespace vtps::dpdk
