// zcrypt's queue selection: the kernel's pass over every card and queue, and an index that gives the same answer
// without the pass, so that a guest on dozens of cards with 85 domains each pays for a request what a guest on one
// queue pays.
//
// Why the index answers as the pass does. Ratings are whole numbers, so loads (sums of ratings) add exactly and,
// with every card rating the operation r and no retry penalty, the pass compares r + load with r + load: it
// compares loads. Within a card, its queues are compared one after another with the preferred queue, keeping the
// strictly lesser (load, total_requests): the card contributes its first selectable queue of least key, if that
// beats the preferred one. Across cards, a card takes over only if its own key (load, total_requests) is below the
// preferred card's AND its best queue's key is below the preferred queue's. So the answer is the end of a chain:
// the first card with a selectable queue, then the first later card beating the current one on both keys, and so
// on. A tournament per card view keeps its best queue; a tournament over the guest's cards keeps, per range, the
// least card key and the least best-queue key (separately): a range whose minima do not both beat the current card
// cannot hold the next link and is skipped whole. Both are updated in O(log n) when a load changes, and rebuilt
// when the queues a guest knows or may pick change (reconfiguration, rare). A retry (penalties), cards rating the
// operation differently, or a queue known to two guests at once (a move not yet seen by its former guest) take the
// kernel's pass.

#include "sim/data_plane/data_plane.hpp"

#include <bit>
#include <cmath>
#include <limits>

