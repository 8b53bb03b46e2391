# bench.storm_smoke: runs `bench_storm --mode test` and checks its exit code and figure lines (not their values).
execute_process(COMMAND ${BENCH} --mode test RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT code EQUAL 0)
  message(FATAL_ERROR "bench_storm --mode test exited with ${code}")
endif()
set(expected
  "storm impl=data_plane_only cpu_s=[0-9.]+ events=[0-9]+ ns_per_event=[0-9]+ completed=[0-9]+ admin_ops=0"
  "storm impl=with_admins cpu_s=[0-9.]+ events=[0-9]+ ns_per_event=[0-9]+ completed=[0-9]+ admin_ops=[1-9][0-9]*"
  "ratio storm with admins / data plane only cpu = [0-9.]+ \\(target <= 1\\.5\\)")
foreach(pattern IN LISTS expected)
  if(NOT out MATCHES "${pattern}")
    message(FATAL_ERROR "bench_storm --mode test did not print a line matching: ${pattern}")
  endif()
endforeach()
