#pragma once
// The host's AP configuration at its three levels, as the kernel keeps them apart (models/README.md, "AP bus"):
//  - the hardware: which adapters are configured now (what PQAP(QCI) answers);
//  - the AP bus: the QCI it saw at its last scan and the queue devices that scan created, each bound to a driver
//    (vfio_ap, the default driver cex4queue, or none) by ap_device_probe() against the ap_perms of that moment;
//  - vfio_ap: its own copy of the QCI (matrix_dev->info), updated by its on_config_changed callback, which
//    vfio_ap_mdev_filter_matrix() filters against.
// Plus ap_perms (apmask/aqmask). Plain data: the control plane's effects change it, step by step.

#include "sim/scenario/id_set.hpp"
#include "sim/scenario/scenario.hpp"

#include <array>
#include <utility>
#include <vector>

namespace apq {

/** The driver a queue device is bound to. */
enum class QueueDriver { none, vfio, host };

/** What PQAP(QCI) reports: the configured adapters and domains (usage and control domains alike here). */
struct ApConfig {
  IdSet adapters;
  IdSet domains;
  bool operator==(const ApConfig&) const = default;
};

class HostConfig {
public:
  /** At the start every card is configured and scanned, and every queue bound as ap_perms says. */
  explicit HostConfig(const Scenario& scenario);

  // --- hardware ---
  /** The card's adapter is configured (online) in the hardware now. */
  bool hw_online(int adapter) const { return hw_online_.contains(adapter); }
  void set_hw_online(int adapter, bool online);
  /** What QCI answers now. */
  ApConfig qci() const;
  /** The queue exists in the hardware now: its card is online and has the domain. */
  bool hw_queue(int adapter, int domain) const {
    return hw_online(adapter) && card_domains_[static_cast<std::size_t>(adapter)].contains(domain);
  }

  // --- AP bus ---
  const ApConfig& bus_config() const { return bus_config_; }
  void set_bus_config(const ApConfig& config) { bus_config_ = config; }
  bool device_exists(int adapter, int domain) const { return devices_[index(adapter, domain)].exists; }
  QueueDriver driver(int adapter, int domain) const { return devices_[index(adapter, domain)].driver; }
  void add_device(int adapter, int domain);
  void remove_device(int adapter, int domain);
  void set_driver(int adapter, int domain, QueueDriver driver);
  /** A queue device bound to vfio_ap (dev->driver == vfio_ap: what vfio_ap_find_queue() finds). */
  bool bound_to_vfio(int adapter, int domain) const {
    return device_exists(adapter, domain) && driver(adapter, domain) == QueueDriver::vfio;
  }
  /** Every queue device, in APQN order (bus_for_each_dev). */
  std::vector<std::pair<int, int>> devices() const;
  /** Every queue the cards of the scenario can have, in APQN order. */
  const std::vector<std::pair<int, int>>& all_queues() const { return all_queues_; }

  // --- vfio_ap ---
  const ApConfig& vfio_info() const { return vfio_info_; }
  void set_vfio_info(const ApConfig& config) { vfio_info_ = config; }

  // --- ap_perms ---
  const HostMasks& masks() const { return masks_; }
  void set_masks(const HostMasks& masks) { masks_ = masks; }

private:
  struct Device {
    bool exists = false;
    QueueDriver driver = QueueDriver::none;
  };
  static std::size_t index(int adapter, int domain) {
    return static_cast<std::size_t>(adapter) * (kMaxApId + 1) + static_cast<std::size_t>(domain);
  }

  std::array<IdSet, kMaxApId + 1> card_domains_; // as configured in the scenario
  IdSet cards_;
  IdSet hw_online_;
  ApConfig bus_config_;
  ApConfig vfio_info_;
  std::vector<Device> devices_;
  std::vector<std::pair<int, int>> all_queues_;
  HostMasks masks_;
};

/** What the guest gets: its shadow APCB. Usable queues are adapters x domains. */
struct Apcb {
  IdSet adapters;
  IdSet domains;
  IdSet control_domains;
  std::size_t queue_count() const { return adapters.size() * domains.size(); }
  bool operator==(const Apcb&) const = default;
};

/** The APCB an mdev gives its guest at the start of a run: its matrix within the configuration, without any adapter
 *  with an assigned queue that is not bound to vfio_ap (vfio_ap_mdev_filter_matrix; domains are never dropped). */
Apcb filter_matrix(const MdevSpec& mdev, const HostConfig& host);

} // namespace apq
