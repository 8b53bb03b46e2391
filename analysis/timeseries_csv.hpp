#pragma once
// apqsim run --timeseries FILE.csv: a run's time series (result["series"], and the baseline's) in long format, one
// row per run, guest, metric and window, for pandas or R:
//
//   run,guest,metric,window,start_s,end_s,value
//   run,web,completed,0,0,0.12,2391
//   baseline,web,p99_latency_s,0,0,0.12,0.000512
//
// `run` is "run" or "baseline"; `guest` a guest's name or "all"; `metric` a column of the series (series_json in
// report.hpp: completed, failed, mean_latency_s, p50_latency_s, p99_latency_s, usable_queues, in_flight). An empty
// value is a window without a figure (no request completed in it).

#include "analysis/report.hpp"

#include <string>

namespace apq {

std::string timeseries_csv(const Json& result);

} // namespace apq
