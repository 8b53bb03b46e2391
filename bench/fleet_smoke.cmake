# bench.fleet_smoke: runs `bench_fleet --mode test` and checks its exit code and figure lines (not their values).
execute_process(COMMAND ${BENCH} --mode test RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT code EQUAL 0)
  message(FATAL_ERROR "bench_fleet --mode test exited with ${code}")
endif()
set(expected
  "cards_per_guest cards_per_guest=64 queues_per_card=1 guests=1 requests=[0-9]+ ns_per_request=[0-9]+ peak_rss_mib=[0-9.]+"
  "queues_per_card cards_per_guest=1 queues_per_card=85 guests=1 requests=[0-9]+ ns_per_request=[0-9]+"
  "one_guest_all_queues cards_per_guest=64 queues_per_card=85 guests=1 requests=[0-9]+ ns_per_request=[0-9]+"
  "guests cards_per_guest=1 queues_per_card=1 guests=5440 requests=[0-9]+ ns_per_request=[0-9]+ peak_rss_mib=[0-9.]+"
  "ratio 64x85/1x1 ns_per_request = [0-9.]+ \\(target <= 1\\.5\\)"
  "fleet 5440 guests peak_rss_mib = [0-9.]+ \\(target < 60\\)")
foreach(pattern IN LISTS expected)
  if(NOT out MATCHES "${pattern}")
    message(FATAL_ERROR "bench_fleet --mode test did not print a line matching: ${pattern}")
  endif()
endforeach()
