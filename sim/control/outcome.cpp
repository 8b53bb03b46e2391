#include "sim/control/outcome.hpp"

#include <algorithm>
#include <set>

namespace apq {

namespace {

std::string driver_name(const HostConfig& host, int a, int d) {
  if (!host.device_exists(a, d))
    return "absent";
  switch (host.driver(a, d)) {
  case QueueDriver::vfio:
    return "vfio_ap";
  case QueueDriver::host:
    return "cex4queue";
  case QueueDriver::none:
    break;
  }
  return "none";
}

template <class T>
void sort_unique(std::vector<T>& items) {
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
}

} // namespace

ControlFinalState final_state_of(const ControlState& state, const Scenario& scenario) {
  ControlFinalState out;
  out.apmask = state.host.masks().apmask.str();
  out.aqmask = state.host.masks().aqmask.str();
  for (const auto& [a, d] : state.host.all_queues())
    out.drivers[apqn_name(a, d)] = driver_name(state.host, a, d);
  for (const MdevState& mdev : state.mdevs)
    out.assigned[mdev.name] = mdev.removed ? "removed" : mdev.adapters.str() + " x " + mdev.domains.str();
  for (std::size_t g = 0; g < state.guests.size(); ++g) {
    const Apcb& crycb = state.guests[g].crycb;
    out.plugged[scenario.guests[g].name] = crycb.adapters.str() + " x " + crycb.domains.str();
  }
  return out;
}

Outcome classify(const ControlInterpreter& interpreter, const Scenario& scenario, std::vector<OpEnd> ops) {
  Outcome out;
  out.ops = std::move(ops);
  const KernelLocks& locks = interpreter.locks();

  // Deadlocks: each cycle's members, in the order of their labels (the cycle reads the same whoever closed it).
  for (const Deadlock& deadlock : locks.deadlocks()) {
    std::vector<std::string> members;
    for (const DeadlockEdge& e : deadlock.cycle)
      members.push_back(e.actor + " (" + e.op + ") holds " + e.holds + ", wants " + e.wants);
    std::sort(members.begin(), members.end());
    std::string text;
    for (const std::string& m : members)
      text += (text.empty() ? "" : "; ") + m;
    out.deadlocks.push_back(text);
  }
  // Inversions: by the classes on the cycle, not by which acquisition closed it first.
  for (const Inversion& inversion : locks.inversions()) {
    std::vector<std::string> classes = inversion.cycle;
    sort_unique(classes);
    std::string text;
    for (const std::string& c : classes)
      text += (text.empty() ? "" : " <-> ") + c;
    out.inversions.push_back(text);
  }
  for (const StolenQueueReport& s : interpreter.stolen_queues())
    out.stolen.push_back(s.queue + " of mdev " + s.mdev + (s.guest.empty() ? "" : " (guest " + s.guest + ")") +
                         ", assigned by " + s.assigned_by + ", taken by " + s.taken_by);
  for (const KernelBugReport& b : interpreter.kernel_bugs()) {
    // The step's file:line without its directory: the same strategy read from elsewhere is the same bug.
    const std::string where = b.where.substr(b.where.find_last_of('/') + 1);
    out.kernel_bugs.push_back(b.actor + " (" + b.op + ") at " + where + ": " + b.what);
  }
  sort_unique(out.deadlocks);
  sort_unique(out.inversions);
  sort_unique(out.stolen);
  sort_unique(out.kernel_bugs);
  if (!out.deadlocks.empty())
    out.violations.emplace_back(kDeadlock);
  if (!out.inversions.empty())
    out.violations.emplace_back(kInversion);
  if (!out.stolen.empty())
    out.violations.emplace_back(kStolenQueue);
  if (!out.kernel_bugs.empty())
    out.violations.emplace_back(kKernelBug);

  out.final_state = final_state_of(interpreter.state(), scenario);
  const ControlFinalState& f = out.final_state;

  std::string& key = out.key;
  for (const OpEnd& op : out.ops)
    key += op.name + "=" + op.result + "/" + std::to_string(op.attempts) + ";";
  auto list = [&key](const char* what, const std::vector<std::string>& items) {
    key += what;
    for (const std::string& item : items)
      key += "[" + item + "]";
    key += ";";
  };
  list("deadlock", out.deadlocks);
  list("inversion", out.inversions);
  list("stolen", out.stolen);
  list("bug", out.kernel_bugs);
  key += "apmask=" + f.apmask + ";aqmask=" + f.aqmask + ";";
  for (const auto& [apqn, driver] : f.drivers)
    key += apqn + "=" + driver + ",";
  for (const auto& [mdev, m] : f.assigned)
    key += ";" + mdev + ":" + m;
  for (const auto& [guest, m] : f.plugged)
    key += ";" + guest + "<" + m;
  return out;
}

std::string Outcome::headline() const {
  std::string text;
  for (const OpEnd& op : ops)
    text += (text.empty() ? "" : ", ") + op.name + " " + op.result +
            (op.attempts > 1 ? " (" + std::to_string(op.attempts) + " attempts)" : "");
  std::string marks;
  for (const std::string& v : violations) {
    std::string upper = v == kInversion ? "LOCK-ORDER INVERSION" : v;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) { return c == '_' ? ' ' : std::toupper(c); });
    // How many, when there are several: four queues stolen is another outcome than three.
    const std::size_t n = v == kDeadlock      ? deadlocks.size()
                          : v == kInversion   ? inversions.size()
                          : v == kStolenQueue ? stolen.size()
                                              : kernel_bugs.size();
    marks += (marks.empty() ? "" : ", ") + upper + (n > 1 ? " (" + std::to_string(n) + ")" : "");
  }
  return marks.empty() ? text : text + "; " + marks;
}

std::vector<std::string> Outcome::state_lines() const {
  const auto& [apmask, aqmask, drivers, assigned, plugged] = final_state;
  std::vector<std::string> lines;
  lines.push_back("ap_perms: apmask " + (apmask.empty() ? std::string("(none)") : apmask) + ", aqmask " +
                  (aqmask.empty() ? std::string("(none)") : aqmask));
  // Drivers by adapter: "0x01 cex4queue" when its queues agree, else each queue.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> by_adapter;
  for (const auto& [apqn, driver] : drivers)
    by_adapter[apqn.substr(0, apqn.find('.'))].emplace_back(apqn, driver);
  std::string text;
  for (const auto& [adapter, queues] : by_adapter) {
    const std::string& first = queues[0].second; // a lambda cannot capture a structured binding (clang 14)
    const bool same = std::all_of(queues.begin(), queues.end(), [&first](const auto& q) { return q.second == first; });
    std::string part = "0x" + adapter + " ";
    if (same) {
      part += queues[0].second;
    } else {
      std::string each;
      for (const auto& [apqn, driver] : queues)
        each += (each.empty() ? "" : ", ") + apqn + " " + driver;
      part += "(" + each + ")";
    }
    text += (text.empty() ? "" : "; ") + part;
  }
  lines.push_back("drivers: " + text);
  text.clear();
  for (const auto& [mdev, m] : assigned)
    text += (text.empty() ? "" : "; ") + mdev + " " + m;
  lines.push_back("assigned: " + text);
  text.clear();
  for (const auto& [guest, m] : plugged)
    text += (text.empty() ? "" : "; ") + guest + " " + m;
  lines.push_back("plugged: " + text);
  return lines;
}

} // namespace apq
