#include "sim/explore/explorer.hpp"

#include "models/config_node.hpp"
#include "sim/control/admin_action.hpp"
#include "sim/control/replay_gate.hpp"
#include "sim/explore/abstract_data_plane.hpp"
#include "sim/explore/state_codec.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <stdexcept>
#include <unordered_map>

namespace apq {

// --- counts ------------------------------------------------------------------------------------------------------

std::string count_text(Count count) {
  if (count < 1e19L) {
    std::string digits = std::to_string(static_cast<unsigned long long>(count));
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
      if (i > 0 && (digits.size() - i) % 3 == 0)
        out.push_back(',');
      out.push_back(digits[i]);
    }
    return out;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.3Le", count);
  return text;
}

// --- the explorer --------------------------------------------------------------------------------------------------

namespace {

/** card: its card event's hardware change comes next; retry: its next attempt starts next (both are steps, as in
 *  `apqsim run`, where the forced order holds them too). */
enum class Status : uint8_t { card, retry, paused, blocked, done, dead };

/** Where one timeline operation stands. */
struct AgentState {
  TaskId task = -1; // the running attempt's task; -1 before the first and once done
  int attempts = 0;
  Status status = Status::paused;
  std::string result; // done: "ok" or the errno; dead: "oops"
  double clock = 0;   // --respect-times: when it reaches its next point
  // The point it stopped at (paused), for narration and replay: not part of the state (its task's frames say it).
  const OpSteps* op = nullptr;
  const Step* step = nullptr;
  PausePoint point = PausePoint::step;
};

struct State {
  StateCodec::Snapshot snapshot;
  std::vector<AgentState> agents;
  int last = -1; // the operation that moved last (preemption bound)
  int preemptions = 0;
};

struct Edge {
  int agent;
  uint32_t child;
};

struct Node {
  enum class Mark : uint8_t { open, done };
  Mark mark = Mark::open;
  int outcome = -1; // terminal: its class
  uint32_t semantic = 0;
  Count count = 0; // complete schedules from here (once done)
  uint32_t edge_begin = 0, edge_end = 0;
};

} // namespace

struct Explorer::Impl {
  Impl(const Scenario& s, const Strategy& st, ExploreOptions l)
      : scenario(s), strategy(st), limits(l), interp(s, st, env) {
    interp.set_step_mode(true);
  }

  const Scenario& scenario;
  const Strategy& strategy;
  ExploreOptions limits;
  AbstractDataPlane env;
  ControlInterpreter interp;
  std::vector<const TimelineEntry*> entries;
  std::vector<std::unique_ptr<NamedStream>> rngs;
  State initial;                               // before the `before` operations ran
  State root;                                  // where the search starts
  std::vector<int> prologue;                   // the steps from initial to root
  std::vector<ControlEvent>* events = nullptr; // narration: the trace of the transition running
  std::function<void(uint64_t)> progress;      // states so far, every few thousand transitions

  // --- transitions ---------------------------------------------------------------------------------------------

  int agent_of(const State& s, TaskId task) const {
    for (std::size_t i = 0; i < s.agents.size(); ++i)
      if (s.agents[i].task == task)
        return static_cast<int>(i);
    throw std::logic_error("explore: task " + std::to_string(task) + " belongs to no timeline operation");
  }

  void settle(State& s, int i, Yield y) {
    AgentState& a = s.agents[static_cast<std::size_t>(i)];
    while (y.kind == YieldKind::sleep) {
      // Timed: a work step takes its distribution's mean, a reset poll its interval.
      a.clock += y.step != nullptr && y.step->work ? y.step->work->mean() : y.duration;
      y = interp.advance(a.task, 0);
    }
    switch (y.kind) {
    case YieldKind::step:
      a.status = Status::paused;
      a.op = y.op;
      a.step = y.step;
      a.point = y.point;
      return;
    case YieldKind::blocked:
      a.status = Status::blocked;
      return;
    case YieldKind::dead:
      a.status = Status::dead;
      a.result = "oops";
      return;
    case YieldKind::done:
      finish_attempt(s, i, y.error);
      return;
    case YieldKind::sleep:
      break;
    }
  }

