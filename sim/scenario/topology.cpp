#include "sim/scenario/topology.hpp"

namespace apq {

HostConfig::HostConfig(const Scenario& scenario) : masks_(scenario.host) {
  for (const CardSpec& card : scenario.cards) {
    configured_domains_[card.adapter] = card.domains;
    card_domains_[card.adapter] = card.domains;
    adapters_.insert(card.adapter);
    domains_ = domains_ | card.domains;
    for (int d : card.domains.ids())
      if (!masks_.reserves(card.adapter, d))
        vfio_bound_[card.adapter].insert(d);
  }
}

void HostConfig::set_binding(int adapter, int domain, bool vfio) {
  if (vfio)
    vfio_bound_[adapter].insert(domain);
  else
    vfio_bound_[adapter].erase(domain);
}

void HostConfig::set_departing(int adapter, int domain, bool departing) {
  if (departing)
    departing_[adapter].insert(domain);
  else
    departing_[adapter].erase(domain);
}

void HostConfig::set_adapter_online(int adapter, bool online) {
  card_domains_[adapter] = online ? configured_domains_[adapter] : IdSet{};
  if (online && !configured_domains_[adapter].empty())
    adapters_.insert(adapter);
  else
    adapters_.erase(adapter);
}

Apcb filter_matrix(const MdevSpec& mdev, const HostConfig& host) {
  Apcb apcb;
  apcb.domains = mdev.domains & host.domains();
  apcb.control_domains = mdev.control_domains & host.domains();
  for (int adapter : (mdev.adapters & host.adapters()).ids()) {
    bool whole = true;
    for (int domain : apcb.domains.ids())
      whole = whole && host.bound_to_vfio(adapter, domain);
    if (whole)
      apcb.adapters.insert(adapter);
  }
  return apcb;
}

} // namespace apq
