#include "sim/explore/state_codec.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <type_traits>

namespace apq {

// A field added to one of these is a new piece of state: encode it below (or say why it needs no encoding), then
// update the size. Without this, two states that differ only in the new field would be taken for one.
static_assert(sizeof(OpContext) == 624, "OpContext changed: update StateCodec::encode");
static_assert(sizeof(MdevState) == 336, "MdevState changed: update StateCodec::encode");
static_assert(sizeof(QueueControl) == 8, "QueueControl changed: update StateCodec::encode");
static_assert(sizeof(GuestControl) == 104, "GuestControl changed: update StateCodec::encode");
static_assert(sizeof(ScanDiff) == 248, "ScanDiff changed: update StateCodec::encode");
static_assert(std::is_trivially_copyable_v<IdSet> && sizeof(IdSet) == 32, "IdSet is encoded as its 64-bit words");

Fingerprint fingerprint_of(std::string_view bytes) {
  // Two unrelated 64-bit hashes of the same bytes, eight bytes at a time (multiply, xor-shift; the finaliser of
  // MurmurHash3), seeded and multiplied differently: a 128-bit fingerprint.
  auto mix = [](uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
  };
  uint64_t a = 0x9e3779b97f4a7c15ULL ^ bytes.size(), b = 0x6a09e667f3bcc909ULL + bytes.size();
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    a = (a ^ mix(w)) * 0x100000001b3ULL;
    b = (b + w) * 0xc2b2ae3d27d4eb4fULL;
    b ^= b >> 29;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, bytes.data() + i, bytes.size() - i);
  a = mix(a ^ mix(tail ^ 0x1234567ULL));
  b = mix(b + tail * 0x9e3779b97f4a7c15ULL);
  return Fingerprint{a, b};
}