  void finish_attempt(State& s, int i, const std::string& error) {
    AgentState& a = s.agents[static_cast<std::size_t>(i)];
    a.task = -1;
    const TimelineEntry& entry = *entries[static_cast<std::size_t>(i)];
    if (!error.empty() && entry.retry->retries(error, a.attempts)) {
      a.status = Status::retry; // after the retry delay (timed: the policy's delay for this attempt)
      NamedStream delay_rng(scenario.run.seed, "explore/retry/" + entry.name + "/" + std::to_string(a.attempts));
      a.clock += entry.retry->delay(a.attempts, delay_rng);
      return;
    }
    a.status = Status::done;
    a.result = error.empty() ? "ok" : error;
  }

  /** A new attempt of operation i: an errno at once, a card event's hardware change to come, or a task that runs to
   *  its first stop. */
  void begin(State& s, int i) {
    AgentState& a = s.agents[static_cast<std::size_t>(i)];
    ++a.attempts;
    AdminStart start = admin_start(entries[static_cast<std::size_t>(i)]->action, interp.state(),
                                   entries[static_cast<std::size_t>(i)]->name, *rngs[static_cast<std::size_t>(i)]);
    if (!start.error.empty()) {
      finish_attempt(s, i, start.error);
      return;
    }
    if (start.card_online) {
      a.status = Status::card;
      a.op = nullptr;
      a.step = nullptr;
      return;
    }
    a.task = interp.start(start.op, std::move(start.ctx), 0);
    settle(s, i, interp.advance(a.task, 0));
  }

  /** Operation i goes from its stop to its next one; the interpreter must be in state s, which becomes the next
   *  state (but for its snapshot). */
  void execute(State& s, int i) {
    if (s.last >= 0 && s.last != i && enabled(s.agents[static_cast<std::size_t>(s.last)]))
      ++s.preemptions; // the last operation could have gone on
    s.last = i;
    AgentState& a = s.agents[static_cast<std::size_t>(i)];
    const double now = a.clock;
    if (a.status == Status::retry) {
      if (events)
        events->push_back(ControlEvent{0,
                                       entries[static_cast<std::size_t>(i)]->name,
                                       "",
                                       "retry",
                                       "attempt " + std::to_string(a.attempts + 1),
                                       {}});
      begin(s, i);
    } else if (a.status == Status::card) {
      const AdminAction& action = entries[static_cast<std::size_t>(i)]->action;
      const bool online = action.op == "card_online";
      interp.state().host.set_hw_online(action.id, online);
      if (events)
        events->push_back(ControlEvent{0, entries[static_cast<std::size_t>(i)]->name, "", "card",
                                       online ? "adapter " + hex_id(action.id) + " returns"
                                              : "adapter " + hex_id(action.id) + " leaves",
                                       action.where});
      AdminStart start = admin_start(action, interp.state(), entries[static_cast<std::size_t>(i)]->name,
                                     *rngs[static_cast<std::size_t>(i)]);
      a.task = interp.start(start.op, std::move(start.ctx), 0);
      settle(s, i, interp.advance(a.task, 0));
    } else {
      settle(s, i, interp.advance(a.task, 0));
    }
    for (TaskId woken : interp.take_woken()) {
      const int w = agent_of(s, woken);
      AgentState& b = s.agents[static_cast<std::size_t>(w)];
      b.clock = std::max(b.clock, now);       // it goes on when the lock was released
      settle(s, w, interp.advance(woken, 0)); // stops at once: the granted lock is its next point
    }
  }

  static bool enabled(const AgentState& a) {
    return a.status == Status::paused || a.status == Status::card || a.status == Status::retry;
  }

  /** The operations that can go next; timed, only those whose next point comes first (ties: every order). */
  std::vector<int> enabled_agents(const State& s) const {
    std::vector<int> out;
    double first = std::numeric_limits<double>::infinity();
    for (const AgentState& a : s.agents)
      if (enabled(a))
        first = std::min(first, a.clock);
    for (std::size_t i = 0; i < s.agents.size(); ++i)
      if (enabled(s.agents[i]) && (!limits.respect_times || s.agents[i].clock <= first + kTie))
        out.push_back(static_cast<int>(i));
    return out;
  }
  static constexpr double kTie = 1e-12; // seconds: sums of the same durations in another order

  /** Whether moving operation i from s stays within the preemption bound. */
  bool allowed(const State& s, int i) const {
    if (limits.preemptions < 0 || s.last < 0 || s.last == i)
      return true;
    if (!enabled(s.agents[static_cast<std::size_t>(s.last)]))
      return true;
    return s.preemptions < limits.preemptions;
  }

