// The effects strategies name: each a state change of the host, the mdevs or the guests, implemented once.
// Errors are errno names; a strategy step may replace an effect's default errno with its own.

#include "sim/control/control_plane.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <simgrid/s4u/Actor.hpp>

namespace apq {

namespace sg4 = simgrid::s4u;

const std::map<std::string, ControlPlane::Effect>& ControlPlane::effects() {
  static const std::map<std::string, Effect> table = {
      {"check_in_use", &ControlPlane::check_in_use},
      {"commit_masks", &ControlPlane::commit_masks},
      {"reprobe", &ControlPlane::reprobe},
      {"check_host_ownership", &ControlPlane::check_host_ownership},
      {"check_bound", &ControlPlane::check_bound},
      {"check_sharing", &ControlPlane::check_sharing},
      {"assign", &ControlPlane::assign},
      {"unassign", &ControlPlane::unassign},
      {"update_guest_apcb", &ControlPlane::update_guest_apcb},
      {"reset_removed_queues", &ControlPlane::reset_removed_queues},
      {"reset_all_queues", &ControlPlane::reset_all_queues},
      {"attach_kvm", &ControlPlane::attach_kvm},
      {"detach_kvm", &ControlPlane::detach_kvm},
      {"enable_irq", &ControlPlane::enable_irq},
      {"disable_irq", &ControlPlane::disable_irq},
      {"unplug_removed", &ControlPlane::unplug_removed},
      {"plug_added", &ControlPlane::plug_added},
  };
  return table;
}

int ControlPlane::mdev_holding(int adapter, int domain) const {
  for (std::size_t m = 0; m < mdevs_.size(); ++m)
    if (mdevs_[m].adapters.contains(adapter) && mdevs_[m].domains.contains(domain))
      return static_cast<int>(m);
  return -1;
}

MdevSpec ControlPlane::as_spec(const MdevState& mdev) const {
  MdevSpec spec;
  spec.name = mdev.name;
  spec.adapters = mdev.adapters;
  spec.domains = mdev.domains;
  spec.control_domains = mdev.control_domains;
  return spec;
}

// --- mask stores ----------------------------------------------------------------------------------------------

/** The masks the store asked for, relative to the masks as they are when the store first looks (under its lock). */
const HostMasks& ControlPlane::pending_masks(OpContext& ctx) {
  if (!ctx.pending_masks) {
    HostMasks masks = host_config_.masks();
    const MaskChange& change = ctx.action->mask;
    if (ctx.action->op == "apmask_store")
      masks.apmask = change.apply(masks.apmask);
    else
      masks.aqmask = change.apply(masks.aqmask);
    ctx.pending_masks = masks;
  }
  return *ctx.pending_masks;
}

std::string ControlPlane::check_in_use(OpContext& ctx) {
  const HostMasks& after = pending_masks(ctx);
  for (const CardSpec& card : scenario_.cards)
    for (int d : card.domains.ids())
      if (host_config_.driven_by_vfio(card.adapter, d) && after.reserves(card.adapter, d) &&
          mdev_holding(card.adapter, d) >= 0)
        return "EBUSY";
  return "";
}

std::string ControlPlane::commit_masks(OpContext& ctx) {
  const HostMasks after = pending_masks(ctx);
  host_config_.set_masks(after);
  // The queues whose driver no longer matches the masks: the reprobe moves them.
  ctx.to_host.clear();
  ctx.to_vfio.clear();
  for (const CardSpec& card : scenario_.cards)
    for (int d : card.domains.ids()) {
      const bool vfio = host_config_.driven_by_vfio(card.adapter, d), wants_vfio = !after.reserves(card.adapter, d);
      if (vfio && !wants_vfio)
        ctx.to_host.emplace_back(card.adapter, d);
      if (!vfio && wants_vfio)
        ctx.to_vfio.emplace_back(card.adapter, d);
    }
  return "";
}

std::string ControlPlane::reprobe(OpContext& ctx) {
  // device_reprobe of each queue whose binding no longer matches: vfio_ap's remove callback runs while the queue
  // is still bound to vfio_ap (its removal has begun: the guest must lose it), then the host driver binds it; or
  // the queue binds to vfio_ap and its probe callback runs. The driver core ignores what the callbacks return.
  const auto to_host = ctx.to_host;
  const auto to_vfio = ctx.to_vfio;
  for (const auto& [a, d] : to_host) {
    OpContext sub = ctx;
    sub.queue = data_.queue_index(a, d);
    sub.mdev = mdev_holding(a, d);
    sub.guest = -1;
    sub.removed_queues.clear();
    sub.departing = true;
    run_op("remove_queue", sub);
    host_config_.set_departing(a, d, false);
    host_config_.set_binding(a, d, false);
    note_stolen(ctx, a, d);
  }
  for (const auto& [a, d] : to_vfio) {
    host_config_.set_binding(a, d, true);
    OpContext sub = ctx;
    sub.queue = data_.queue_index(a, d);
    sub.mdev = mdev_holding(a, d);
    sub.guest = -1;
    sub.removed_queues.clear();
    run_op("probe_queue", sub);
  }
  return "";
}

void ControlPlane::note_stolen(const OpContext& ctx, int a, int d) {
  // The stolen-queue monitor: a queue went from vfio_ap to host drivers while an mdev has it assigned.
  const int m = mdev_holding(a, d);
  if (m < 0)
    return;
  const MdevState& mdev = mdevs_[static_cast<std::size_t>(m)];
  const Assignment& assigned = assignments_[{a, d}];
  stolen_.push_back(
      StolenQueueReport{scheduler_.now(), apqn_name(a, d), mdev.name,
                        mdev.guest >= 0 ? scenario_.guests[static_cast<std::size_t>(mdev.guest)].name : "", assigned.by,
                        assigned.at, ctx.actor + " (" + ctx.action->op + " " + ctx.action->mask.str() + ")"});
  note(ctx, "stolen_queue", apqn_name(a, d) + " of mdev " + mdev.name + ", assigned by " + assigned.by);
}

// --- assignment -----------------------------------------------------------------------------------------------

std::vector<std::pair<int, int>> ControlPlane::added_apqns(const OpContext& ctx) const {
  std::vector<std::pair<int, int>> out;
  const MdevState& mdev = mdevs_[static_cast<std::size_t>(ctx.mdev)];
  const std::string& op = ctx.action->op;
  if (op == "assign_adapter" && !mdev.adapters.contains(ctx.id))
    for (int d : mdev.domains.ids())
      out.emplace_back(ctx.id, d);
  if (op == "assign_domain" && !mdev.domains.contains(ctx.id))
    for (int a : mdev.adapters.ids())
      out.emplace_back(a, ctx.id);
  return out;
}

std::string ControlPlane::check_host_ownership(OpContext& ctx) {
  for (const auto& [a, d] : added_apqns(ctx))
    if (host_config_.masks().reserves(a, d))
      return "EADDRNOTAVAIL";
  return "";
}

std::string ControlPlane::check_bound(OpContext& ctx) {
  // The 2020 series' vfio_ap_mdev_verify_queues_reserved_for_apid: each queue must be driven by vfio_ap. It looks at
  // the driver binding, not at ap_perms, and needs no lock of the AP bus.
  for (const auto& [a, d] : added_apqns(ctx))
    if (host_config_.queue_exists(a, d) && !host_config_.driven_by_vfio(a, d))
      return "EADDRNOTAVAIL";
  return "";
}

std::string ControlPlane::check_sharing(OpContext& ctx) {
  for (const auto& [a, d] : added_apqns(ctx)) {
    const int holder = mdev_holding(a, d);
    if (holder >= 0 && holder != ctx.mdev)
      return "EADDRINUSE";
  }
  return "";
}

std::string ControlPlane::assign(OpContext& ctx) {
  for (const auto& [a, d] : added_apqns(ctx))
    assignments_[{a, d}] = Assignment{ctx.actor + " (" + ctx.action->op + ")", scheduler_.now()};
  MdevState& mdev = mdevs_[static_cast<std::size_t>(ctx.mdev)];
  const std::string& op = ctx.action->op;
  IdSet& ids = op == "assign_adapter" ? mdev.adapters : op == "assign_domain" ? mdev.domains : mdev.control_domains;
  ids.insert(ctx.id);
  return "";
}

std::string ControlPlane::unassign(OpContext& ctx) {
  MdevState& mdev = mdevs_[static_cast<std::size_t>(ctx.mdev)];
  const std::string& op = ctx.action->op;
  IdSet& ids = op == "unassign_adapter" ? mdev.adapters : op == "unassign_domain" ? mdev.domains : mdev.control_domains;
  ids.erase(ctx.id); // unassigning what is not assigned changes nothing, as in the kernel
  return "";
}

// --- the guest's APCB -----------------------------------------------------------------------------------------

void ControlPlane::push_apcb(OpContext& ctx, bool removals, bool additions) {
  if (ctx.departing && ctx.queue >= 0) {
    // vfio_ap_mdev_remove_queue, holding its locks: from here on the queue counts as gone.
    const ApQueue& q = data_.queue(static_cast<uint32_t>(ctx.queue));
    host_config_.set_departing(q.adapter, q.domain, true);
  }
  if (ctx.mdev < 0)
    return; // a queue no mdev holds: nothing to push
  MdevState& mdev = mdevs_[static_cast<std::size_t>(ctx.mdev)];
  const Apcb now = filter_matrix(as_spec(mdev), host_config_);
  const Apcb old = mdev.shadow;
  Apcb next = now;
  if (!additions) {
    next.adapters = old.adapters & now.adapters;
    next.domains = old.domains & now.domains;
  }
  if (!removals) {
    next.adapters = old.adapters | now.adapters;
    next.domains = old.domains | now.domains;
  }
  mdev.shadow = next;
  if (mdev.guest < 0)
    return; // no guest: the shadow waits for set_kvm
  auto queues_of = [this](const Apcb& apcb) {
    std::vector<uint32_t> out;
    for (int a : apcb.adapters.ids())
      for (int d : apcb.domains.ids())
        if (const int q = data_.queue_index(a, d); q >= 0)
          out.push_back(static_cast<uint32_t>(q));
    std::sort(out.begin(), out.end());
    return out;
  };
  const std::vector<uint32_t> before = queues_of(old), after = queues_of(next);
  for (uint32_t q : before)
    if (!std::binary_search(after.begin(), after.end(), q)) {
      data_.unplug(q);
      ctx.removed_queues.push_back(q);
    }
  for (uint32_t q : after)
    if (!std::binary_search(before.begin(), before.end(), q))
      data_.plug(static_cast<uint32_t>(mdev.guest), q);
}

std::string ControlPlane::update_guest_apcb(OpContext& ctx) {
  push_apcb(ctx, true, true);
  return "";
}

std::string ControlPlane::unplug_removed(OpContext& ctx) {
  push_apcb(ctx, true, false);
  return "";
}

std::string ControlPlane::plug_added(OpContext& ctx) {
  push_apcb(ctx, false, true);
  return "";
}

// --- resets ---------------------------------------------------------------------------------------------------

void ControlPlane::reset_queues(const std::vector<uint32_t>& queues, OpContext& ctx) {
  if (queues.empty())
    return;
  // ZAPQ every queue (the hardware resets them in parallel), then poll TAPQ every reset_poll until all are done:
  // the caller waits a whole number of polls, holding whatever it holds.
  double longest = 0;
  for (uint32_t q : queues) {
    data_.reset_begin(q);
    const double duration = scenario_.control.reset_time->sample(reset_rng_);
    longest = std::max(longest, duration);
    scheduler_.at(scheduler_.now() + duration, [this, q] { data_.reset_end(q); });
  }
  const double poll = scenario_.control.reset_poll;
  const double polls = std::max(1.0, std::ceil(longest / poll - 1e-9));
  note(ctx, "reset", std::to_string(queues.size()) + " queues");
  sg4::this_actor::sleep_for(polls * poll);
}

std::string ControlPlane::reset_removed_queues(OpContext& ctx) {
  // vfio_ap_mdev_remove_queue resets the queue it gives up whether or not a guest had it: in the shadow APCB, with
  // its whole APID (already in removed_queues); otherwise alone (ZAPQ + flush_work, kernel-ap-vfio.md §2(b); the
  // 2020 series' remove_queue reset it too). Not when the queue has left the host's configuration (card offline):
  // the ZAPQ would fail with APQN not valid. Before, a reprobe of queues no guest had cost no reset time at all.
  if (ctx.departing && ctx.queue >= 0) {
    const auto q = static_cast<uint32_t>(ctx.queue);
    const ApQueue& queue = data_.queue(q);
    if (host_config_.queue_exists(queue.adapter, queue.domain) &&
        std::find(ctx.removed_queues.begin(), ctx.removed_queues.end(), q) == ctx.removed_queues.end())
      ctx.removed_queues.push_back(q);
  }
  reset_queues(ctx.removed_queues, ctx);
  ctx.removed_queues.clear();
  return "";
}

std::string ControlPlane::reset_all_queues(OpContext& ctx) {
  if (ctx.mdev < 0)
    return "";
  const MdevState& mdev = mdevs_[static_cast<std::size_t>(ctx.mdev)];
  std::vector<uint32_t> queues;
  for (int a : mdev.adapters.ids())
    for (int d : mdev.domains.ids())
      if (const int q = data_.queue_index(a, d); q >= 0 && host_config_.bound_to_vfio(a, d))
        queues.push_back(static_cast<uint32_t>(q));
  reset_queues(queues, ctx);
  return "";
}

// --- guests ---------------------------------------------------------------------------------------------------

std::string ControlPlane::attach_kvm(OpContext& ctx) {
  MdevState& mdev = mdevs_[static_cast<std::size_t>(ctx.mdev)];
  if (mdev.guest >= 0)
    return "EPERM"; // vfio_ap_mdev_set_kvm: the mdev is in use by a guest already
  mdev.guest = ctx.guest;
  mdev.shadow = Apcb{};
  data_.set_guest_running(static_cast<uint32_t>(ctx.guest), true);
  push_apcb(ctx, true, true);
  data_.notice_now(static_cast<uint32_t>(ctx.guest)); // the guest boots and scans its AP bus
  return "";
}

std::string ControlPlane::detach_kvm(OpContext& ctx) {
  MdevState& mdev = mdevs_[static_cast<std::size_t>(ctx.mdev)];
  if (mdev.guest < 0)
    return "";
  const auto g = static_cast<uint32_t>(mdev.guest);
  const Apcb old = mdev.shadow;
  for (int a : old.adapters.ids())
    for (int d : old.domains.ids())
      if (const int q = data_.queue_index(a, d); q >= 0) {
        data_.unplug(static_cast<uint32_t>(q));
        ctx.removed_queues.push_back(static_cast<uint32_t>(q));
      }
  data_.set_guest_running(g, false);
  mdev.guest = -1;
  mdev.shadow = Apcb{};
  return "";
}

std::string ControlPlane::enable_irq(OpContext& ctx) {
  if (ctx.guest >= 0 && ctx.queue >= 0)
    data_.queue_ready(static_cast<uint32_t>(ctx.guest), static_cast<uint32_t>(ctx.queue));
  return "";
}

std::string ControlPlane::disable_irq(OpContext&) {
  // AQIC ir=0: the data path has nothing to update (a reset disables the interrupts anyway); the time it takes
  // is the strategy's work steps.
  return "";
}

} // namespace apq
