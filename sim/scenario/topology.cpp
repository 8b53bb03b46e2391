#include "sim/scenario/topology.hpp"

namespace apq {

HostConfig::HostConfig(const Scenario& scenario) : devices_((kMaxApId + 1) * (kMaxApId + 1)), masks_(scenario.host) {
  for (const CardSpec& card : scenario.cards) {
    card_domains_[static_cast<std::size_t>(card.adapter)] = card.domains;
    cards_.insert(card.adapter);
    hw_online_.insert(card.adapter);
  }
  bus_config_ = qci();
  vfio_info_ = bus_config_;
  for (int a : cards_.ids())
    for (int d : card_domains_[static_cast<std::size_t>(a)].ids()) {
      all_queues_.emplace_back(a, d);
      add_device(a, d);
      set_driver(a, d, masks_.reserves(a, d) ? QueueDriver::host : QueueDriver::vfio);
    }
}

void HostConfig::set_hw_online(int adapter, bool online) {
  if (online && cards_.contains(adapter))
    hw_online_.insert(adapter);
  else
    hw_online_.erase(adapter);
}

ApConfig HostConfig::qci() const {
  ApConfig config;
  config.adapters = hw_online_;
  for (int a : hw_online_.ids())
    config.domains = config.domains | card_domains_[static_cast<std::size_t>(a)];
  return config;
}

void HostConfig::add_device(int adapter, int domain) {
  devices_[index(adapter, domain)] = Device{true, QueueDriver::none};
}

void HostConfig::remove_device(int adapter, int domain) {
  devices_[index(adapter, domain)] = Device{};
}

void HostConfig::set_driver(int adapter, int domain, QueueDriver driver) {
  devices_[index(adapter, domain)].driver = driver;
}

std::vector<std::pair<int, int>> HostConfig::devices() const {
  std::vector<std::pair<int, int>> out;
  for (const auto& [a, d] : all_queues_)
    if (device_exists(a, d))
      out.emplace_back(a, d);
  return out;
}

Apcb filter_matrix(const MdevSpec& mdev, const HostConfig& host) {
  Apcb apcb;
  apcb.domains = mdev.domains & host.vfio_info().domains;
  apcb.control_domains = mdev.control_domains & host.vfio_info().domains;
  for (int adapter : (mdev.adapters & host.vfio_info().adapters).ids()) {
    bool whole = true;
    for (int domain : apcb.domains.ids())
      whole = whole && host.bound_to_vfio(adapter, domain);
    if (whole)
      apcb.adapters.insert(adapter);
  }
  return apcb;
}

} // namespace apq