namespace {

/** Appends fixed-size values and length-prefixed sequences: no two different states encode alike. */
class Writer {
public:
  // Writes straight into the string's storage, grown ahead: the encoding runs once per explored step.
  explicit Writer(std::string& out) : out_(out), pos_(out.size()) {
    out_.resize(std::max<std::size_t>(4096, 2 * pos_));
  }
  ~Writer() { out_.resize(pos_); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  template <class T>
  [[gnu::always_inline]] void raw(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::memcpy(room(sizeof(T)), &value, sizeof(T));
    pos_ += sizeof(T);
  }
  [[gnu::always_inline]] void num(int64_t v) {
    // Zigzag varint: small numbers (ids, indices, -1) take one byte.
    uint64_t z = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
    char* p = room(10);
    if (z < 0x80) {
      *p = static_cast<char>(z);
      ++pos_;
      return;
    }
    while (z >= 0x80) {
      *p++ = static_cast<char>(z | 0x80);
      z >>= 7;
    }
    *p++ = static_cast<char>(z);
    pos_ = static_cast<std::size_t>(p - out_.data());
  }
  [[gnu::always_inline]] void flag(bool b) {
    *room(1) = b ? '\1' : '\0';
    ++pos_;
  }
  void str(const std::string& s) {
    num(static_cast<int64_t>(s.size()));
    std::memcpy(room(s.size()), s.data(), s.size());
    pos_ += s.size();
  }
  void ids(const IdSet& set) {
    // Mostly empty or small: a byte saying which 64-bit words are not zero, then those words.
    uint64_t words[sizeof(IdSet) / 8];
    std::memcpy(words, &set, sizeof(IdSet));
    char* p = room(1 + sizeof(IdSet));
    char* present = p++;
    *present = 0;
    for (std::size_t i = 0; i < std::size(words); ++i)
      if (words[i] != 0) {
        *present = static_cast<char>(*present | (1 << i));
        std::memcpy(p, &words[i], 8);
        p += 8;
      }
    pos_ = static_cast<std::size_t>(p - out_.data());
  }
  void ptr(const void* p) { raw(reinterpret_cast<uintptr_t>(p)); }
  void pairs(const std::vector<std::pair<int, int>>& items) {
    num(static_cast<int64_t>(items.size()));
    for (const auto& [a, b] : items) {
      num(a);
      num(b);
    }
  }

private:
  [[gnu::always_inline]] char* room(std::size_t n) {
    if (pos_ + n > out_.size()) [[unlikely]]
      out_.resize(2 * (pos_ + n));
    return out_.data() + pos_;
  }
  std::string& out_;
  std::size_t pos_;
};

void encode_config(Writer& w, const ApConfig& c) {
  w.ids(c.adapters);
  w.ids(c.domains);
}

void encode_masks(Writer& w, const HostMasks& m) {
  w.ids(m.apmask);
  w.ids(m.aqmask);
}

void encode_apcb(Writer& w, const Apcb& a) {
  w.ids(a.adapters);
  w.ids(a.domains);
  w.ids(a.control_domains);
}

void encode_context(Writer& w, const OpContext& ctx) {
  // actor, op, action, rng and root are fixed for a task (op: its frame's); they are not state.
  w.num(ctx.mdev);
  w.num(ctx.guest);
  w.num(ctx.id);
  w.num(ctx.adapter);
  w.num(ctx.domain);
  w.flag(ctx.departing);
  w.str(ctx.bind_to);
  w.flag(ctx.new_masks.has_value());
  if (ctx.new_masks)
    encode_masks(w, *ctx.new_masks);
  encode_masks(w, ctx.old_masks);
  w.flag(ctx.reserved);
  w.flag(ctx.apcb_changed);
  w.ids(ctx.apm_filtered);
  w.pairs(ctx.to_reset);
  const ScanDiff& s = ctx.scan;
  encode_config(w, s.config);
  w.flag(s.changed);
  w.ids(s.removed_adapters);
  w.ids(s.removed_domains);
  w.ids(s.added_adapters);
  w.ids(s.added_domains);
  w.pairs(s.departed);
  w.pairs(s.fresh);
  w.flag(ctx.waited);
}

} // namespace

// --- save and restore --------------------------------------------------------------------------------------------

void StateCodec::save(const ControlInterpreter& in, Snapshot& out) {
  const ControlState& state = in.state_;
  const HostConfig& host = state.host;
  const auto& all = host.all_queues();
  out.devices.resize(all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto [a, d] = all[i];
    out.devices[i] = host.device_exists(a, d) ? static_cast<uint8_t>(1 + static_cast<int>(host.driver(a, d))) : 0;
  }
  out.hw_online = IdSet{};
  for (const auto& [a, d] : all)
    if (host.hw_online(a))
      out.hw_online.insert(a);
  out.bus_config = host.bus_config();
  out.vfio_info = host.vfio_info();
  out.masks = host.masks();
  out.mdevs = state.mdevs;
  out.queues = state.queues;
  out.guests = state.guests;
  out.assignments = state.assignments;
  out.tasks = in.tasks_;
  out.next_task = in.next_task_;
  out.stolen = in.stolen_;
  out.bugs = in.bugs_;
  out.warnings = in.warnings_;

  const KernelLocks& locks = in.locks_;
  out.holders.resize(locks.locks_.size());
  out.waiters.resize(locks.locks_.size());
  for (std::size_t i = 0; i < locks.locks_.size(); ++i) {
    out.holders[i] = locks.locks_[i].holders;
    out.waiters[i] = locks.locks_[i].waiters;
  }
  out.lock_tasks = locks.tasks_;
  out.granted = locks.granted_;
  const LockOrderGraph& order = locks.order_;
  out.successors = order.successors_;
  out.edges = order.edges_;
  out.edge_seq = order.edge_seq_;
  out.inversions = order.inversions_;
  out.inverted_pairs = order.inverted_pairs_;
  out.deadlocks = locks.deadlocks_;
  out.deadlock_keys = locks.deadlock_keys_;
}

void StateCodec::restore(ControlInterpreter& in, const Snapshot& s) {
  ControlState& state = in.state_;
  HostConfig& host = state.host;
  const auto& all = host.all_queues();
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto [a, d] = all[i];
    if (s.devices[i] == 0) {
      host.remove_device(a, d);
    } else {
      host.add_device(a, d);
      host.set_driver(a, d, static_cast<QueueDriver>(s.devices[i] - 1));
    }
  }
  for (const auto& [a, d] : all)
    host.set_hw_online(a, s.hw_online.contains(a));
  host.set_bus_config(s.bus_config);
  host.set_vfio_info(s.vfio_info);
  host.set_masks(s.masks);
  state.mdevs = s.mdevs;
  state.queues = s.queues;
  state.guests = s.guests;
  state.assignments = s.assignments;
  in.tasks_ = s.tasks;
  in.next_task_ = s.next_task;
  in.stolen_ = s.stolen;
  in.bugs_ = s.bugs;
  in.warnings_ = s.warnings;

