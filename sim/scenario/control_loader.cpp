// The control-plane part of a scenario: the locking strategy, reset timing, and the reconfiguration workload
// (a scripted timeline and random admin processes), each error located at file:line:column.

#include "sim/scenario/control_loader.hpp"
#include "models/config_node.hpp"
#include "models/distribution.hpp"
#include "models/suggest.hpp"
#include "sim/scenario/replay.hpp"

#include <algorithm>
#include <cctype>
#include <tuple>

namespace apq {

namespace {

IdSet read_id_value(const ConfigNode& node, std::string_view key) {
  const toml::node* raw = node.raw(key);
  if (raw == nullptr)
    node.fail("missing required key '" + std::string(key) + "'");
  try {
    return parse_id_node(*raw);
  } catch (const std::invalid_argument& e) {
    node.fail(key, e.what());
  }
}

int read_single_id(const ConfigNode& node, std::string_view key) {
  const IdSet ids = read_id_value(node, key);
  if (ids.size() != 1)
    node.fail(key, "expected one id, got " + std::to_string(ids.size()));
  return ids.ids().front();
}

std::vector<std::string> mdev_names(const Scenario& scenario) {
  std::vector<std::string> names;
  for (const MdevSpec& mdev : scenario.mdevs)
    names.push_back(mdev.name);
  return names;
}

std::vector<std::string> guest_names(const Scenario& scenario) {
  std::vector<std::string> names;
  for (const GuestSpec& guest : scenario.guests)
    names.push_back(guest.name);
  return names;
}

int read_mdev(const ConfigNode& node, const Scenario& scenario) {
  const std::string name = node.string("mdev");
  const int m = scenario.find_mdev(name);
  if (m < 0)
    node.fail("mdev", unknown_name_message("mdev", name, mdev_names(scenario)));
  return m;
}

int read_guest(const ConfigNode& node, const Scenario& scenario) {
  const std::string name = node.string("guest");
  const int g = scenario.find_guest(name);
  if (g < 0)
    node.fail("guest", unknown_name_message("guest", name, guest_names(scenario)));
  return g;
}

MaskChange read_mask(const ConfigNode& node) {
  const std::string text = node.string("mask");
  MaskChange change;
  std::string_view ids = text;
  if (!ids.empty() && (ids.front() == '+' || ids.front() == '-')) {
    change.mode = ids.front() == '+' ? MaskChange::Mode::add : MaskChange::Mode::remove;
    ids.remove_prefix(1);
  }
  try {
    change.ids = parse_id_list(ids);
  } catch (const std::invalid_argument& e) {
    node.fail("mask", e.what());
  }
  return change;
}

void check_op_name(const ConfigNode& node, std::string_view key, const std::string& op) {
  const auto& ops = admin_operations();
  if (std::find(ops.begin(), ops.end(), op) != ops.end())
    return;
  node.fail(key, unknown_name_message("operation", op, ops));
}

/** An APQN as lszcrypt writes it, "01.0003": the adapter and the domain in hex. */
std::pair<int, int> read_apqn(const ConfigNode& node, const Scenario& scenario) {
  const std::string text = node.string("queue");
  const auto dot = text.find('.');
  auto hex = [&](std::string_view part) {
    int value = 0;
    if (part.empty() || part.size() > 4)
      node.fail("queue", "expected an APQN such as \"01.0003\" (adapter.domain, hex), got '" + text + "'");
    for (char c : part) {
      const int digit = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                        : std::isxdigit(static_cast<unsigned char>(c))
                            ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                            : -1;
      if (digit < 0)
        node.fail("queue", "expected an APQN such as \"01.0003\" (adapter.domain, hex), got '" + text + "'");
      value = value * 16 + digit;
    }
    if (value > kMaxApId)
      node.fail("queue", "'" + text + "': ids go up to 0xff");
    return value;
  };
  if (dot == std::string::npos)
    node.fail("queue", "expected an APQN such as \"01.0003\" (adapter.domain, hex), got '" + text + "'");
  const int adapter = hex(std::string_view(text).substr(0, dot)), domain = hex(std::string_view(text).substr(dot + 1));
  const CardSpec* card = scenario.find_card(adapter);
  if (card == nullptr || !card->domains.contains(domain))
    node.fail("queue", "no card has queue " + apqn_name(adapter, domain));
  return {adapter, domain};
}

/** The target keys each op takes, read from a timeline entry. */
AdminAction read_action(const ConfigNode& node, const Scenario& scenario) {
  AdminAction action;
  action.op = node.string("op");
  action.where = node.where("op");
  check_op_name(node, "op", action.op);
  const std::string& op = action.op;
  if (op == "apmask_store" || op == "aqmask_store") {
    action.mask = read_mask(node);
  } else if (op == "set_kvm" || op == "unset_kvm") {
    action.guest = read_guest(node, scenario);
    // The mdev QEMU opens for the guest (or closes): the guest's own unless the entry names another.
    action.mdev =
        node.has("mdev") ? read_mdev(node, scenario) : scenario.guests[static_cast<std::size_t>(action.guest)].mdev;
  } else if (op == "card_offline" || op == "card_online") {
    action.id = read_single_id(node, "adapter");
    if (scenario.find_card(action.id) == nullptr)
      node.fail("adapter", "no card has this adapter id");
  } else if (op == "queue_unbind" || op == "queue_bind") {
    std::tie(action.id, action.domain) = read_apqn(node, scenario);
    if (op == "queue_bind") {
      action.driver = node.string("driver");
      if (action.driver != "vfio_ap" && action.driver != "cex4queue")
        node.fail("driver", "bind to \"vfio_ap\" or to the default driver \"cex4queue\"");
    }
  } else {
    action.mdev = read_mdev(node, scenario);
    if (op.ends_with("_adapter"))
      action.id = read_single_id(node, "adapter");
    else if (op.ends_with("_domain"))
      action.id = read_single_id(node, "domain");
  }
  return action;
}

RetryPolicyPtr read_retry(const ConfigNode& node) {
  if (auto table = node.table_opt("retry"))
    return make_retry_policy(*table);
  return no_retry();
}

std::vector<TimelineEntry> read_timeline(const ConfigNode& reconfig, const Scenario& scenario) {
  std::vector<TimelineEntry> timeline;
  if (!reconfig.has("timeline"))
    return timeline;
  for (const ConfigNode& node : reconfig.tables("timeline")) {
    TimelineEntry entry;
    entry.at = node.duration("at");
    if (entry.at >= scenario.run.horizon)
      node.fail("at", "after the horizon: the operation would never run");
    entry.action = read_action(node, scenario);
    entry.name = node.string_or("name", "admin-" + std::to_string(timeline.size() + 1));
    entry.retry = read_retry(node);
    node.reject_unknown_keys();
    timeline.push_back(std::move(entry));
  }
  return timeline;
}

std::vector<RandomAdmin> read_random(const ConfigNode& reconfig, const Scenario& scenario) {
  std::vector<RandomAdmin> admins;
  if (!reconfig.has("random"))
    return admins;
  for (const ConfigNode& node : reconfig.tables("random")) {
    RandomAdmin admin;
    admin.name = node.string_or("name", "random-" + std::to_string(admins.size() + 1));
    admin.where = node.where();
    admin.rate = node.rate("rate");
    if (!(admin.rate > 0))
      node.fail("rate", "must be more than 0");
    admin.start = node.duration_or("start", 0.0);
    admin.stop = node.duration_or("stop", scenario.run.horizon);
    if (admin.stop <= admin.start)
      node.fail("stop", "must be after start");
    const ConfigNode ops = node.table("ops");
    for (const std::string& op : ops.keys()) {
      check_op_name(ops, op, op);
      const double weight = ops.number(op);
      if (!(weight > 0))
        ops.fail(op, "weights must be more than 0");
      admin.ops.emplace_back(op, weight);
    }
    if (admin.ops.empty())
      node.fail("ops", "name at least one operation, e.g. { assign_adapter = 1, unassign_adapter = 1 }");
    if (node.has("mdevs"))
      for (const std::string& name : node.strings("mdevs")) {
        const int m = scenario.find_mdev(name);
        if (m < 0)
          node.fail("mdevs", unknown_name_message("mdev", name, mdev_names(scenario)));
        admin.mdevs.push_back(m);
      }
    if (node.has("guests"))
      for (const std::string& name : node.strings("guests")) {
        const int g = scenario.find_guest(name);
        if (g < 0)
          node.fail("guests", unknown_name_message("guest", name, guest_names(scenario)));
        admin.guests.push_back(g);
      }
    if (node.has("adapters"))
      admin.adapters = read_id_value(node, "adapters");
    if (node.has("domains"))
      admin.domains = read_id_value(node, "domains");
    // Each operation needs its kind of target.
    for (const auto& [op, weight] : admin.ops) {
      if (op == "queue_unbind" || op == "queue_bind")
        ops.fail(op, op + " names one queue: use it in a [[reconfig.timeline]] entry");
      const bool needs_mdev = op.find("assign") != std::string::npos || op == "vfio_reset" || op == "mdev_remove" ||
                              op == "sysfs_show" || op == "dma_unmap";
      const bool needs_adapter = op.ends_with("_adapter") || op == "apmask_store" || op.starts_with("card_");
      const bool needs_domain = op.ends_with("_domain") || op == "aqmask_store";
      const bool needs_guest = op == "set_kvm" || op == "unset_kvm";
      if (needs_mdev && admin.mdevs.empty())
        node.fail("ops", op + " needs targets: add mdevs = [\"...\"]");
      if (needs_adapter && admin.adapters.empty())
        node.fail("ops", op + " needs targets: add adapters = \"0x..\"");
      if (needs_domain && admin.domains.empty())
        node.fail("ops", op + " needs targets: add domains = \"0x..\"");
      if (needs_guest && admin.guests.empty())
        node.fail("ops", op + " needs targets: add guests = [\"...\"]");
    }
    admin.retry = read_retry(node);
    node.reject_unknown_keys();
    admins.push_back(std::move(admin));
  }
  return admins;
}

} // namespace

IdSet MaskChange::apply(const IdSet& mask) const {
  switch (mode) {
  case Mode::add:
    return mask | ids;
  case Mode::remove: {
    IdSet out = mask;
    for (int id : ids.ids())
      out.erase(id);
    return out;
  }
  case Mode::replace:
    return ids;
  }
  return ids;
}

std::string MaskChange::str() const {
  return (mode == Mode::add ? "+" : mode == Mode::remove ? "-" : "") + ids.str();
}

const std::vector<std::string>& admin_operations() {
  static const std::vector<std::string> ops = {"apmask_store",
                                               "aqmask_store",
                                               "assign_adapter",
                                               "unassign_adapter",
                                               "assign_domain",
                                               "unassign_domain",
                                               "assign_control_domain",
                                               "unassign_control_domain",
                                               "set_kvm",
                                               "unset_kvm",
                                               "vfio_reset",
                                               "dma_unmap",
                                               "sysfs_show",
                                               "mdev_remove",
                                               "queue_unbind",
                                               "queue_bind",
                                               "card_offline",
                                               "card_online"};
  return ops;
}

ControlSpec read_control(const ConfigNode& root, const Scenario& scenario) {
  ControlSpec control;
  const ConfigNode run = root.table("run");
  control.strategy = std::make_shared<const Strategy>(run.has("strategy") ? resolve_strategy(run, "strategy")
                                                                          : builtin_strategy(kDefaultStrategy));
  control.reset_time = deterministic_distribution(0.015);
  if (auto table = root.table_opt("control")) {
    if (auto reset = table->table_opt("reset_time"))
      control.reset_time = make_distribution(*reset);
    control.reset_poll = table->duration_or("reset_poll", control.reset_poll);
    if (!(control.reset_poll > 0))
      table->fail("reset_poll", "must be longer than 0s");
    control.bus_scan_interval = table->duration_or("bus_scan_interval", control.bus_scan_interval);
    // ap_config_time_store() accepts 5..120 s.
    if (control.bus_scan_interval < 5 || control.bus_scan_interval > 120)
      table->fail("bus_scan_interval", "the AP bus's config_time is 5s to 120s (ap_config_time_store)");
    control.window_after = table->duration_or("window_after", control.window_after);
    control.baseline = table->boolean_or("baseline", control.baseline);
    control.slow_threshold = table->duration_or("slow_threshold", control.slow_threshold);
    if (control.slow_threshold < 0)
      table->fail("slow_threshold", "must be a duration of at least 0s (0: each guest's p99 in the baseline)");
    table->reject_unknown_keys();
  }
  if (auto reconfig = root.table_opt("reconfig")) {
    control.timeline = read_timeline(*reconfig, scenario);
    control.random = read_random(*reconfig, scenario);
    reconfig->reject_unknown_keys();
  }
  if (auto replay = root.table_opt("replay"))
    control.replay = std::make_shared<const ReplaySpec>(read_replay(*replay, control.timeline));
  return control;
}

} // namespace apq
