#pragma once
// Which AP queues exist, who owns them, and what a guest really gets: the filtering vfio_ap applies to an mdev's
// matrix before it goes into the guest's APCB (vfio_ap_mdev_filter_matrix, kernel-ap-vfio.md §1).

#include "sim/scenario/id_set.hpp"
#include "sim/scenario/scenario.hpp"

#include <array>

namespace apq {

/** The host's AP configuration: configured adapters with their domains, the apmask/aqmask reservation, and which
 * driver each queue is bound to. The masks say where a queue should go; the binding changes when the AP bus
 * reprobes the queue (after a mask store released ap_perms), which is the window of the v12 stolen-queue race. */
class HostConfig {
public:
  explicit HostConfig(const Scenario& scenario);

  bool queue_exists(int adapter, int domain) const { return card_domains_[adapter].contains(domain); }
  /** A queue vfio_ap may give to a guest: it exists, vfio_ap drives it, and its removal has not begun. */
  bool bound_to_vfio(int adapter, int domain) const {
    return queue_exists(adapter, domain) && vfio_bound_[adapter].contains(domain) &&
           !departing_[adapter].contains(domain);
  }
  /** What a driver-binding check sees (dev->driver): vfio_ap until its remove callback has returned. */
  bool driven_by_vfio(int adapter, int domain) const {
    return queue_exists(adapter, domain) && vfio_bound_[adapter].contains(domain);
  }
  const IdSet& adapters() const { return adapters_; }
  const IdSet& domains() const { return domains_; }
  const HostMasks& masks() const { return masks_; }
  void set_masks(const HostMasks& masks) { masks_ = masks; }
  void set_binding(int adapter, int domain, bool vfio);
  /** vfio_ap's remove callback for the queue is running: the guest must lose it, the binding is not yet gone. */
  void set_departing(int adapter, int domain, bool departing);
  void set_adapter_online(int adapter, bool online);

private:
  std::array<IdSet, kMaxApId + 1> configured_domains_; // as configured, kept for online again
  std::array<IdSet, kMaxApId + 1> card_domains_;       // as currently visible
  std::array<IdSet, kMaxApId + 1> vfio_bound_;
  std::array<IdSet, kMaxApId + 1> departing_;
  IdSet adapters_;
  IdSet domains_;
  HostMasks masks_;
};

/** What the guest gets: its shadow APCB. Usable queues are adapters x domains. */
struct Apcb {
  IdSet adapters;
  IdSet domains;
  IdSet control_domains;
  std::size_t queue_count() const { return adapters.size() * domains.size(); }
};

/** An adapter with any APQN (adapter x assigned domain) not bound to vfio_ap is dropped whole; domains never. */
Apcb filter_matrix(const MdevSpec& mdev, const HostConfig& host);

} // namespace apq
