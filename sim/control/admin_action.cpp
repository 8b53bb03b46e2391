#include "sim/control/admin_action.hpp"

namespace apq {

AdminStart admin_start(const AdminAction& action, const ControlState& state, const std::string& label,
                       RandomSource& rng) {
  AdminStart start;
  OpContext& ctx = start.ctx;
  ctx.actor = label;
  ctx.action = &action;
  ctx.mdev = action.mdev;
  ctx.id = action.id;
  ctx.rng = &rng;
  const bool mask_store = action.op == "apmask_store" || action.op == "aqmask_store";
  ctx.root = label + " (" + action.op + (mask_store ? " " + action.mask.str() : "") + ")";
  if (action.mdev >= 0 && state.mdevs[static_cast<std::size_t>(action.mdev)].removed) {
    start.error = "ENODEV"; // the mdev's sysfs attributes and vfio device are gone with it
    return start;
  }
  if (action.op == "card_offline" || action.op == "card_online") {
    // The adapter leaves (or rejoins) the configuration; the AP bus hears of it through a configuration-change
    // event and rescans at once (ap_bus_cfg_chg -> ap_bus_force_rescan).
    start.card_online = action.op == "card_online";
    start.op = "force_rescan";
    return start;
  }
  start.op = action.op;
  if (action.op == "set_kvm")
    ctx.guest = action.guest;
  if (action.op == "queue_unbind" || action.op == "queue_bind") {
    ctx.adapter = action.id;
    ctx.domain = action.domain;
    ctx.id = -1;
    ctx.bind_to = action.driver;
    ctx.root = label + " (" + action.op + " " + apqn_name(action.id, action.domain) + ")";
    start.op = action.op == "queue_unbind" ? "device_release" : "device_probe";
  }
  return start;
}

std::string describe_target(const AdminAction& action, const Scenario& scenario) {
  if (action.op == "apmask_store" || action.op == "aqmask_store")
    return action.mask.str();
  if (action.op == "set_kvm" || action.op == "unset_kvm")
    return "guest " + scenario.guests[static_cast<std::size_t>(action.guest)].name;
  if (action.op == "card_offline" || action.op == "card_online")
    return "adapter " + hex_id(action.id);
  if (action.op == "queue_unbind")
    return apqn_name(action.id, action.domain);
  if (action.op == "queue_bind")
    return apqn_name(action.id, action.domain) + " -> " + action.driver;
  std::string target = "mdev " + scenario.mdevs[static_cast<std::size_t>(action.mdev)].name;
  return action.id >= 0 ? hex_id(action.id) + " -> " + target : target;
}

} // namespace apq
