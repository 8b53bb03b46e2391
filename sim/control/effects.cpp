// The effects strategies name: each a state change of the host, the mdevs or the guests, implemented once, after
// the kernel function it is named for (models/README.md has the versions). Errors are errno names; a strategy step
// may replace an effect's default errno with its own.

#include "sim/control/interpreter.hpp"

#include <algorithm>

namespace apq {

const std::map<std::string, ControlInterpreter::Effect>& ControlInterpreter::effects() {
  static const std::map<std::string, Effect> table = {
      {"parse_mask", &ControlInterpreter::parse_mask},
      {"check_in_use", &ControlInterpreter::check_in_use},
      {"commit_masks", &ControlInterpreter::commit_masks},
      {"read_reservation", &ControlInterpreter::read_reservation},
      {"bind_driver", &ControlInterpreter::bind_driver},
      {"unbind_driver", &ControlInterpreter::unbind_driver},
      {"check_host_ownership", &ControlInterpreter::check_host_ownership},
      {"check_bound", &ControlInterpreter::check_bound},
      {"check_sharing", &ControlInterpreter::check_sharing},
      {"assign", &ControlInterpreter::assign},
      {"unassign", &ControlInterpreter::unassign},
      {"filter_matrix", &ControlInterpreter::filter_matrix},
      {"filter_cdoms", &ControlInterpreter::filter_cdoms},
      {"set_masks", &ControlInterpreter::set_masks},
      {"clear_masks", &ControlInterpreter::clear_masks},
      {"link_queue", &ControlInterpreter::link_queue},
      {"unlink_queue", &ControlInterpreter::unlink_queue},
      {"drop_queue_apid", &ControlInterpreter::drop_queue_apid},
      {"reset_queue", &ControlInterpreter::reset_queue},
      {"reset_apid", &ControlInterpreter::reset_apid},
      {"reset_filtered", &ControlInterpreter::reset_filtered},
      {"reset_unplugged", &ControlInterpreter::reset_unplugged},
      {"reset_mdev", &ControlInterpreter::reset_mdev},
      {"check_hook", &ControlInterpreter::check_hook},
      {"set_hook", &ControlInterpreter::set_hook},
      {"clear_hook", &ControlInterpreter::clear_hook},
      {"attach_kvm", &ControlInterpreter::attach_kvm},
      {"detach_kvm", &ControlInterpreter::detach_kvm},
      {"enable_irq", &ControlInterpreter::enable_irq},
      {"disable_irq", &ControlInterpreter::disable_irq},
      {"read_config", &ControlInterpreter::read_config},
      {"cfg_remove", &ControlInterpreter::cfg_remove},
      {"cfg_add", &ControlInterpreter::cfg_add},
      {"update_info", &ControlInterpreter::update_info},
      {"hot_plug_cfg", &ControlInterpreter::hot_plug_cfg},
      {"clear_additions", &ControlInterpreter::clear_additions},
      {"unregister_device", &ControlInterpreter::unregister_device},
      {"register_device", &ControlInterpreter::register_device},
      {"commit_config", &ControlInterpreter::commit_config},
      {"remove_mdev", &ControlInterpreter::remove_mdev},
  };
  return table;
}

// --- mask stores and bindings (ap_bus.c) ------------------------------------------------------------------------

std::string ControlInterpreter::parse_mask(Frame& frame, const Step&) {
  // apmask_store(): ap_parse_bitmap_str(buf, ap_perms.apm, ...) under ap_perms_mutex: "+0x05" and "-0x05" are
  // relative to the mask as it is when the store holds the mutex, not when it was written.
  OpContext& ctx = frame.ctx;
  HostMasks masks = state_.host.masks();
  ctx.old_masks = masks;
  if (ctx.action != nullptr) {
    if (ctx.op == "apmask_store")
      masks.apmask = ctx.action->mask.apply(masks.apmask);
    else
      masks.aqmask = ctx.action->mask.apply(masks.aqmask);
  }
  ctx.new_masks = masks;
  return "";
}

std::string ControlInterpreter::check_in_use(Frame& frame, const Step&) {
  // __verify_card_reservations() passes the newly reserved adapters with ap_perms.aqm (and
  // __verify_queue_reservations() ap_perms.apm with the new domains) to vfio_ap_mdev_resource_in_use(), whose
  // vfio_ap_mdev_verify_no_sharing(NULL, apm, aqm) compares them with every mdev's assignment: queue devices do not
  // matter, whether they exist, or which driver has them (Linux 6.1, 6.13; v12 06/17 and 07/17 alike).
  const OpContext& ctx = frame.ctx;
  if (!ctx.new_masks)
    return "";
  const IdSet new_apm = ctx.new_masks->apmask - ctx.old_masks.apmask;
  const IdSet new_aqm = ctx.new_masks->aqmask - ctx.old_masks.aqmask;
  for (const MdevState& mdev : state_.mdevs) {
    if (mdev.removed)
      continue;
    if ((mdev.adapters.intersects(new_apm) && mdev.domains.intersects(ctx.old_masks.aqmask)) ||
        (mdev.adapters.intersects(ctx.old_masks.apmask) && mdev.domains.intersects(new_aqm)))
      return "EADDRINUSE";
  }
  return "";
}

std::string ControlInterpreter::commit_masks(Frame& frame, const Step&) {
  if (frame.ctx.new_masks)
    state_.host.set_masks(*frame.ctx.new_masks);
  return "";
}

std::string ControlInterpreter::read_reservation(Frame& frame, const Step&) {
  OpContext& ctx = frame.ctx;
  ctx.reserved = state_.host.masks().reserves(ctx.adapter, ctx.domain);
  return "";
}

std::string ControlInterpreter::bind_driver(Frame& frame, const Step&) {
  // ap_device_probe(): a queue reserved by ap_perms binds only to a default driver (AP_DRIVER_FLAG_DEFAULT:
  // cex4queue), any other only to vfio_ap; the other driver's probe gets -ENODEV.
  const OpContext& ctx = frame.ctx;
  HostConfig& host = state_.host;
  if (!host.device_exists(ctx.adapter, ctx.domain))
    return "ENODEV";
  if (host.driver(ctx.adapter, ctx.domain) != QueueDriver::none)
    return "EBUSY"; // driver core: device_driver_attach() of a bound device
  const QueueDriver target = ctx.reserved ? QueueDriver::host : QueueDriver::vfio;
  if (!ctx.bind_to.empty() && (ctx.bind_to == "vfio_ap" ? QueueDriver::vfio : QueueDriver::host) != target)
    return "ENODEV";
  host.set_driver(ctx.adapter, ctx.domain, target);
  return "";
}

std::string ControlInterpreter::unbind_driver(Frame& frame, const Step&) {
  const OpContext& ctx = frame.ctx;
  HostConfig& host = state_.host;
  if (!host.device_exists(ctx.adapter, ctx.domain) || host.driver(ctx.adapter, ctx.domain) == QueueDriver::none)
    return "ENODEV";
  // The stolen-queue monitor: a queue device that stays leaves vfio_ap while an mdev has it assigned (the reprobe
  // of v12's race, or a sysfs unbind, which no in_use callback guards in any kernel).
  if (host.driver(ctx.adapter, ctx.domain) == QueueDriver::vfio && !ctx.departing &&
      state_.mdev_holding(ctx.adapter, ctx.domain) >= 0)
    note_stolen(frame, ctx.adapter, ctx.domain);
  host.set_driver(ctx.adapter, ctx.domain, QueueDriver::none);
  return "";
}

void ControlInterpreter::note_stolen(const Frame& frame, int a, int d) {
  const int m = state_.mdev_holding(a, d);
  const MdevState& mdev = state_.mdevs[static_cast<std::size_t>(m)];
  const Assignment& assigned = state_.assignments[{a, d}];
  stolen_.push_back(
      StolenQueueReport{now_, apqn_name(a, d), mdev.name,
                        mdev.guest >= 0 ? scenario_.guests[static_cast<std::size_t>(mdev.guest)].name : "", assigned.by,
                        assigned.at, frame.ctx.root});
  note(frame, "stolen_queue", apqn_name(a, d) + " of mdev " + mdev.name + ", assigned by " + assigned.by);
}

// --- assignment (vfio_ap_ops.c) ---------------------------------------------------------------------------------

std::pair<IdSet, IdSet> ControlInterpreter::matrix_with_new_id(const Frame& frame) const {
  const OpContext& ctx = frame.ctx;
  const MdevState& mdev = state_.mdevs[static_cast<std::size_t>(ctx.mdev)];
  IdSet adapters = mdev.adapters, domains = mdev.domains;
  if (ctx.op == "assign_adapter")
    adapters.insert(ctx.id);
  if (ctx.op == "assign_domain")
    domains.insert(ctx.id);
  return {adapters, domains};
}

std::string ControlInterpreter::check_host_ownership(Frame& frame, const Step&) {
  // ap_apqn_in_matrix_owned_by_def_drv(matrix.apm, matrix.aqm), after set_bit_inv(): the whole matrix counts.
  const auto [adapters, domains] = matrix_with_new_id(frame);
  const HostMasks& masks = state_.host.masks();
  if (adapters.intersects(masks.apmask) && domains.intersects(masks.aqmask))
    return "EADDRNOTAVAIL";
  return "";
}

std::string ControlInterpreter::check_bound(Frame& frame, const Step&) {
  // v12 07/17 vfio_ap_mdev_verify_queues_reserved_for_apid() (and _for_apqi): walks the queue devices bound to
  // vfio_ap; with no domain assigned yet one queue of the adapter must be there, else every APQN of the new adapter
  // with the assigned domains. A queue that does not exist is not found: -EADDRNOTAVAIL (only v12 11/17 allowed
  // assigning unavailable queues).
  const OpContext& ctx = frame.ctx;
  const MdevState& mdev = state_.mdevs[static_cast<std::size_t>(ctx.mdev)];
  const HostConfig& host = state_.host;
  const bool adapter = ctx.op == "assign_adapter";
  if (!adapter && ctx.op != "assign_domain")
    return "";
  const IdSet& others = adapter ? mdev.domains : mdev.adapters;
  auto bound = [&](int other) {
    return adapter ? host.bound_to_vfio(ctx.id, other) : host.bound_to_vfio(other, ctx.id);
  };
  if (others.empty()) {
    for (int other = 0; other <= kMaxApId; ++other)
      if (bound(other))
        return "";
    return "EADDRNOTAVAIL";
  }
  for (int other : others.ids())
    if (!bound(other))
      return "EADDRNOTAVAIL";
  return "";
}

std::string ControlInterpreter::check_sharing(Frame& frame, const Step&) {
  // vfio_ap_mdev_verify_no_sharing(matrix_mdev, matrix.apm, matrix.aqm): against every other mdev's assignment.
  const auto [adapters, domains] = matrix_with_new_id(frame);
  for (std::size_t m = 0; m < state_.mdevs.size(); ++m) {
    const MdevState& other = state_.mdevs[m];
    if (static_cast<int>(m) == frame.ctx.mdev || other.removed)
      continue;
    if (adapters.intersects(other.adapters) && domains.intersects(other.domains))
      return "EADDRINUSE";
  }
  return "";
}

std::string ControlInterpreter::assign(Frame& frame, const Step&) {
  const OpContext& ctx = frame.ctx;
  MdevState& mdev = state_.mdevs[static_cast<std::size_t>(ctx.mdev)];
  if (ctx.op == "assign_control_domain") {
    mdev.control_domains.insert(ctx.id);
    return "";
  }
  const bool adapter = ctx.op == "assign_adapter";
  IdSet& ids = adapter ? mdev.adapters : mdev.domains;
  if (ids.contains(ctx.id))
    return ""; // test_bit_inv(): already assigned, the store returns count
  ids.insert(ctx.id);
  for (int other : (adapter ? mdev.domains : mdev.adapters).ids()) {
    const int a = adapter ? ctx.id : other, d = adapter ? other : ctx.id;
    state_.assignments[{a, d}] = Assignment{ctx.root.empty() ? ctx.actor : ctx.root, now_};
    // vfio_ap_mdev_link_apqn(): vfio_ap_find_queue() finds only a queue device bound to vfio_ap.
    if (state_.host.bound_to_vfio(a, d))
      state_.queue(a, d).link = ctx.mdev;
  }
  return "";
}

std::string ControlInterpreter::unassign(Frame& frame, const Step&) {
  // unassign_*_store() -> vfio_ap_mdev_hot_unplug_adapter/domain(): unlink the queues, collect those in the shadow
  // APCB for the reset, clear the id from the shadow.
  OpContext& ctx = frame.ctx;
  MdevState& mdev = state_.mdevs[static_cast<std::size_t>(ctx.mdev)];
  if (ctx.op == "unassign_control_domain") {
    if (!mdev.control_domains.contains(ctx.id))
      return "";
    mdev.control_domains.erase(ctx.id);
    if (mdev.shadow.control_domains.contains(ctx.id)) {
      mdev.shadow.control_domains.erase(ctx.id);
      ctx.apcb_changed = true;
    }
    return "";
  }
  const bool adapter = ctx.op == "unassign_adapter";
  IdSet& ids = adapter ? mdev.adapters : mdev.domains;
  if (!ids.contains(ctx.id))
    return ""; // unassigning what is not assigned changes nothing, as in the kernel
  ids.erase(ctx.id);
  for (int other : (adapter ? mdev.domains : mdev.adapters).ids()) {
    const int a = adapter ? ctx.id : other, d = adapter ? other : ctx.id;
    state_.assignments.erase({a, d});
    auto q = state_.queues.find({a, d});
    if (q == state_.queues.end() || q->second.link != ctx.mdev)
      continue;
    q->second.link = -1;
    if (mdev.shadow.adapters.contains(a) && mdev.shadow.domains.contains(d))
      ctx.to_reset.emplace_back(a, d);
  }
  IdSet& shadow = adapter ? mdev.shadow.adapters : mdev.shadow.domains;
  if (shadow.contains(ctx.id)) {
    shadow.erase(ctx.id);
    ctx.apcb_changed = true;
  }
  return "";
}

// --- the guest's APCB -------------------------------------------------------------------------------------------

bool ControlInterpreter::filter(int m, IdSet& filtered) {
  // vfio_ap_mdev_filter_matrix(): the shadow is the matrix within vfio_ap's copy of the QCI (matrix_dev->info),
  // minus any adapter with an APQN that is not a queue linked to this mdev or whose last reset failed; domains are
  // never dropped this way. Returns whether the shadow's adapters or domains changed; `filtered` gets the adapters
  // that were in the shadow and are filtered out now (6.13 resets their queues).
  MdevState& mdev = state_.mdevs[static_cast<std::size_t>(m)];
  const ApConfig& info = state_.host.vfio_info();
  const Apcb prev = mdev.shadow;
  Apcb next = prev;
  next.adapters = mdev.adapters & info.adapters;
  next.domains = mdev.domains & info.domains;
  filtered = IdSet{};
  for (int a : next.adapters.ids())
    for (int d : next.domains.ids()) {
      auto q = state_.queues.find({a, d});
      if (q == state_.queues.end() || q->second.link != m || q->second.reset_failed) {
        next.adapters.erase(a);
        if (prev.adapters.contains(a))
          filtered.insert(a);
        break;
      }
    }
  mdev.shadow = next;
  return prev.adapters != next.adapters || prev.domains != next.domains;
}

std::string ControlInterpreter::filter_matrix(Frame& frame, const Step&) {
  if (frame.ctx.mdev >= 0)
    frame.ctx.apcb_changed = filter(frame.ctx.mdev, frame.ctx.apm_filtered);
  return "";
}

std::string ControlInterpreter::filter_cdoms(Frame& frame, const Step&) {
  if (frame.ctx.mdev < 0)
    return "";
  MdevState& mdev = state_.mdevs[static_cast<std::size_t>(frame.ctx.mdev)];
  const IdSet next = mdev.control_domains & state_.host.vfio_info().domains;
  if (next != mdev.shadow.control_domains)
    frame.ctx.apcb_changed = true;
  mdev.shadow.control_domains = next;
  return "";
}

void ControlInterpreter::push_crycb(int guest, const Apcb& next) {
  GuestControl& g = state_.guests[static_cast<std::size_t>(guest)];
  auto queues_of = [this](const Apcb& apcb) {
    std::vector<std::pair<int, int>> out;
    for (const auto& [a, d] : state_.host.all_queues())
      if (apcb.adapters.contains(a) && apcb.domains.contains(d))
        out.emplace_back(a, d);
    return out;
  };
  const auto before = queues_of(g.crycb), after = queues_of(next);
  for (const auto& q : before)
    if (!std::binary_search(after.begin(), after.end(), q))
      env_.unplug(q.first, q.second);
  for (const auto& q : after)
    if (!std::binary_search(before.begin(), before.end(), q))
      env_.plug(guest, q.first, q.second);
  g.crycb = next;
  if (strategy_.cfg_change_signal())
    env_.signal_cfg_change(guest); // 6.15 signal_guest_ap_cfg_changed()
}

std::string ControlInterpreter::set_masks(Frame& frame, const Step&) {
  // vfio_ap_mdev_update_guest_apcb(): kvm_arch_crypto_set_masks() only `if (matrix_mdev->kvm)`.
  if (frame.ctx.mdev < 0)
    return "";
  const MdevState& mdev = state_.mdevs[static_cast<std::size_t>(frame.ctx.mdev)];
  if (mdev.guest >= 0)
    push_crycb(mdev.guest, mdev.shadow);
  return "";
}

std::string ControlInterpreter::clear_masks(Frame& frame, const Step&) {
  const int g = guest_of(frame.ctx);
  if (g >= 0)
    push_crycb(g, Apcb{});
  return "";
}

// --- queue callbacks --------------------------------------------------------------------------------------------

std::string ControlInterpreter::link_queue(Frame& frame, const Step&) {
  OpContext& ctx = frame.ctx;
  const int m = state_.mdev_holding(ctx.adapter, ctx.domain);
  ctx.mdev = m;
  if (m >= 0)
    state_.queue(ctx.adapter, ctx.domain).link = m;
  return "";
}

std::string ControlInterpreter::unlink_queue(Frame& frame, const Step&) {
  const OpContext& ctx = frame.ctx;
  state_.queue(ctx.adapter, ctx.domain).link = -1;
  return "";
}

std::string ControlInterpreter::drop_queue_apid(Frame& frame, const Step&) {
  OpContext& ctx = frame.ctx;
  if (ctx.mdev < 0)
    return "";
  Apcb& shadow = state_.mdevs[static_cast<std::size_t>(ctx.mdev)].shadow;
  if (shadow.adapters.contains(ctx.adapter) && shadow.domains.contains(ctx.domain)) {
    shadow.adapters.erase(ctx.adapter);
    ctx.apcb_changed = true;
  }
  return "";
}

// --- resets -----------------------------------------------------------------------------------------------------

std::vector<std::pair<int, int>> ControlInterpreter::linked_in_shadow(int m, int apid) const {
  std::vector<std::pair<int, int>> out;
  if (m < 0)
    return out;
  for (int d : state_.mdevs[static_cast<std::size_t>(m)].shadow.domains.ids()) {
    auto q = state_.queues.find({apid, d});
    if (q != state_.queues.end() && q->second.link == m)
      out.emplace_back(apid, d);
  }
  return out;
}

std::string ControlInterpreter::reset_queue(Frame& frame, const Step& step) {
  start_reset(frame, step, {{frame.ctx.adapter, frame.ctx.domain}});
  return "";
}

std::string ControlInterpreter::reset_apid(Frame& frame, const Step& step) {
  start_reset(frame, step, linked_in_shadow(frame.ctx.mdev, frame.ctx.adapter));
  return "";
}

std::string ControlInterpreter::reset_filtered(Frame& frame, const Step& step) {
  std::vector<std::pair<int, int>> queues;
  for (int a : frame.ctx.apm_filtered.ids())
    for (const auto& q : linked_in_shadow(frame.ctx.mdev, a))
      queues.push_back(q);
  start_reset(frame, step, std::move(queues));
  return "";
}

std::string ControlInterpreter::reset_unplugged(Frame& frame, const Step& step) {
  std::vector<std::pair<int, int>> queues;
  queues.swap(frame.ctx.to_reset);
  start_reset(frame, step, std::move(queues));
  return "";
}

std::string ControlInterpreter::reset_mdev(Frame& frame, const Step& step) {
  std::vector<std::pair<int, int>> queues;
  for (const auto& [apqn, q] : state_.queues)
    if (q.link == frame.ctx.mdev && frame.ctx.mdev >= 0)
      queues.push_back(apqn);
  start_reset(frame, step, std::move(queues));
  return "";
}

// --- guests -----------------------------------------------------------------------------------------------------

std::string ControlInterpreter::check_hook(Frame& frame, const Step&) {
  // 6.13 vfio_ap_mdev_set_kvm(): -EPERM if kvm->arch.crypto.pqap_hook is set; 6.1: if another mdev has this kvm.
  const OpContext& ctx = frame.ctx;
  const int g = ctx.guest;
  if (g < 0)
    return "";
  const int hook = state_.guests[static_cast<std::size_t>(g)].hook;
  if (hook >= 0 && hook != ctx.mdev)
    return "EPERM";
  for (std::size_t m = 0; m < state_.mdevs.size(); ++m)
    if (static_cast<int>(m) != ctx.mdev && !state_.mdevs[m].removed && state_.mdevs[m].guest == g)
      return "EPERM";
  return "";
}

std::string ControlInterpreter::set_hook(Frame& frame, const Step&) {
  const int g = guest_of(frame.ctx);
  if (g >= 0)
    state_.guests[static_cast<std::size_t>(g)].hook = frame.ctx.mdev;
  return "";
}

std::string ControlInterpreter::clear_hook(Frame& frame, const Step&) {
  const int g = guest_of(frame.ctx);
  if (g >= 0)
    state_.guests[static_cast<std::size_t>(g)].hook = -1;
  return "";
}

std::string ControlInterpreter::attach_kvm(Frame& frame, const Step&) {
  const OpContext& ctx = frame.ctx;
  MdevState& mdev = state_.mdevs[static_cast<std::size_t>(ctx.mdev)];
  if (ctx.guest < 0 || mdev.guest >= 0)
    return "";
  mdev.guest = ctx.guest;
  env_.guest_start(ctx.guest);
  return "";
}

std::string ControlInterpreter::detach_kvm(Frame& frame, const Step&) {
  // matrix_mdev->kvm := NULL. The VM itself stopped before QEMU closed the device (guest stop), or keeps running
  // without its vfio-ap device (mdev removal): either way it has no crypto left, which clear_masks already did.
  state_.mdevs[static_cast<std::size_t>(frame.ctx.mdev)].guest = -1;
  return "";
}

std::string ControlInterpreter::enable_irq(Frame& frame, const Step& step) {
  // vfio_ap handle_pqap(): the hook's mdev must have a guest and the queue must be linked to it
  // (vfio_ap_mdev_get_queue); then vfio_ap_irq_enable(). Whatever the status, it goes back to the guest in GR1 and
  // the guest's bring-up goes on (without interrupts if AQIC failed).
  const OpContext& ctx = frame.ctx;
  const int m = ctx.guest >= 0 ? state_.guests[static_cast<std::size_t>(ctx.guest)].hook : -1;
  std::string status = "ok";
  if (m < 0)
    status = "hook not registered";
  else if (state_.mdevs[static_cast<std::size_t>(m)].guest < 0)
    status = "mdev not in use";
  else if (state_.queue(ctx.adapter, ctx.domain).link != m)
    status = "queue not bound to vfio_ap";
  else
    state_.queue(ctx.adapter, ctx.domain).irq = true;
  note(frame, "aqic", apqn_name(ctx.adapter, ctx.domain) + " -> " + status, step.where);
  env_.aqic_done(ctx.guest, ctx.adapter, ctx.domain);
  return "";
}

std::string ControlInterpreter::disable_irq(Frame& frame, const Step&) {
  for (auto& [apqn, q] : state_.queues)
    if (q.link == frame.ctx.mdev && frame.ctx.mdev >= 0)
      q.irq = false;
  return "";
}

// --- AP bus scan and configuration changes ----------------------------------------------------------------------

std::string ControlInterpreter::read_config(Frame& frame, const Step&) {
  ScanDiff& scan = frame.ctx.scan;
  const HostConfig& host = state_.host;
  const ApConfig now = host.qci();
  const ApConfig& before = host.bus_config();
  scan = ScanDiff{};
  scan.config = now;
  scan.changed = !(now == before);
  scan.removed_adapters = before.adapters - now.adapters;
  scan.removed_domains = before.domains - now.domains;
  scan.added_adapters = now.adapters - before.adapters;
  scan.added_domains = now.domains - before.domains;
  for (const auto& [a, d] : host.all_queues()) {
    const bool wanted = host.hw_queue(a, d) && now.domains.contains(d);
    if (host.device_exists(a, d) && !wanted)
      scan.departed.emplace_back(a, d);
    if (!host.device_exists(a, d) && wanted)
      scan.fresh.emplace_back(a, d);
  }
  return "";
}

std::string ControlInterpreter::cfg_remove(Frame& frame, const Step&) {
  // vfio_ap_mdev_cfg_remove() -> vfio_ap_mdev_hot_unplug_cfg() for one mdev. The kernel decides to update the
  // guest with `do_hotplug |= bitmap_andnot(shadow, shadow, removed)`, which is true when what REMAINS is not
  // empty: an mdev that loses its last adapter is not pushed to its guest (6.1, 6.13).
  OpContext& ctx = frame.ctx;
  MdevState& mdev = state_.mdevs[static_cast<std::size_t>(ctx.mdev)];
  const IdSet aprem = ctx.scan.removed_adapters & mdev.adapters;
  const IdSet aqrem = ctx.scan.removed_domains & mdev.domains;
  const IdSet cdrem = ctx.scan.removed_domains & mdev.control_domains;
  bool hotplug = false;
  if (!aprem.empty()) {
    mdev.shadow.adapters = mdev.shadow.adapters - aprem;
    hotplug = hotplug || !mdev.shadow.adapters.empty();
  }
  if (!aqrem.empty()) {
    mdev.shadow.domains = mdev.shadow.domains - aqrem;
    hotplug = hotplug || !mdev.shadow.domains.empty();
  }
  if (!cdrem.empty()) {
    mdev.shadow.control_domains = mdev.shadow.control_domains - cdrem;
    hotplug = hotplug || !mdev.shadow.control_domains.empty();
  }
  ctx.apcb_changed = hotplug;
  return "";
}

std::string ControlInterpreter::cfg_add(Frame& frame, const Step&) {
  // vfio_ap_mdev_on_cfg_add(): only when something was added, every mdev records its part of it.
  const ScanDiff& scan = frame.ctx.scan;
  if (scan.added_adapters.empty() && scan.added_domains.empty())
    return "";
  for (MdevState& mdev : state_.mdevs) {
    if (mdev.removed)
      continue;
    mdev.apm_add = mdev.adapters & scan.added_adapters;
    mdev.aqm_add = mdev.domains & scan.added_domains;
    mdev.adm_add = mdev.control_domains & scan.added_domains;
  }
  return "";
}

std::string ControlInterpreter::update_info(Frame& frame, const Step&) {
  state_.host.set_vfio_info(frame.ctx.scan.config);
  return "";
}

std::string ControlInterpreter::hot_plug_cfg(Frame& frame, const Step&) {
  OpContext& ctx = frame.ctx;
  MdevState& mdev = state_.mdevs[static_cast<std::size_t>(ctx.mdev)];
  bool hotplug = false;
  if (mdev.adapters.intersects(mdev.apm_add) || mdev.domains.intersects(mdev.aqm_add))
    hotplug = filter(ctx.mdev, ctx.apm_filtered);
  if (mdev.control_domains.intersects(mdev.adm_add)) {
    const IdSet next = mdev.control_domains & state_.host.vfio_info().domains;
    hotplug = hotplug || next != mdev.shadow.control_domains;
    mdev.shadow.control_domains = next;
  }
  ctx.apcb_changed = hotplug;
  return "";
}

std::string ControlInterpreter::clear_additions(Frame& frame, const Step&) {
  MdevState& mdev = state_.mdevs[static_cast<std::size_t>(frame.ctx.mdev)];
  mdev.apm_add = mdev.aqm_add = mdev.adm_add = IdSet{};
  return "";
}

std::string ControlInterpreter::unregister_device(Frame& frame, const Step&) {
  const OpContext& ctx = frame.ctx;
  state_.host.remove_device(ctx.adapter, ctx.domain);
  QueueControl& q = state_.queue(ctx.adapter, ctx.domain);
  q.link = -1;
  q.irq = false;
  return "";
}

std::string ControlInterpreter::register_device(Frame& frame, const Step&) {
  state_.host.add_device(frame.ctx.adapter, frame.ctx.domain);
  state_.queue(frame.ctx.adapter, frame.ctx.domain) = QueueControl{};
  return "";
}

std::string ControlInterpreter::commit_config(Frame& frame, const Step&) {
  state_.host.set_bus_config(frame.ctx.scan.config);
  return "";
}

std::string ControlInterpreter::remove_mdev(Frame& frame, const Step&) {
  // vfio_ap_mdev_unlink_fr_queues() and list_del(): the assignments go with the mdev.
  const int m = frame.ctx.mdev;
  MdevState& mdev = state_.mdevs[static_cast<std::size_t>(m)];
  for (auto& [apqn, q] : state_.queues)
    if (q.link == m)
      q.link = -1;
  for (int a : mdev.adapters.ids())
    for (int d : mdev.domains.ids())
      state_.assignments.erase({a, d});
  mdev.removed = true;
  return "";
}

} // namespace apq