  std::string key_buffer;
  Fingerprint fingerprint(const State& s, bool with_bound) {
    key_buffer.clear();
    std::vector<TaskId> live;
    for (const AgentState& a : s.agents)
      live.push_back(a.status == Status::done ? -1 : a.task);
    StateCodec::encode(interp, live, key_buffer);
    for (const AgentState& a : s.agents) {
      if (limits.respect_times)
        key_buffer.append(std::to_string(std::llround(a.clock / kTie)));
      key_buffer.push_back(static_cast<char>(a.status));
      key_buffer.append(std::to_string(a.attempts));
      key_buffer.push_back('|');
      key_buffer.append(a.result);
      key_buffer.push_back('|');
    }
    if (with_bound && limits.preemptions >= 0) {
      key_buffer.append(std::to_string(s.last));
      key_buffer.push_back('/');
      key_buffer.append(std::to_string(s.preemptions));
    }
    return fingerprint_of(key_buffer);
  }

  std::vector<OpEnd> op_ends(const State& s) const {
    std::vector<OpEnd> out;
    for (std::size_t i = 0; i < s.agents.size(); ++i) {
      const AgentState& a = s.agents[i];
      std::string result = a.result;
      if (a.status == Status::blocked)
        result = "hung";
      out.push_back(OpEnd{entries[i]->name, result, a.attempts});
    }
    return out;
  }

  void reset_to_initial(State& s) {
    StateCodec::restore(interp, initial.snapshot);
    s.agents = initial.agents;
    s.last = -1;
    s.preemptions = 0;
  }

  // --- the search ------------------------------------------------------------------------------------------------

  std::vector<Node> nodes;
  std::vector<Edge> edges;
  std::unordered_map<Fingerprint, uint32_t, FingerprintHash> index;
  std::unordered_map<Fingerprint, uint32_t, FingerprintHash> semantic_index;
  std::vector<uint32_t> finished; // nodes in the order their search finished (reverse topological)
  std::vector<Outcome> outcomes;
  std::unordered_map<std::string, int> outcome_ids;
  std::vector<std::string> warnings;
  uint64_t transitions = 0;

  struct Frame {
    uint32_t node = 0;
    State state;
    std::vector<int> todo;
    std::size_t next = 0;
    std::vector<Edge> out;
    Count count = 0;
  };