namespace apq {

namespace {
// zcrypt_api.h: the weight penalties of a retry on the same card or queue.
constexpr double kCardPenalty = 1000;
constexpr double kQueuePenalty = 10000;
constexpr uint32_t kNoQueue = std::numeric_limits<uint32_t>::max();
constexpr uint32_t kNoCard = std::numeric_limits<uint32_t>::max();
} // namespace

std::optional<DataPlane::Pick> DataPlane::pick_queue(Guest& guest, Operation op, int avoid_card, int avoid_queue) {
  // A guest on a few queues is served faster by the pass than by keeping an index.
  constexpr uint32_t kIndexFrom = 8;
  if (indexed_picks_ && integral_weights_ && avoid_card < 0 && avoid_queue < 0 && shared_listings_ == 0 &&
      guest.known_queues >= kIndexFrom) {
    if (guest.index_epoch != epoch_)
      rebuild_index(guest);
    if (guest.uniform_weight[index_of(op)] > 0)
      return pick_indexed(guest, op);
  }
  return pick_by_scan(guest, op, avoid_card, avoid_queue);
}

std::optional<DataPlane::Pick> DataPlane::pick_by_scan(const Guest& guest, Operation op, int avoid_card,
                                                       int avoid_queue) const {
  // zcrypt_rsa_modexpo() (zcrypt_api.c): for_each_zcrypt_card, wgt = speed_rating[fc] (+ TRACK_AGAIN penalty);
  // zcrypt_card_compare() against the preferred card (weights plus loads, ties to the lower total_request_count);
  // if the card may win, each of its usable queues is compared with zcrypt_queue_compare() against the preferred
  // queue. The load both get is `wgt` as it stands after the loop: the weight of the LAST card the loop weighed,
  // not necessarily the chosen one's, a quirk that shapes how mixed card types share the load.
  const auto op_index = index_of(op);
  std::optional<Pick> best;
  const CardView* best_view = nullptr;
  double best_weight = 0; // pref_wgt: the preferred queue's weight with its penalties
  double wgt = 0;
  for (uint32_t v : guest.card_order) {
    const CardView& view = guest.cards[v];
    const double rating = cards_[view.card].type->weight[op_index];
    if (rating <= 0)
      continue; // the card does not do this operation (no speed rating)
    wgt = rating;
    const double cpen = static_cast<int>(view.card) == avoid_card ? kCardPenalty : 0;
    if (best_view != nullptr) {
      const double mine = wgt + cpen + view.load, theirs = best_weight + best_view->load;
      if (mine > theirs || (mine == theirs && view.total_requests >= best_view->total_requests))
        continue;
    }
    for (uint32_t q : view.queues) {
      const ApQueue& queue = queues_[q];
      if (!queue.selectable)
        continue;
      const double qpen = static_cast<int>(q) == avoid_queue ? kQueuePenalty : 0;
      if (best) {
        const ApQueue& pref = queues_[best->queue];
        const double mine = wgt + cpen + qpen + queue.load, theirs = best_weight + pref.load;
        if (mine > theirs || (mine == theirs && queue.total_requests >= pref.total_requests))
          continue;
      }
      best = Pick{v, q, 0};
      best_view = &view;
      best_weight = wgt + cpen + qpen;
    }
  }
  if (best)
    best->weight = wgt;
  return best;
}

namespace {

/** The first leaf after `after` (-1: any) of tree[node], covering leaves [lo, hi), whose card key and best-queue key
 * are both below `card` and `queue`; kNoCard if none. */
template <class Node, class Key>
uint32_t first_beating(const std::vector<Node>& tree, std::size_t node, uint32_t lo, uint32_t hi, int64_t after,
                       const Key& card, const Key& queue) {
  if (static_cast<int64_t>(hi) <= after + 1 || !(tree[node].card < card && tree[node].queue < queue))
    return kNoCard;
  if (hi - lo == 1)
    return lo;
  const uint32_t mid = lo + (hi - lo) / 2;
  const uint32_t left = first_beating(tree, 2 * node, lo, mid, after, card, queue);
  return left != kNoCard ? left : first_beating(tree, 2 * node + 1, mid, hi, after, card, queue);
}

/** The first leaf whose `member` key equals the root's (the least). */
template <class Node, class Key>
uint32_t first_least(const std::vector<Node>& tree, Key Node::*member) {
  const Key& least = tree[1].*member;
  std::size_t node = 1;
  while (2 * node < tree.size())
    node = !(least < tree[2 * node].*member) ? 2 * node : 2 * node + 1;
  return static_cast<uint32_t>(node - tree.size() / 2);
}

} // namespace

std::optional<DataPlane::Pick> DataPlane::pick_indexed(Guest& guest, Operation op) {
  const auto leaves = static_cast<uint32_t>(guest.card_tree.size() / 2);
  if (!(guest.card_tree[1].card < kNoKey))
    return std::nullopt; // no card with a selectable queue
  // The common case, one step: the first card of least card key is also the first of least best-queue key. Every
  // card before it is then strictly beaten by it on both keys, and no card after it beats it: the chain ends there.
  uint32_t at = first_least(guest.card_tree, &CardNode::card);
  if (at != first_least(guest.card_tree, &CardNode::queue))
    at = first_beating(guest.card_tree, 1, 0, leaves, -1, kNoKey, kNoKey);
  for (;;) {
    const CardNode& current = guest.card_tree[leaves + at];
    const uint32_t next = first_beating(guest.card_tree, 1, 0, leaves, at, current.card, current.queue);
    if (next == kNoCard)
      break;
    at = next;
  }
  const uint32_t v = guest.card_order[at];
  const CardView& view = guest.cards[v];
  return Pick{v, view.queues[view.best[1].position], guest.uniform_weight[index_of(op)]};
}

void DataPlane::rebuild_index(Guest& guest) {
  for (std::size_t i = 0; i < guest.card_order.size(); ++i) {
    CardView& view = guest.cards[guest.card_order[i]];
    view.order = static_cast<uint32_t>(i);
    const std::size_t leaves = std::bit_ceil(std::max<std::size_t>(view.queues.size(), 1));
    view.best.assign(2 * leaves, QueueNode{});
    for (std::size_t p = 0; p < view.queues.size(); ++p)
      view.best[leaves + p] = queue_leaf(view, static_cast<uint32_t>(p));
    for (std::size_t node = leaves - 1; node >= 1; --node)
      update_view_node(view, node); // from the leaves up: every node recomputed
  }
  const std::size_t leaves = std::bit_ceil(std::max<std::size_t>(guest.card_order.size(), 1));
  guest.card_tree.assign(2 * leaves, CardNode{kNoKey, kNoKey});
  for (uint32_t v : guest.card_order)
    update_card_leaf(guest, v);
  for (Operation op : all_operations()) {
    double weight = -1;
    for (uint32_t v : guest.card_order) {
      const double rating = cards_[guest.cards[v].card].type->weight[index_of(op)];
      weight = weight < 0 || weight == rating ? rating : 0;
    }
    guest.uniform_weight[index_of(op)] = std::max(weight, 0.0);
  }
  guest.index_epoch = epoch_;
}

DataPlane::QueueNode DataPlane::queue_leaf(const CardView& view, uint32_t position) const {
  const ApQueue& queue = queues_[view.queues[position]];
  return queue.selectable ? QueueNode{{queue.load, queue.total_requests}, position} : QueueNode{};
}

bool DataPlane::update_view_node(CardView& view, std::size_t node) const {
  // The left child on ties: the pass keeps the first of equal queues, in list order. No queue has an infinite key.
  const QueueNode& left = view.best[2 * node];
  const QueueNode& right = view.best[2 * node + 1];
  const QueueNode& winner = right.key < left.key ? right : left;
  QueueNode& current = view.best[node];
  if (current.position == winner.position && current.key.load == winner.key.load &&
      current.key.total == winner.key.total)
    return false;
  current = winner;
  return true;
}

void DataPlane::update_card_leaf(Guest& guest, uint32_t v) {
  const CardView& view = guest.cards[v];
  const std::size_t leaves = guest.card_tree.size() / 2;
  std::size_t node = leaves + view.order;
  if (view.best[1].position == kNoQueue)
    guest.card_tree[node] = CardNode{kNoKey, kNoKey};
  else
    guest.card_tree[node] = CardNode{{view.load, view.total_requests}, view.best[1].key};
  for (node /= 2; node >= 1; node /= 2) {
    const CardNode& left = guest.card_tree[2 * node];
    const CardNode& right = guest.card_tree[2 * node + 1];
    const CardNode least{std::min(left.card, right.card), std::min(left.queue, right.queue)};
    CardNode& current = guest.card_tree[node];
    if (!(least.card < current.card || current.card < least.card || least.queue < current.queue ||
          current.queue < least.queue))
      break; // unchanged: so are the nodes above
    current = least;
  }
}

void DataPlane::update_index(uint32_t g, uint32_t v, uint32_t q) {
  Guest& guest = guests_[g];
  CardView& view = guest.cards[v];
  const auto it = std::lower_bound(view.queues.begin(), view.queues.end(), q);
  if (it == view.queues.end() || *it != q)
    return; // not a queue of this view any more: its index is rebuilt anyway
  const auto position = static_cast<uint32_t>(it - view.queues.begin());
  const std::size_t leaf = view.best.size() / 2 + position;
  view.best[leaf] = queue_leaf(view, position);
  // Up to the first node that keeps its queue and key: the ones above depend on nothing else that changed.
  for (std::size_t node = leaf / 2; node >= 1 && update_view_node(view, node); node /= 2) {
  }
  update_card_leaf(guest, v);
}

} // namespace apq
