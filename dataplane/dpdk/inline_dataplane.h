// The dpdk dataplane of a running vtpsd: the EAL plan built from the config and checked against
// the host, EAL initialised with it, the segment ports found by name and forwarded on the
// dataplane cores. EAL initialises once per process, so a second start() in one process fails;
// changes to segments, cores or mode take effect when vtpsd restarts.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "appliance/config/config.h"
#include "crypto/result.h"
#include "dataplane/dpdk/eal_plan.h"
#include "dataplane/dpdk/host_facts.h"
#include "dataplane/dpdk/segment_forwarder.h"

namespace vtps::dpdk {

class InlineDataplane {
 public:
  // Errors: the plan's (cores, hugepages, ports; all reasons at once), EAL's, a segment port
  // EAL did not probe, or the forwarder's. `inspection` carries the filter engine (none:
  // bridging only) and the fallback listener; the fallback mode and the inspection budget
  // come from the config (device.dataplane-fallback, device.dataplane-inspection-budget).
  // `steering` is the SSL tuples steered into the segments' exception ports (one per segment
  // when SSL inspection is on at start; exception_steering.h) and `proxy_available` whether the
  // proxy takes them (null: always).
  static Result<std::unique_ptr<InlineDataplane>> start(
      const config::Config& config, const HostFacts& host, const EalOptions& options = {},
      InspectionOptions inspection = {}, std::vector<SteerTuple> steering = {},
      const std::atomic<bool>* proxy_available = nullptr);
  ~InlineDataplane();
  InlineDataplane(const InlineDataplane&) = delete;
  InlineDataplane& operator=(const InlineDataplane&) = delete;

  const EalPlan& plan() const { return plan_; }
  ForwarderSnapshot snapshot() const { return forwarder_->snapshot(); }
  void setSteering(std::vector<SteerTuple> tuples) { forwarder_->setSteering(std::move(tuples)); }

 private:
  InlineDataplane(EalPlan plan, std::unique_ptr<SegmentForwarder> forwarder);
  EalPlan plan_;
  std::unique_ptr<SegmentForwarder> forwarder_;
};

}  // namespace vtps::dpdk
