// Workloads: when a guest's requests arrive. One registry of arrival processes.
#pragma once

#include "models/config_node.hpp"
#include "models/operation.hpp"
#include "models/random.hpp"
#include "models/registry.hpp"

#include <memory>
#include <optional>
#include <string>

namespace apq {

/** One request arrival; `op` is set only when the process itself knows the operation (a trace column), otherwise
 *  the guest's operation mix chooses. */
struct Arrival {
  double time;
  std::optional<Operation> op;
};

/** A stateful generator of arrival times. A scenario keeps one prototype per guest and clones it for each run. */
class ArrivalProcess {
public:
  virtual ~ArrivalProcess();
  /** The next arrival at or after `now` (normally the time of the previous arrival, or the start); each call gives
   *  a new arrival. nullopt = no more arrivals, ever. */
  virtual std::optional<Arrival> next(double now, RandomSource& rng) = 0;
  /** Long-run arrivals per second. */
  virtual double mean_rate() const = 0;
  /** A copy in its initial state. */
  virtual std::unique_ptr<ArrivalProcess> clone() const = 0;
  /** E.g. "poisson(20k/s)". */
  virtual std::string describe() const = 0;
};

using ArrivalRegistry = Registry<std::unique_ptr<ArrivalProcess>(const ConfigNode&)>;

/** poisson, mmpp, periodic, schedule, trace. An entry reads the whole arrival table and rejects unknown keys. */
const ArrivalRegistry& arrival_registry();

/** Reads `process` (a registry name) and its parameters from the arrival table. */
std::unique_ptr<ArrivalProcess> make_arrival_process(const ConfigNode& arrival_table);

} // namespace apq