  KernelLocks& locks = in.locks_;
  for (std::size_t i = 0; i < locks.locks_.size(); ++i) {
    locks.locks_[i].holders = s.holders[i];
    locks.locks_[i].waiters = s.waiters[i];
  }
  locks.tasks_ = s.lock_tasks;
  locks.granted_ = s.granted;
  LockOrderGraph& order = locks.order_;
  order.successors_ = s.successors;
  order.edges_ = s.edges;
  order.edge_seq_ = s.edge_seq;
  order.inversions_ = s.inversions;
  order.inverted_pairs_ = s.inverted_pairs;
  locks.deadlocks_ = s.deadlocks;
  locks.deadlock_keys_ = s.deadlock_keys;
}

// --- the canonical encoding --------------------------------------------------------------------------------------

void StateCodec::encode(const ControlInterpreter& in, const std::vector<TaskId>& tasks, std::string& out) {
  Writer w(out);
  auto tag = [&tasks](TaskId id) {
    auto it = std::find(tasks.begin(), tasks.end(), id);
    if (it == tasks.end())
      throw std::logic_error("StateCodec: task " + std::to_string(id) + " is in the state but not live");
    return static_cast<int64_t>(it - tasks.begin());
  };

  // The host, the mdevs, the queues, the guests. Assignment times are not state (reports only).
  const ControlState& state = in.state_;
  const HostConfig& host = state.host;
  for (const auto& [a, d] : host.all_queues()) {
    w.flag(host.device_exists(a, d));
    w.num(host.device_exists(a, d) ? static_cast<int>(host.driver(a, d)) : -1);
    w.flag(host.hw_online(a));
  }
  encode_config(w, host.bus_config());
  encode_config(w, host.vfio_info());
  encode_masks(w, host.masks());
  w.num(static_cast<int64_t>(state.mdevs.size()));
  for (const MdevState& m : state.mdevs) {
    w.ids(m.adapters);
    w.ids(m.domains);
    w.ids(m.control_domains);
    w.num(m.guest);
    encode_apcb(w, m.shadow);
    w.ids(m.apm_add);
    w.ids(m.aqm_add);
    w.ids(m.adm_add);
    w.flag(m.removed);
  }
  w.num(static_cast<int64_t>(state.queues.size()));
  for (const auto& [apqn, q] : state.queues) {
    w.num(apqn.first);
    w.num(apqn.second);
    w.num(q.link);
    w.flag(q.reset_failed);
    w.flag(q.irq);
  }
  for (const GuestControl& g : state.guests) {
    w.num(g.hook);
    encode_apcb(w, g.crycb);
  }
  w.num(static_cast<int64_t>(state.assignments.size()));
  for (const auto& [apqn, who] : state.assignments) {
    w.num(apqn.first);
    w.num(apqn.second);
    w.str(who.by);
  }

  // The live tasks, in the caller's order: where each stands in its steps and what it computed.
  for (TaskId id : tasks) {
    auto it = in.tasks_.find(id);
    if (id < 0 || it == in.tasks_.end()) {
      w.num(-1);
      continue;
    }
    const ControlInterpreter::Task& task = it->second;
    w.flag(task.dead);
    w.flag(task.paused);
    w.str(task.result);
    w.num(static_cast<int64_t>(task.frames.size()));
    for (const ControlInterpreter::Frame& f : task.frames) {
      w.ptr(f.op);
      encode_context(w, f.ctx);
      w.num(static_cast<int64_t>(f.cursors.size()));
      for (const ControlInterpreter::Cursor& c : f.cursors) {
        w.ptr(c.steps);
        w.num(static_cast<int64_t>(c.pc));
        w.ptr(c.loop);
        w.pairs(c.items);
        w.num(static_cast<int64_t>(c.item));
        w.num(c.saved_mdev);
        w.num(c.saved_adapter);
        w.num(c.saved_domain);
        w.flag(c.saved_departing);
      }
      w.num(static_cast<int64_t>(f.held.size()));
      for (const ControlInterpreter::HeldLock& h : f.held) {
        w.str(h.lock_class);
        w.num(h.lock);
        w.num(static_cast<int>(h.mode));
      }
      w.ptr(f.blocked);
      w.ptr(f.call);
      w.flag(f.reset.has_value());
      if (f.reset) {
        const ControlInterpreter::ResetJob& r = *f.reset;
        w.pairs(r.queues);
        w.num(static_cast<int64_t>(r.index));
        w.num(static_cast<int>(r.phase));
        w.num(r.retries_left);
        w.num(r.checks_left);
        w.flag(r.status_ok);
        w.num(static_cast<int64_t>(r.pending.size()));
        for (int p : r.pending)
          w.num(p);
        w.num(static_cast<int64_t>(r.rezap.size()));
        for (bool z : r.rezap)
          w.flag(z);
        w.ptr(r.step);
      }
    }
  }

  // The locks: holders in grant order, waiters in queue order, each task's view.
  const KernelLocks& locks = in.locks_;
  for (const KernelLocks::Lock& lock : locks.locks_) {
    w.num(static_cast<int64_t>(lock.holders.size()));
    for (const KernelLocks::Holder& h : lock.holders) {
      w.num(tag(h.task));
      w.num(static_cast<int>(h.mode));
    }
    w.num(static_cast<int64_t>(lock.waiters.size()));
    for (const KernelLocks::Waiter& v : lock.waiters) {
      w.num(tag(v.task));
      w.num(static_cast<int>(v.mode));
      w.str(v.op);
    }
  }
  for (TaskId id : tasks) {
    auto it = locks.tasks_.find(id);
    if (id < 0 || it == locks.tasks_.end()) {
      w.num(-1);
      continue;
    }
    const KernelLocks::Task& t = it->second;
    w.num(static_cast<int64_t>(t.held.size()));
    for (const KernelLocks::Held& h : t.held) {
      w.num(h.lock);
      w.str(h.op);
    }
    w.num(t.waiting_on);
    w.str(t.waiting_op);
    w.flag(t.dead);
  }
  if (!locks.granted_.empty())
    throw std::logic_error("StateCodec: a granted lock was not handed to its waiter (take_woken)");

  // Lockdep: which class orders were seen (not who saw them first, a report detail), which pairs were reported,
  // and the classes of each report.
  const LockOrderGraph& order = locks.order_;
  w.num(static_cast<int64_t>(order.edges_.size()));
  for (const auto& [edge, info] : order.edges_) {
    w.num(edge.first);
    w.num(edge.second);
  }
  w.num(static_cast<int64_t>(order.inverted_pairs_.size()));
  for (const auto& [a, b] : order.inverted_pairs_) {
    w.num(a);
    w.num(b);
  }
  w.num(static_cast<int64_t>(order.inversions_.size()));
  for (const Inversion& inversion : order.inversions_) {
    w.num(static_cast<int64_t>(inversion.cycle.size()));
    for (const std::string& c : inversion.cycle)
      w.str(c);
    w.str(inversion.inverted_by);
  }

  // The monitors' findings, without their times.
  w.num(static_cast<int64_t>(locks.deadlocks_.size()));
  for (const Deadlock& d : locks.deadlocks_)
    for (const DeadlockEdge& e : d.cycle) {
      w.str(e.actor);
      w.str(e.op);
      w.str(e.holds);
      w.str(e.wants);
    }
  w.num(static_cast<int64_t>(locks.deadlock_keys_.size()));
  for (const std::vector<TaskId>& key : locks.deadlock_keys_) {
    std::vector<int64_t> tags;
    for (TaskId id : key)
      tags.push_back(tag(id));
    std::sort(tags.begin(), tags.end());
    for (int64_t t : tags)
      w.num(t);
  }
  w.num(static_cast<int64_t>(in.stolen_.size()));
  for (const StolenQueueReport& s : in.stolen_) {
    w.str(s.queue);
    w.str(s.mdev);
    w.str(s.guest);
    w.str(s.assigned_by);
    w.str(s.taken_by);
  }
  w.num(static_cast<int64_t>(in.bugs_.size()));
  for (const KernelBugReport& b : in.bugs_) {
    w.str(b.actor);
    w.str(b.op);
    w.str(b.where);
    w.str(b.what);
  }
}

std::vector<LockId> StateCodec::held_by(const ControlInterpreter& in, TaskId task) {
  std::vector<LockId> out;
  auto it = in.locks_.tasks_.find(task);
  if (it != in.locks_.tasks_.end())
    for (const KernelLocks::Held& h : it->second.held)
      out.push_back(h.lock);
  return out;
}

} // namespace apq
