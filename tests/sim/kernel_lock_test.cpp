// KernelLocks as Linux grants them, without SimGrid: mutexes hand off first come first served, rw_semaphores share
// among readers and make readers queue behind a waiting writer (kernel/locking/rwsem.c), a released rw_semaphore
// wakes every queued reader at once; deadlocks are found when the wait that closes them starts, lockdep-style order
// inversions when the edge that closes them appears, and a task that died holding a lock hangs its waiters.

#include "sim/control/kernel_lock.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace apq {
namespace {

::testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

TEST(KernelLocks, MutexHandsOffFifoWithStatistics) {
  KernelLocks locks;
  const LockId matrix = locks.add("matrix", "matrix", LockKind::mutex);
  // Task 1 takes it at t=0; 2 and 3 ask at t=1 and t=2; 1 holds 10 s, then each holds 10 s.
  EXPECT_TRUE(locks.lock(1, matrix, LockMode::write, "assign_adapter", 0));
  EXPECT_FALSE(locks.lock(2, matrix, LockMode::write, "assign_adapter", 1));
  EXPECT_FALSE(locks.lock(3, matrix, LockMode::write, "assign_adapter", 2));
  EXPECT_EQ(locks.waiter_count(matrix), 2u);
  locks.unlock(1, matrix, 10);
  EXPECT_EQ(locks.take_granted(), (std::vector<TaskId>{2}));
  EXPECT_EQ(locks.holders(matrix), (std::vector<TaskId>{2}));
  locks.unlock(2, matrix, 20);
  EXPECT_EQ(locks.take_granted(), (std::vector<TaskId>{3}));
  locks.unlock(3, matrix, 30);
  EXPECT_TRUE(locks.take_granted().empty());
  EXPECT_TRUE(locks.holders(matrix).empty());

  const LockStats& s = locks.stats(matrix);
  EXPECT_EQ(s.acquisitions, 3u);
  EXPECT_EQ(s.contentions, 2u);
  EXPECT_EQ(s.wait.count(), 3u);
  EXPECT_EQ(s.wait.min(), 0);
  EXPECT_EQ(s.wait.max(), 18); // task 3: asked at 2, got it at 20
  EXPECT_DOUBLE_EQ(s.wait.mean(), 9);
  EXPECT_EQ(s.hold.count(), 3u);
  EXPECT_EQ(s.hold.min(), 10);
  EXPECT_EQ(s.hold.max(), 10);
  EXPECT_TRUE(locks.deadlocks().empty());
  EXPECT_TRUE(locks.inversions().empty());
  EXPECT_TRUE(locks.hung_tasks().empty());
}

TEST(KernelLocks, ReadersShareAndAWaitingWriterHoldsBackLaterReaders) {
  KernelLocks locks;
  const LockId hook = locks.add("pqap_hook:web", "pqap_hook", LockKind::rwsem);
  // Two vCPUs read, set_kvm wants to write, a third vCPU comes after it.
  EXPECT_TRUE(locks.lock(1, hook, LockMode::read, "pqap_aqic", 0));
  EXPECT_TRUE(locks.lock(2, hook, LockMode::read, "pqap_aqic", 0));
  EXPECT_FALSE(locks.lock(3, hook, LockMode::write, "set_kvm", 1));
  // The writer-waiting rule: the read fast path fails once a waiter is queued, so a reader does not overtake it.
  EXPECT_FALSE(locks.lock(4, hook, LockMode::read, "pqap_aqic", 2));
  EXPECT_FALSE(locks.try_lock(5, hook, LockMode::read, "pqap_aqic", 2));
  EXPECT_EQ(locks.stats(hook).trylock_failures, 1u);
  locks.unlock(1, hook, 3);
  EXPECT_TRUE(locks.take_granted().empty()) << "one reader still holds it";
  locks.unlock(2, hook, 4);
  EXPECT_EQ(locks.take_granted(), (std::vector<TaskId>{3}));
  locks.unlock(3, hook, 5);
  EXPECT_EQ(locks.take_granted(), (std::vector<TaskId>{4}));
  EXPECT_EQ(locks.stats(hook).wait.max(), 3); // the late reader: asked at 2, got it at 5
}

TEST(KernelLocks, ReleaseWakesEveryQueuedReaderAndWritersKeepTheirOrder) {
  KernelLocks locks;
  const LockId hook = locks.add("pqap_hook:web", "pqap_hook", LockKind::rwsem);
  EXPECT_TRUE(locks.lock(1, hook, LockMode::write, "unset_kvm", 0));
  EXPECT_FALSE(locks.lock(2, hook, LockMode::read, "pqap_aqic", 1));
  EXPECT_FALSE(locks.lock(3, hook, LockMode::write, "set_kvm", 2));
  EXPECT_FALSE(locks.lock(4, hook, LockMode::read, "pqap_aqic", 3));
  locks.unlock(1, hook, 10);
  // rwsem_mark_wake() (Linux 5.3+): the first waiter is a reader, so every reader in the queue is woken; the
  // writer queued between them keeps its place.
  EXPECT_EQ(locks.take_granted(), (std::vector<TaskId>{2, 4}));
  EXPECT_EQ(locks.holders(hook), (std::vector<TaskId>{2, 4}));
  locks.unlock(2, hook, 11);
  EXPECT_TRUE(locks.take_granted().empty());
  locks.unlock(4, hook, 12);
  EXPECT_EQ(locks.take_granted(), (std::vector<TaskId>{3}));
}

TEST(KernelLocks, AbbaDeadlockIsReportedWhenTheClosingWaitStarts) {
  KernelLocks locks;
  const LockId ap_perms = locks.add("ap_perms", "ap_perms", LockKind::mutex);
  const LockId matrix = locks.add("matrix", "matrix", LockKind::mutex);
  locks.set_label(1, "admin-1 apmask_store 0x01");
  locks.set_label(2, "admin-2 assign_adapter 0x01 -> mdev web");
  std::vector<double> reported;
  locks.on_deadlock([&](const Deadlock& d) { reported.push_back(d.time); });
  // The seed of the v12 ABBA: apmask_store holds ap_perms and wants the matrix lock, assign the reverse.
  EXPECT_TRUE(locks.lock(1, ap_perms, LockMode::write, "apmask_store", 0));
  EXPECT_TRUE(locks.lock(2, matrix, LockMode::write, "assign_adapter", 0.5));
  EXPECT_FALSE(locks.lock(1, matrix, LockMode::write, "in_use", 1));
  EXPECT_TRUE(locks.deadlocks().empty());
  EXPECT_FALSE(locks.lock(2, ap_perms, LockMode::write, "assign_adapter", 1.5));
  EXPECT_EQ(reported, (std::vector<double>{1.5}));
  ASSERT_EQ(locks.deadlocks().size(), 1u);
  const Deadlock& d = locks.deadlocks()[0];
  ASSERT_EQ(d.cycle.size(), 2u);
  EXPECT_EQ(d.cycle[0].actor, "admin-2 assign_adapter 0x01 -> mdev web"); // the waiter that closed it
  EXPECT_EQ(d.cycle[0].op, "assign_adapter");
  EXPECT_EQ(d.cycle[0].holds, "matrix");
  EXPECT_EQ(d.cycle[0].wants, "ap_perms");
  EXPECT_EQ(d.cycle[1].actor, "admin-1 apmask_store 0x01");
  EXPECT_EQ(d.cycle[1].op, "in_use");
  EXPECT_EQ(d.cycle[1].holds, "ap_perms");
  EXPECT_EQ(d.cycle[1].wants, "matrix");
  ASSERT_EQ(locks.inversions().size(), 1u);
  EXPECT_EQ(locks.inversions()[0].time, 1.5);
  EXPECT_EQ(locks.inversions()[0].cycle, (std::vector<std::string>{"matrix", "ap_perms", "matrix"}));
  EXPECT_EQ(locks.inversions()[0].established_by, "in_use");
  EXPECT_EQ(locks.hung_tasks(),
            (std::vector<std::string>{"admin-1 apmask_store 0x01", "admin-2 assign_adapter 0x01 -> mdev web"}));
}

TEST(KernelLocks, ACycleThroughAWaitingWriterIsADeadlock) {
  // vCPU 1 reads the hook; set_kvm queues to write it; task 3 holds mdevs and wants to read the hook: the
  // writer-waiting rule makes it wait for the queued writer, which waits for vCPU 1. When vCPU 1 then wants mdevs,
  // 1 -> 3 -> 2 -> 1 closes. No holder of the hook conflicts with task 3's read: only the wait-for edge to the
  // queued writer shows this deadlock.
  KernelLocks locks;
  const LockId r = locks.add("pqap_hook:web", "pqap_hook", LockKind::rwsem);
  const LockId a = locks.add("mdevs", "mdevs", LockKind::mutex);
  EXPECT_TRUE(locks.lock(1, r, LockMode::read, "pqap_aqic", 0));   // vCPU 1 reads the hook
  EXPECT_FALSE(locks.lock(2, r, LockMode::write, "set_kvm", 1));   // a writer queues behind it
  EXPECT_TRUE(locks.lock(3, a, LockMode::write, "vfio_reset", 2)); // task 3 holds mdevs
  EXPECT_FALSE(locks.lock(3, r, LockMode::read, "pqap_aqic", 3));  // and must read the hook: behind the writer
  EXPECT_TRUE(locks.deadlocks().empty()) << "3 waits for 2, 2 for 1, and 1 for nothing yet";
  EXPECT_FALSE(locks.lock(1, a, LockMode::write, "pqap_aqic", 4)); // 1 wants mdevs: 1 -> 3 -> 2 -> 1
  ASSERT_EQ(locks.deadlocks().size(), 1u);
  EXPECT_EQ(locks.deadlocks()[0].cycle.size(), 3u);
  EXPECT_EQ(locks.hung_tasks().size(), 3u);
}

TEST(KernelLocks, ThreeWayCycleIsReportedOnceAndWaitersBehindItHangToo) {
  KernelLocks locks;
  const LockId a = locks.add("a", "a", LockKind::mutex), b = locks.add("b", "b", LockKind::mutex),
               c = locks.add("c", "c", LockKind::mutex), d = locks.add("d", "d", LockKind::mutex);
  EXPECT_TRUE(locks.lock(1, a, LockMode::write, "x", 0));
  EXPECT_TRUE(locks.lock(2, b, LockMode::write, "y", 0));
  EXPECT_TRUE(locks.lock(3, c, LockMode::write, "z", 0));
  EXPECT_TRUE(locks.lock(4, d, LockMode::write, "w", 0));
  EXPECT_FALSE(locks.lock(1, b, LockMode::write, "x", 1));
  EXPECT_FALSE(locks.lock(2, c, LockMode::write, "y", 2));
  EXPECT_FALSE(locks.lock(4, a, LockMode::write, "w", 2.5)); // behind the cycle, not in it
  EXPECT_FALSE(locks.lock(3, a, LockMode::write, "z", 3));
  ASSERT_EQ(locks.deadlocks().size(), 1u);
  EXPECT_EQ(locks.deadlocks()[0].cycle.size(), 3u);
  EXPECT_EQ(locks.deadlocks()[0].time, 3);
  EXPECT_EQ(locks.hung_tasks(), (std::vector<std::string>{"task 1", "task 2", "task 3", "task 4"}));
}

TEST(KernelLocks, TrylockAddsNoOrderEdgeAndAFailedOneNeitherBlocksNorOrders) {
  KernelLocks locks;
  const LockId ap_perms = locks.add("ap_perms", "ap_perms", LockKind::mutex);
  const LockId matrix = locks.add("matrix", "matrix", LockKind::mutex);
  // v12: apmask_store holds ap_perms and trylocks matrix; assign trylocks matrix then takes ap_perms.
  EXPECT_TRUE(locks.lock(1, ap_perms, LockMode::write, "apmask_store", 0));
  EXPECT_TRUE(locks.try_lock(1, matrix, LockMode::write, "in_use", 0));
  locks.unlock(1, matrix, 1);
  locks.unlock(1, ap_perms, 1);
  EXPECT_TRUE(locks.try_lock(2, matrix, LockMode::write, "assign_adapter", 2));
  EXPECT_TRUE(locks.lock(2, ap_perms, LockMode::write, "assign_adapter", 2));
  EXPECT_FALSE(locks.try_lock(1, matrix, LockMode::write, "in_use", 3));
  EXPECT_EQ(locks.stats(matrix).trylock_failures, 1u);
  EXPECT_TRUE(locks.inversions().empty());
  const std::vector<OrderEdge> edges = locks.order_edges();
  ASSERT_EQ(edges.size(), 1u);
  EXPECT_EQ(edges[0].from, "matrix");
  EXPECT_EQ(edges[0].to, "ap_perms");
}

TEST(KernelLocks, RelockForeignUnlockAndReadingAMutexThrowNamingLockAndTask) {
  KernelLocks locks;
  const LockId matrix = locks.add("matrix", "matrix", LockKind::mutex);
  locks.set_label(1, "admin-1");
  EXPECT_TRUE(locks.lock(1, matrix, LockMode::write, "x", 0));
  try {
    locks.lock(1, matrix, LockMode::write, "x", 1);
    ADD_FAILURE() << "relock accepted";
  } catch (const std::logic_error& e) {
    EXPECT_TRUE(contains(e.what(), "admin-1 already holds 'matrix'"));
  }
  try {
    locks.unlock(2, matrix, 1);
    ADD_FAILURE() << "foreign unlock accepted";
  } catch (const std::logic_error& e) {
    EXPECT_TRUE(contains(e.what(), "task 2 releases 'matrix', which it does not hold"));
  }
  try {
    locks.lock(3, matrix, LockMode::read, "x", 1);
    ADD_FAILURE() << "read lock of a mutex accepted";
  } catch (const std::logic_error& e) {
    EXPECT_TRUE(contains(e.what(), "read-lock 'matrix', a mutex"));
  }
}

TEST(KernelLocks, ADeadTaskKeepsItsLocksAndItsWaitersHang) {
  // vfio_ap_mdev_cfg_remove()'s NULL dereference kills the scanning task holding guests_lock: every later
  // operation that needs guests_lock waits forever.
  KernelLocks locks;
  const LockId guests = locks.add("guests", "guests", LockKind::mutex);
  locks.set_label(1, "off");
  locks.set_label(2, "assign");
  EXPECT_TRUE(locks.lock(1, guests, LockMode::write, "config_changed", 0));
  locks.mark_dead(1);
  EXPECT_FALSE(locks.lock(2, guests, LockMode::write, "assign_adapter", 1));
  EXPECT_TRUE(locks.deadlocks().empty());
  EXPECT_EQ(locks.hung_tasks(), (std::vector<std::string>{"assign"}));
}

TEST(KernelLocks, ClassStatisticsAggregateInstancesAndSameClassNestingIsNoInversion) {
  KernelLocks locks;
  const LockId web = locks.add("kvm:web", "kvm", LockKind::mutex);
  const LockId db = locks.add("kvm:db", "kvm", LockKind::mutex);
  EXPECT_TRUE(locks.lock(1, web, LockMode::write, "x", 0));
  EXPECT_TRUE(locks.lock(1, db, LockMode::write, "x", 0));
  locks.unlock(1, db, 1);
  locks.unlock(1, web, 2);
  EXPECT_TRUE(locks.lock(2, db, LockMode::write, "y", 3));
  EXPECT_TRUE(locks.lock(2, web, LockMode::write, "y", 3));
  EXPECT_TRUE(locks.inversions().empty());
  const auto stats = locks.class_stats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats.at("kvm").acquisitions, 4u);
  EXPECT_EQ(stats.at("kvm").hold.count(), 2u);
}

} // namespace
} // namespace apq
