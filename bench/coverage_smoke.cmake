# bench.coverage_smoke: runs a tiny coverage study (2 experiments of 2 replications, one case) and checks that it
# prints its coverage lines. The study itself takes minutes; run build/bench/coverage_study by hand.
execute_process(COMMAND ${BENCH} --experiments 2 --replications 2 --case rho0.80-short
                RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT code EQUAL 0)
  message(FATAL_ERROR "coverage_study exited with ${code}")
endif()
foreach(figure mean p99 p999)
  if(NOT out MATCHES "rho0\\.80-short +${figure} +truth +[0-9.]+ ms +coverage [0-9.]+")
    message(FATAL_ERROR "coverage_study did not print the coverage of ${figure}")
  endif()
endforeach()
