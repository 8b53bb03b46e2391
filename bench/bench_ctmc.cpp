// The CTMC solver's speed on a large chain: two independent M/M/1/140 queues on one grid (19881 states), the chain
// tests/models/ctmc_test.cpp checks against the product form. Prints the median of 5 solves; asserts nothing.

#include "models/analytic/ctmc.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

int main() {
  const int K = 140;
  auto at = [](int i, int j) { return static_cast<Eigen::Index>(i * (K + 1) + j); };
  std::vector<double> seconds;
  for (int round = 0; round < 5; ++round) {
    apq::analytic::Ctmc chain((K + 1) * (K + 1));
    for (int i = 0; i <= K; ++i)
      for (int j = 0; j <= K; ++j) {
        if (i < K)
          chain.add_rate(at(i, j), at(i + 1, j), 0.6);
        if (i > 0)
          chain.add_rate(at(i, j), at(i - 1, j), 1.0);
        if (j < K)
          chain.add_rate(at(i, j), at(i, j + 1), 0.9);
        if (j > 0)
          chain.add_rate(at(i, j), at(i, j - 1), 1.0);
      }
    const auto start = std::chrono::steady_clock::now();
    const Eigen::VectorXd pi = chain.stationary();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (pi.size() != at(K, K) + 1)
      return 1;
  }
  std::sort(seconds.begin(), seconds.end());
  std::printf("ctmc: 19881-state chain solved in %.3f s (median of 5; target well under 1 s)\n", seconds[2]);
  return 0;
}