  ExploreResult search();
  void finish(ExploreResult& result);
};

ExploreResult Explorer::Impl::search() {
  ExploreResult result;
  result.strategy = strategy.name();
  result.strategy_file = strategy.source_file();
  result.strategy_extends = strategy.extends();
  for (const TimelineEntry* e : entries) {
    result.agents.push_back(e->name);
    result.agent_ops.push_back(e->action.op + " " + describe_target(e->action, scenario));
  }
  const auto t0 = std::chrono::steady_clock::now();

  std::vector<Frame> stack(1);
  stack[0].state = root;
  int depth = 0;
  uint32_t live = 0; // the node the interpreter is in (root now)
  auto open = [&](Frame& f, uint32_t id) {
    f.node = id;
    f.todo.clear();
    for (int i : enabled_agents(f.state))
      if (allowed(f.state, i))
        f.todo.push_back(i);
    f.next = 0;
    f.out.clear();
    f.count = 0;
    if (f.todo.empty()) { // terminal
      Outcome outcome = classify(interp, scenario, op_ends(f.state));
      auto [it, inserted] = outcome_ids.try_emplace(outcome.key, static_cast<int>(outcomes.size()));
      if (inserted)
        outcomes.push_back(std::move(outcome));
      nodes[id].outcome = it->second;
    }
  };
  auto add_node = [&](const Fingerprint& full, const Fingerprint& semantic) {
    Node node;
    auto [it, inserted] = semantic_index.try_emplace(semantic, static_cast<uint32_t>(semantic_index.size()));
    node.semantic = it->second;
    nodes.push_back(node);
    index.emplace(full, static_cast<uint32_t>(nodes.size() - 1));
    return static_cast<uint32_t>(nodes.size() - 1);
  };
  add_node(fingerprint(root, true), fingerprint(root, false));
  open(stack[0], 0);

  Count covered = 0;
  bool stopped = false;
  while (depth >= 0) {
    Frame& f = stack[static_cast<std::size_t>(depth)];
    if (f.next == f.todo.size() || stopped) {
      Node& node = nodes[f.node];
      node.count = f.todo.empty() ? 1.0L : f.count;
      if (f.todo.empty())
        covered += 1;
      node.mark = Node::Mark::done;
      node.edge_begin = static_cast<uint32_t>(edges.size());
      edges.insert(edges.end(), f.out.begin(), f.out.end());
      node.edge_end = static_cast<uint32_t>(edges.size());
      finished.push_back(f.node);
      --depth;
      if (depth >= 0)
        stack[static_cast<std::size_t>(depth)].count += node.count;
      continue;
    }
    const int i = f.todo[f.next++];
    if (live != f.node)
      StateCodec::restore(interp, f.state.snapshot);
    live = UINT32_MAX;
    if (stack.size() <= static_cast<std::size_t>(depth) + 1)
      stack.emplace_back();
    Frame& f2 = stack[static_cast<std::size_t>(depth)]; // emplace_back may have moved the frames
    Frame& child = stack[static_cast<std::size_t>(depth) + 1];
    child.state.agents = f2.state.agents;
    child.state.last = f2.state.last;
    child.state.preemptions = f2.state.preemptions;
    execute(child.state, i);
    ++transitions;
    if (progress && (transitions & 0xfff) == 0)
      progress(nodes.size());
    const Fingerprint full = fingerprint(child.state, true);
    auto found = index.find(full);
    if (found == index.end()) {
      const uint32_t id = add_node(full, limits.preemptions >= 0 ? fingerprint(child.state, false) : full);
      f2.out.push_back(Edge{i, id});
      StateCodec::save(interp, child.state.snapshot);
      live = id;
      ++depth;
      open(child, id);
    } else if (nodes[found->second].mark == Node::Mark::done) {
      f2.out.push_back(Edge{i, found->second});
      f2.count += nodes[found->second].count;
      covered += nodes[found->second].count;
    } else {
      // The state is on the current path: an operation can loop for ever. Bounded retries and the strategies'
      // validation rule this out; say so if it happens rather than count a cycle.
      if (warnings.empty() || warnings.back().find("cycle") == std::string::npos)
        warnings.push_back("the state graph has a cycle (an operation can loop for ever): schedules through it "
                           "are not counted");
    }
    if (limits.max_schedules > 0 && covered >= limits.max_schedules)
      stopped = true;
  }
  result.exhaustive = !stopped;
  if (stopped)
    result.bound = "stopped after " + count_text(covered) + " schedules (--max-schedules " +
                   std::to_string(limits.max_schedules) + ")";
  if (limits.preemptions >= 0) {
    result.exhaustive = false;
    result.bound = "at most " + std::to_string(limits.preemptions) + " preemptions per schedule" +
                   (result.bound.empty() ? "" : "; " + result.bound);
  }
  result.states = nodes.size();
  result.transitions = transitions;
  finish(result);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  result.warnings = warnings;
  return result;
}

void Explorer::Impl::finish(ExploreResult& result) {
  const std::size_t n = nodes.size();
  auto edge_to = [&](uint32_t node, int agent) -> int64_t {
    for (uint32_t e = nodes[node].edge_begin; e < nodes[node].edge_end; ++e)
      if (edges[e].agent == agent)
        return edges[e].child;
    return -1;
  };
  // Every schedule: paths from the root, forward in topological order (the reverse of the finishing order).
  std::vector<Count> paths(n, 0);
  paths[0] = 1;
  std::vector<Count> schedules(outcomes.size(), 0), reduced(outcomes.size(), 0);
  for (auto it = finished.rbegin(); it != finished.rend(); ++it) {
    const Node& node = nodes[*it];
    if (node.outcome >= 0)
      schedules[static_cast<std::size_t>(node.outcome)] += paths[*it];
    for (uint32_t e = node.edge_begin; e < node.edge_end; ++e)
      paths[edges[e].child] += paths[*it];
  }

  // Sleep sets: from (node, sleep set) forward; a transition taken from a node goes to sleep for the transitions
  // taken after it, and stays asleep in a child while it commutes with the transition that led there.
  auto independent = [&](uint32_t s, int u, int t) {
    const int64_t su = edge_to(s, u), st = edge_to(s, t);
    if (su < 0 || st < 0)
      return false;
    const int64_t sut = edge_to(static_cast<uint32_t>(su), t), stu = edge_to(static_cast<uint32_t>(st), u);
    return sut >= 0 && stu >= 0 &&
           nodes[static_cast<std::size_t>(sut)].semantic == nodes[static_cast<std::size_t>(stu)].semantic;
  };
  std::vector<std::unordered_map<uint64_t, Count>> sleeping(n);
  sleeping[0][0] = 1;
  for (auto it = finished.rbegin(); it != finished.rend(); ++it) {
    const uint32_t s = *it;
    const Node& node = nodes[s];
    for (const auto& [asleep, count] : sleeping[s]) {
      if (node.outcome >= 0) {
        reduced[static_cast<std::size_t>(node.outcome)] += count;
        continue;
      }
      uint64_t sleep = asleep;
      for (uint32_t e = node.edge_begin; e < node.edge_end; ++e) {
        const int t = edges[e].agent;
        if (sleep & (uint64_t{1} << t))
          continue;
        uint64_t next = 0;
        for (int u = 0; u < 64; ++u)
          if ((sleep & (uint64_t{1} << u)) && independent(s, u, t))
            next |= uint64_t{1} << u;
        Count& slot = sleeping[edges[e].child][next];
        slot += count;
        sleep |= uint64_t{1} << t;
      }
    }
    std::unordered_map<uint64_t, Count>().swap(sleeping[s]);
  }

  // Shortest witnesses: breadth-first from the root.
  std::vector<int64_t> parent(n, -1);
  std::vector<int> via(n, -1);
  std::vector<bool> seen(n, false);
  std::deque<uint32_t> queue{0};
  seen[0] = true;
  std::vector<int64_t> first(outcomes.size(), -1);
  while (!queue.empty()) {
    const uint32_t s = queue.front();
    queue.pop_front();
    if (nodes[s].outcome >= 0 && first[static_cast<std::size_t>(nodes[s].outcome)] < 0)
      first[static_cast<std::size_t>(nodes[s].outcome)] = s;
    for (uint32_t e = nodes[s].edge_begin; e < nodes[s].edge_end; ++e) {
      const uint32_t c = edges[e].child;
      if (seen[c])
        continue;
      seen[c] = true;
      parent[c] = s;
      via[c] = edges[e].agent;
      queue.push_back(c);
    }
  }

  for (std::size_t k = 0; k < outcomes.size(); ++k) {
    if (schedules[k] == 0)
      continue; // reached only through a part of the graph the bounded search did not finish
    OutcomeClass c;
    c.outcome = outcomes[k];
    c.schedules = schedules[k];
    c.reduced = reduced[k];
    for (int64_t s = first[k]; s > 0; s = parent[static_cast<std::size_t>(s)])
      c.witness.push_back(via[static_cast<std::size_t>(s)]);
    c.witness.insert(c.witness.end(), prologue.rbegin(), prologue.rend());
    std::reverse(c.witness.begin(), c.witness.end());
    result.schedules += c.schedules;
    result.reduced += c.reduced;
    result.classes.push_back(std::move(c));
  }
  std::stable_sort(result.classes.begin(), result.classes.end(), [](const OutcomeClass& a, const OutcomeClass& b) {
    if (a.outcome.violations.empty() != b.outcome.violations.empty())
      return !a.outcome.violations.empty();
    return a.schedules > b.schedules;
  });
}

// --- the public face ---------------------------------------------------------------------------------------------

Explorer::Explorer(const Scenario& scenario, const Strategy& strategy, ExploreOptions limits)
    : impl_(std::make_unique<Impl>(scenario, strategy, limits)) {
  const ControlSpec& control = scenario.control;
  if (!control.random.empty())
    throw ConfigError(control.random.front().where,
                      "explore interleaves the timeline's operations; a random admin has no fixed set of them "
                      "(remove [[reconfig.random]] from the scenario you explore)");
  if (control.timeline.empty())
    throw ConfigError(scenario.file.string(), "explore needs a [[reconfig.timeline]]: the operations to interleave");
  if (control.timeline.size() > 63)
    throw ConfigError(control.timeline[63].action.where, "explore interleaves at most 63 operations");
  for (std::size_t i = 0; i < control.timeline.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (control.timeline[i].name == control.timeline[j].name)
        throw ConfigError(control.timeline[i].action.where,
                          "two timeline entries are named '" + control.timeline[i].name +
                              "': explore names each operation's steps by it; give each a distinct name");
  Impl& m = *impl_;
  for (const TimelineEntry& entry : control.timeline) {
    m.entries.push_back(&entry);
    m.rngs.push_back(std::make_unique<NamedStream>(scenario.run.seed, "admin/" + entry.name));
  }
  State& s = m.initial;
  s.agents.resize(m.entries.size());
  for (std::size_t i = 0; i < m.entries.size(); ++i) {
    s.agents[i].clock = limits.respect_times ? m.entries[i]->at : 0;
    m.begin(s, static_cast<int>(i));
  }
  StateCodec::save(m.interp, s.snapshot);
  m.root = s;
  for (const std::string& name : limits.before) {
    auto it = std::find_if(m.entries.begin(), m.entries.end(), [&](const TimelineEntry* e) { return e->name == name; });
    if (it == m.entries.end())
      throw ConfigError("explore.before", "no timeline operation is named '" + name + "'");
    const int i = static_cast<int>(it - m.entries.begin());
    while (Impl::enabled(m.root.agents[static_cast<std::size_t>(i)])) {
      m.execute(m.root, i);
      m.prologue.push_back(i);
    }
    if (m.root.agents[static_cast<std::size_t>(i)].status != Status::done)
      throw ConfigError((*it)->action.where, "explore.before: operation '" + name +
                                                 "' does not run to its end on its own (it waits for a lock or dies)");
  }
  m.root.last = -1;
  m.root.preemptions = 0;
  StateCodec::save(m.interp, m.root.snapshot);
}

Explorer::~Explorer() = default;

ExploreResult Explorer::run() {
  return impl_->search();
}

void Explorer::set_progress(std::function<void(uint64_t states)> callback) {
  impl_->progress = std::move(callback);
}

std::vector<WitnessStep> Explorer::narrate(const std::vector<int>& schedule) {
  Impl& m = *impl_;
  State s;
  m.reset_to_initial(s);
  std::vector<ControlEvent> events;
  m.interp.set_trace([&events](const ControlEvent& e) { events.push_back(e); });
  m.events = &events;
  std::vector<WitnessStep> out;
  for (int i : schedule) {
    const AgentState& a = s.agents[static_cast<std::size_t>(i)];
    const PausePoint point = a.point;
    WitnessStep step;
    step.agent = m.entries[static_cast<std::size_t>(i)]->name;
    if (a.status == Status::card) {
      step.step = m.entries[static_cast<std::size_t>(i)]->action.op == "card_online" ? "card returns" : "card leaves";
      step.where = m.entries[static_cast<std::size_t>(i)]->action.where;
    } else if (a.status == Status::retry) {
      step.step = "retry";
      step.where = m.entries[static_cast<std::size_t>(i)]->action.where;
    } else {
      step.op = a.op->name;
      step.where = a.step->where;
      step.step = point_name(a.point, *a.step);
    }
    events.clear();
    m.execute(s, i);
    std::string result;
    bool then = false; // what followed the step itself: calls, returns
    for (const ControlEvent& e : events) {
      std::string text;
      if (e.what == "acquired" && point != PausePoint::resume)
        text = "acquired";
      else if (e.what == "busy")
        text = "busy";
      else if (e.what == "effect" && e.detail.find(" -> ") != std::string::npos)
        text = e.detail.substr(e.detail.find(" -> ") + 1);
      else if (e.what == "lock" || e.what == "down_read" || e.what == "down_write")
        text = "";
      else if (e.what == "start" && e.op != step.op)
        text = "call " + e.op;
      else if (e.what == "end")
        text = e.op + " " + (e.detail == "ok" ? "returns" : "fails " + e.detail);
      else if (e.what == "stolen_queue" || e.what == "deadlock" || e.what == "oops" || e.what == "zapq" ||
               e.what == "aqic")
        text = e.what + ": " + e.detail;
      if (text.empty())
        continue;
      const bool follows = e.what == "start" || e.what == "end";
      result += (result.empty() ? "" : "; ") + std::string(follows && !then ? "then " : "") + text;
      then = then || follows;
    }
    if (a.status == Status::blocked)
      result += (result.empty() ? "" : "; ") + std::string("waits");
    step.result = result;
    out.push_back(std::move(step));
  }
  m.interp.set_trace(nullptr);
  m.events = nullptr;
  // The witness must end where the search said: anything else is a state the codec failed to save or restore.
  if (!m.enabled_agents(s).empty())
    throw std::logic_error("explore: a witness stops before the end of its schedule");
  last_outcome_ = classify(m.interp, m.scenario, m.op_ends(s));
  return out;
}

std::vector<ReplayEntry> Explorer::replay(const std::vector<int>& schedule) {
  std::vector<ReplayEntry> out;
  for (const WitnessStep& step : narrate(schedule))
    out.push_back(ReplayEntry{step.agent, step.op, step.step, step.where});
  return out;
}

} // namespace apq
