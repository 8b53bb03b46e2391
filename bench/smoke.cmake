# bench.smoke: runs `bench_dataplane --mode test` and checks its exit code and figure lines (not their values).
execute_process(COMMAND ${BENCH} --mode test RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT code EQUAL 0)
  message(FATAL_ERROR "bench_dataplane --mode test exited with ${code}")
endif()
set(expected
  "size=20000 impl=reference requests=[0-9]+ wall_s=[0-9.]+ cpu_s=[0-9.]+ requests_per_cpu_s=[0-9]+ peak_rss_mib=[0-9.]+"
  "size=20000 impl=apqsim requests=[0-9]+ wall_s=[0-9.]+ cpu_s=[0-9.]+ requests_per_cpu_s=[0-9]+ peak_rss_mib=[0-9.]+"
  "size=200000 impl=reference requests=[0-9]+ wall_s=[0-9.]+ cpu_s=[0-9.]+ requests_per_cpu_s=[0-9]+ peak_rss_mib=[0-9.]+"
  "size=200000 impl=apqsim requests=[0-9]+ wall_s=[0-9.]+ cpu_s=[0-9.]+ requests_per_cpu_s=[0-9]+ peak_rss_mib=[0-9.]+"
  "mean_latency_ms=[0-9.]+ theory_ms=1\\.7455"
  "ratio apqsim/reference cpu = [0-9.]+ \\(target <= 2\\) at size=20000"
  "ratio apqsim/reference cpu = [0-9.]+ \\(target <= 2\\) at size=200000"
  "memory apqsim peak 200k / 20k = [0-9.]+ \\(target <= 1\\.2\\)")
foreach(pattern IN LISTS expected)
  if(NOT out MATCHES "${pattern}")
    message(FATAL_ERROR "bench_dataplane --mode test did not print a line matching: ${pattern}")
  endif()
endforeach()
