// KernelLock and LockMonitor on real SimGrid actors: FIFO hand-off and statistics, deadlocks found when they
// happen (not when SimGrid notices the whole system is stuck), lockdep-style order inversions, misuse errors.

#include "sim/control/kernel_lock.hpp"
#include "sim/control/lock_monitor.hpp"
#include "sim/platform.hpp"

#include <gtest/gtest.h>
#include <simgrid/s4u.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace apq {
namespace {

namespace sg4 = simgrid::s4u;
double now() {
  return sg4::Engine::get_clock();
}

::testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

TEST(KernelLock, FifoHandOffAndStatistics) {
  sg4::Engine engine("kernel_lock_test");
  sg4::Host* host = build_platform();
  LockMonitor monitor;
  KernelLock matrix("matrix", "matrix", monitor);
  std::vector<std::string> order;
  std::vector<double> waits;
  std::vector<double> holds;
  for (int i = 0; i < 3; ++i)
    sg4::Actor::create("admin-" + std::to_string(i), host, [&, i] {
      sg4::this_actor::sleep_for(i);
      const double asked = now();
      matrix.lock("assign_adapter");
      order.push_back(sg4::this_actor::get_name());
      waits.push_back(now() - asked);
      EXPECT_TRUE(matrix.held_by_current_actor());
      EXPECT_EQ(matrix.owner(), sg4::this_actor::get_pid());
      const double got = now();
      sg4::this_actor::sleep_for(10);
      holds.push_back(now() - got);
      matrix.unlock();
    });
  engine.run();

  EXPECT_EQ(order, (std::vector<std::string>{"admin-0", "admin-1", "admin-2"}));
  EXPECT_EQ(waits, (std::vector<double>{0, 9, 18}));
  EXPECT_EQ(holds, (std::vector<double>{10, 10, 10}));
  const LockStats& s = matrix.stats();
  EXPECT_EQ(s.acquisitions, 3u);
  EXPECT_EQ(s.contentions, 2u);
  EXPECT_EQ(s.trylock_failures, 0u);
  EXPECT_EQ(s.wait.count(), 3u);
  EXPECT_EQ(s.wait.min(), 0);
  EXPECT_EQ(s.wait.max(), 18);
  EXPECT_DOUBLE_EQ(s.wait.mean(), 9);
  EXPECT_EQ(s.hold.count(), 3u);
  EXPECT_EQ(s.hold.min(), 10);
  EXPECT_EQ(s.hold.max(), 10);
  EXPECT_EQ(matrix.owner(), -1);
  EXPECT_EQ(matrix.waiter_count(), 0u);
  EXPECT_TRUE(monitor.deadlocks().empty());
  EXPECT_TRUE(monitor.inversions().empty());
  EXPECT_TRUE(monitor.hung_actors().empty());
}

TEST(LockMonitor, AbbaDeadlockIsReportedWhenItHappensWhileTheWorldGoesOn) {
  sg4::Engine engine("kernel_lock_test");
  sg4::Host* host = build_platform();
  LockMonitor monitor;
  KernelLock ap_perms("ap_perms", "ap_perms", monitor);
  KernelLock matrix("matrix", "matrix", monitor);
  std::vector<double> reported_at;
  monitor.on_deadlock([&](const Deadlock&) { reported_at.push_back(now()); });

  // The seed of the v12 ABBA (kernel-ap-vfio.md §3): apmask_store holds ap_perms and wants the matrix lock,
  // assign holds the matrix lock and wants ap_perms.
  auto p = sg4::Actor::create("P", host, [&] {
    ap_perms.lock("apmask_store");
    sg4::this_actor::sleep_for(1);
    matrix.lock("apmask_store");
    ADD_FAILURE() << "P got the matrix lock";
  });
  monitor.set_actor_label(p->get_pid(), "admin-1 apmask_store 0x01");
  auto q = sg4::Actor::create("Q", host, [&] {
    sg4::this_actor::sleep_for(0.5);
    matrix.lock("assign_adapter");
    sg4::this_actor::sleep_for(1);
    ap_perms.lock("assign_adapter");
    ADD_FAILURE() << "Q got ap_perms";
  });
  monitor.set_actor_label(q->get_pid(), "admin-2 assign_adapter 0x01 -> mdev web");
  double worker_done = -1;
  sg4::Actor::create("worker", host, [&] {
    for (int i = 0; i < 30; ++i)
      sg4::this_actor::sleep_for(1);
    worker_done = now();
  });
  std::size_t deadlocks_at_2 = 0;
  std::vector<std::string> hung_at_2;
  sg4::Actor::create("observer", host, [&] {
    sg4::this_actor::sleep_for(2);
    deadlocks_at_2 = monitor.deadlocks().size();
    hung_at_2 = monitor.hung_actors();
  });
  engine.run(); // SimGrid then reports its own deadlock at t=30 and kills P and Q (a CRITICAL line on stderr)

  EXPECT_EQ(worker_done, 30);
  EXPECT_EQ(reported_at, (std::vector<double>{1.5}));
  EXPECT_EQ(deadlocks_at_2, 1u);
  EXPECT_EQ(hung_at_2,
            (std::vector<std::string>{"admin-1 apmask_store 0x01", "admin-2 assign_adapter 0x01 -> mdev web"}));
  ASSERT_EQ(monitor.deadlocks().size(), 1u);
  const Deadlock& d = monitor.deadlocks()[0];
  EXPECT_EQ(d.time, 1.5);
  ASSERT_EQ(d.cycle.size(), 2u);
  EXPECT_EQ(d.cycle[0].actor, "admin-2 assign_adapter 0x01 -> mdev web"); // the caller closed the cycle
  EXPECT_EQ(d.cycle[0].op, "assign_adapter");
  EXPECT_EQ(d.cycle[0].holds, "matrix");
  EXPECT_EQ(d.cycle[0].wants, "ap_perms");
  EXPECT_EQ(d.cycle[1].actor, "admin-1 apmask_store 0x01");
  EXPECT_EQ(d.cycle[1].op, "apmask_store");
  EXPECT_EQ(d.cycle[1].holds, "ap_perms");
  EXPECT_EQ(d.cycle[1].wants, "matrix");
  // The same acquisition also inverts the class order that P established at t=1.
  ASSERT_EQ(monitor.inversions().size(), 1u);
  EXPECT_EQ(monitor.inversions()[0].time, 1.5);
  EXPECT_EQ(monitor.inversions()[0].cycle, (std::vector<std::string>{"matrix", "ap_perms", "matrix"}));
  EXPECT_EQ(monitor.hung_actors().size(), 2u);
}

TEST(LockMonitor, ThreeWayCycleIsReportedOnceAndWaitersBehindItHangToo) {
  sg4::Engine engine("kernel_lock_test");
  sg4::Host* host = build_platform();
  LockMonitor monitor;
  KernelLock guests("guests", "guests", monitor);
  KernelLock kvm("kvm:web", "kvm", monitor);
  KernelLock mdevs("mdevs", "mdevs", monitor);
  auto take = [&](KernelLock& first, double at, KernelLock& second, const std::string& op) {
    return [&first, &second, at, op] {
      first.lock(op);
      sg4::this_actor::sleep_for(at);
      second.lock(op);
      ADD_FAILURE() << op << " got " << second.name();
    };
  };
  sg4::Actor::create("X", host, take(guests, 1, kvm, "op-x"));
  sg4::Actor::create("Y", host, take(kvm, 2, mdevs, "op-y"));
  sg4::Actor::create("Z", host, take(mdevs, 3, guests, "op-z"));
  sg4::Actor::create("W", host, [&] {
    sg4::this_actor::sleep_for(4);
    mdevs.lock("op-w"); // queues behind a member of the cycle: hung, but no new cycle
    ADD_FAILURE() << "W got mdevs";
  });
  std::vector<std::string> hung;
  sg4::Actor::create("observer", host, [&] {
    sg4::this_actor::sleep_for(5);
    hung = monitor.hung_actors();
  });
  engine.run();

  EXPECT_EQ(hung, (std::vector<std::string>{"X", "Y", "Z", "W"}));
  ASSERT_EQ(monitor.deadlocks().size(), 1u);
  const Deadlock& d = monitor.deadlocks()[0];
  EXPECT_EQ(d.time, 3);
  ASSERT_EQ(d.cycle.size(), 3u);
  EXPECT_EQ(d.cycle[0].actor, "Z");
  EXPECT_EQ(d.cycle[0].holds, "mdevs");
  EXPECT_EQ(d.cycle[0].wants, "guests");
  EXPECT_EQ(d.cycle[1].actor, "X");
  EXPECT_EQ(d.cycle[1].op, "op-x");
  EXPECT_EQ(d.cycle[1].holds, "guests");
  EXPECT_EQ(d.cycle[1].wants, "kvm:web");
  EXPECT_EQ(d.cycle[2].actor, "Y");
  EXPECT_EQ(d.cycle[2].holds, "kvm:web");
  EXPECT_EQ(d.cycle[2].wants, "mdevs");
  ASSERT_EQ(monitor.inversions().size(), 1u);
  const Inversion& inv = monitor.inversions()[0];
  EXPECT_EQ(inv.time, 3);
  EXPECT_EQ(inv.cycle, (std::vector<std::string>{"mdevs", "guests", "kvm", "mdevs"}));
  EXPECT_EQ(inv.established_by, "op-x, op-y");
  EXPECT_EQ(inv.inverted_by, "op-z");
  ASSERT_EQ(inv.established.size(), 2u);
  EXPECT_EQ(inv.established[0].from, "guests");
  EXPECT_EQ(inv.established[0].to, "kvm");
  EXPECT_EQ(inv.established[0].time, 1);
  EXPECT_EQ(inv.established[1].actor, "Y");
}

TEST(LockMonitor, OrderInversionWithoutDeadlock) {
  sg4::Engine engine("kernel_lock_test");
  sg4::Host* host = build_platform();
  LockMonitor monitor;
  KernelLock ap_perms("ap_perms", "ap_perms", monitor);
  KernelLock matrix("matrix", "matrix", monitor);
  sg4::Actor::create("A", host, [&] {
    ap_perms.lock("assign_adapter");
    matrix.lock("assign_adapter");
    sg4::this_actor::sleep_for(1);
    matrix.unlock();
    ap_perms.unlock();
  });
  sg4::Actor::create("B", host, [&] {
    sg4::this_actor::sleep_for(5);
    matrix.lock("apmask_store");
    ap_perms.lock("apmask_store");
    ap_perms.unlock();
    matrix.unlock();
  });
  engine.run();

  EXPECT_TRUE(monitor.deadlocks().empty());
  EXPECT_TRUE(monitor.hung_actors().empty());
  ASSERT_EQ(monitor.inversions().size(), 1u);
  const Inversion& inv = monitor.inversions()[0];
  EXPECT_EQ(inv.time, 5);
  EXPECT_EQ(inv.cycle, (std::vector<std::string>{"matrix", "ap_perms", "matrix"}));
  EXPECT_EQ(inv.established_by, "assign_adapter");
  EXPECT_EQ(inv.inverted_by, "apmask_store");
  EXPECT_EQ(inv.inverted_actor, "B");
  ASSERT_EQ(inv.established.size(), 1u);
  EXPECT_EQ(inv.established[0].from, "ap_perms");
  EXPECT_EQ(inv.established[0].to, "matrix");
  EXPECT_EQ(inv.established[0].time, 0);
  EXPECT_EQ(inv.established[0].actor, "A");
  const std::vector<OrderEdge> edges = monitor.order_edges();
  ASSERT_EQ(edges.size(), 2u);
  EXPECT_EQ(edges[0].from, "ap_perms");
  EXPECT_EQ(edges[1].from, "matrix");
  EXPECT_EQ(edges[1].op, "apmask_store");
}

TEST(LockMonitor, TrylockAddsNoOrderEdgeAndAFailedOneNeitherBlocksNorOrders) {
  sg4::Engine engine("kernel_lock_test");
  sg4::Host* host = build_platform();
  LockMonitor monitor;
  KernelLock ap_perms("ap_perms", "ap_perms", monitor);
  KernelLock matrix("matrix", "matrix", monitor);
  sg4::Actor::create("A", host, [&] {
    ap_perms.lock("apmask_store");
    EXPECT_TRUE(matrix.try_lock("apmask_store")); // v12's in_use: ap_perms, then trylock on the matrix lock
    sg4::this_actor::sleep_for(1);
    matrix.unlock();
    ap_perms.unlock();
  });
  sg4::Actor::create("B", host, [&] {
    sg4::this_actor::sleep_for(5);
    matrix.lock("assign_adapter");
    ap_perms.lock("assign_adapter");
    ap_perms.unlock();
    matrix.unlock();
  });
  aid_t c_pid = -1;
  sg4::Actor::create("C", host, [&] {
    c_pid = sg4::this_actor::get_pid();
    sg4::this_actor::sleep_for(10);
    matrix.lock("unassign_adapter");
    sg4::this_actor::sleep_for(1);
    EXPECT_FALSE(matrix.try_lock("unassign_adapter")); // its own lock: fails, as SimGrid's does
    sg4::this_actor::sleep_for(4);
    matrix.unlock();
  });
  sg4::Actor::create("D", host, [&] {
    sg4::this_actor::sleep_for(12);
    ap_perms.lock("apmask_store");
    EXPECT_FALSE(matrix.try_lock("apmask_store"));
    EXPECT_EQ(now(), 12); // did not wait
    EXPECT_EQ(matrix.owner(), c_pid);
    ap_perms.unlock();
  });
  engine.run();

  EXPECT_TRUE(monitor.inversions().empty());
  EXPECT_TRUE(monitor.deadlocks().empty());
  const std::vector<OrderEdge> edges = monitor.order_edges();
  ASSERT_EQ(edges.size(), 1u);
  EXPECT_EQ(edges[0].from, "matrix");
  EXPECT_EQ(edges[0].to, "ap_perms");
  EXPECT_EQ(edges[0].time, 5);
  EXPECT_EQ(edges[0].actor, "B");
  EXPECT_EQ(matrix.stats().acquisitions, 3u);
  EXPECT_EQ(matrix.stats().trylock_failures, 2u);
  EXPECT_EQ(matrix.stats().contentions, 0u);
  EXPECT_EQ(matrix.stats().wait.count(), 2u); // blocking locks only
  EXPECT_EQ(matrix.stats().hold.count(), 3u);
  EXPECT_EQ(matrix.owner(), -1);
}

TEST(KernelLock, RelockAndForeignUnlockThrowNamingLockAndActor) {
  sg4::Engine engine("kernel_lock_test");
  sg4::Host* host = build_platform();
  LockMonitor monitor;
  KernelLock matrix("matrix", "matrix", monitor);
  std::string relock, foreign, free_unlock;
  auto a = sg4::Actor::create("A", host, [&] {
    matrix.lock("assign_adapter");
    try {
      matrix.lock("assign_adapter");
      ADD_FAILURE() << "relock did not throw";
    } catch (const std::logic_error& e) {
      relock = e.what();
    }
    sg4::this_actor::sleep_for(2);
    matrix.unlock();
  });
  monitor.set_actor_label(a->get_pid(), "admin-1 assign_adapter");
  sg4::Actor::create("B", host, [&] {
    sg4::this_actor::sleep_for(1);
    try {
      matrix.unlock();
      ADD_FAILURE() << "unlock by a non-owner did not throw";
    } catch (const std::logic_error& e) {
      foreign = e.what();
    }
    sg4::this_actor::sleep_for(2);
    try {
      matrix.unlock();
      ADD_FAILURE() << "unlock of a free lock did not throw";
    } catch (const std::logic_error& e) {
      free_unlock = e.what();
    }
    matrix.lock("probe_queue"); // SimGrid's mutex is intact
    matrix.unlock();
  });
  engine.run();

  EXPECT_TRUE(contains(relock, "'matrix'"));
  EXPECT_TRUE(contains(relock, "admin-1 assign_adapter"));
  EXPECT_TRUE(contains(foreign, "'matrix'"));
  EXPECT_TRUE(contains(foreign, "'B'"));
  EXPECT_TRUE(contains(foreign, "held by actor 'admin-1 assign_adapter'"));
  EXPECT_TRUE(contains(free_unlock, "'matrix'"));
  EXPECT_TRUE(contains(free_unlock, "'B'"));
  EXPECT_TRUE(contains(free_unlock, "free"));
  EXPECT_EQ(matrix.stats().acquisitions, 2u);
  EXPECT_EQ(matrix.owner(), -1);
}

TEST(LockMonitor, ClassStatisticsAggregateInstancesAndSameClassNestingIsNoInversion) {
  sg4::Engine engine("kernel_lock_test");
  sg4::Host* host = build_platform();
  LockMonitor monitor;
  KernelLock kvm_a("kvm:a", "kvm", monitor);
  KernelLock kvm_b("kvm:b", "kvm", monitor);
  KernelLock mdevs("mdevs", "mdevs", monitor);
  std::optional<KernelLock> kvm_c(std::in_place, "kvm:c", "kvm", monitor);
  sg4::Actor::create("X", host, [&] {
    kvm_a.lock("set_kvm");
    kvm_b.lock("set_kvm");
    sg4::this_actor::sleep_for(2);
    kvm_b.unlock();
    kvm_a.unlock();
  });
  sg4::Actor::create("Y", host, [&] {
    sg4::this_actor::sleep_for(1);
    kvm_b.lock("unset_kvm"); // waits 1 s, then takes the instances in the other order
    kvm_a.lock("unset_kvm");
    mdevs.lock("unset_kvm");
    sg4::this_actor::sleep_for(1);
    mdevs.unlock();
    kvm_a.unlock();
    kvm_b.unlock();
  });
  sg4::Actor::create("Z", host, [&] {
    sg4::this_actor::sleep_for(5);
    kvm_c->lock("set_kvm");
    sg4::this_actor::sleep_for(3);
    kvm_c->unlock();
  });
  engine.run();
  kvm_c.reset(); // a destroyed instance still counts

  EXPECT_TRUE(monitor.inversions().empty());
  const std::map<std::string, LockStats> stats = monitor.class_stats();
  ASSERT_EQ(stats.size(), 2u);
  const LockStats& kvm = stats.at("kvm");
  EXPECT_EQ(kvm.acquisitions, 5u);
  // 2, not 1: at t=2 X's unlock of kvm:b is a simcall, so X releases kvm:a one scheduling round later, and in
  // that round SimGrid runs Y (just handed kvm:b) first: Y finds kvm:a held and waits 0 s for it.
  EXPECT_EQ(kvm.contentions, 2u);
  EXPECT_EQ(kvm.wait.count(), 5u);
  EXPECT_EQ(kvm.wait.max(), 1);
  EXPECT_EQ(kvm.hold.count(), 5u);
  EXPECT_EQ(kvm.hold.max(), 3);
  EXPECT_EQ(kvm.hold.min(), 1);
  EXPECT_DOUBLE_EQ(kvm.hold.mean(), (2 + 2 + 1 + 1 + 3) / 5.0);
  EXPECT_EQ(stats.at("mdevs").acquisitions, 1u);
  EXPECT_EQ(stats.at("mdevs").contentions, 0u);
  const std::vector<OrderEdge> edges = monitor.order_edges();
  ASSERT_EQ(edges.size(), 1u); // kvm -> mdevs only: kvm -> kvm is ignored
  EXPECT_EQ(edges[0].from, "kvm");
  EXPECT_EQ(edges[0].to, "mdevs");
}

TEST(KernelLock, BookkeepingFollowsSimGridUnderEqualDateContention) {
  // Many acquisitions at the same dates: SimGrid decides the order inside a round; the internal checks of
  // lock() and try_lock() throw if our owner/waiter prediction ever differs from what the kernel did.
  sg4::Engine engine("kernel_lock_test");
  sg4::Host* host = build_platform();
  LockMonitor monitor;
  KernelLock lock("mdevs", "mdevs", monitor);
  int inside = 0;
  int max_inside = 0;
  uint64_t taken = 0;
  uint64_t failed = 0;
  std::vector<std::string> errors;
  for (int k = 0; k < 6; ++k)
    sg4::Actor::create("a" + std::to_string(k), host, [&, k] {
      try {
        for (int i = 0; i < 50; ++i) {
          if ((i + k) % 3 == 0) {
            if (!lock.try_lock("try")) {
              ++failed;
              sg4::this_actor::sleep_for(1);
              continue;
            }
          } else {
            lock.lock("lock");
          }
          ++taken;
          max_inside = std::max(max_inside, ++inside);
          sg4::this_actor::sleep_for((i * k) % 2);
          --inside;
          lock.unlock();
        }
      } catch (const std::exception& e) {
        errors.push_back(e.what());
      }
    });
  engine.run();

  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(max_inside, 1);
  EXPECT_EQ(taken + failed, 300u);
  EXPECT_EQ(lock.stats().acquisitions, taken);
  EXPECT_EQ(lock.stats().trylock_failures, failed);
  EXPECT_GT(lock.stats().contentions, 0u);
  EXPECT_GT(failed, 0u);
  EXPECT_EQ(lock.stats().hold.count(), taken);
  EXPECT_EQ(lock.owner(), -1);
  EXPECT_TRUE(monitor.deadlocks().empty());
}

} // namespace
} // namespace apq
