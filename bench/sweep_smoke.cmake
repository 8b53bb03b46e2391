# bench.sweep_smoke: runs `bench_sweep --mode test` and checks its exit code and figure lines (not their values).
execute_process(COMMAND ${BENCH} --mode test RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT code EQUAL 0)
  message(FATAL_ERROR "bench_sweep --mode test exited with ${code}")
endif()
set(number "-?[0-9.]+")
set(expected
  "fixed_cost_ms_per_point=${number} \\(target <= 2\\) wall_ms_per_point=${number} simulate_ms=${number} points=[0-9]+"
  "breakdown empty_child_ms=${number} child_to_json_ms=${number} child_dump_ms=${number} json_bytes=[0-9]+ parent_parse_ms=${number} parent_figures_ms=${number} parent_anon_rss_mib=${number}"
  "sweep_fixed_cost_ms_per_point=${number} wall_ms_per_point=${number} points=[0-9]+"
  "exec_cost_ms_per_point=${number} wall_ms_per_exec=${number} execs=[0-9]+"
  "cores=[0-9]+ loadavg_1min=${number} batch_runs=[0-9]+ horizon=[^ ]+ run_s=${number}"
  "wall_jobs1_s=${number} wall_jobs2_s=${number}"
  "speedup_jobs2=${number} \\(target >= 1\\.8\\)"
  "baseline_sharing sweep=reconfig-rate points=6 replications=3 horizon=[^ ]+ children_before=36 children_after=21"
  "jobs=2 wall_before_s=${number} wall_after_s=${number} cpu_before_s=${number} cpu_after_s=${number} cpu_saved=${number}%"
  "sweep_speedup_jobs2=${number} wall_jobs1_s=${number} wall_jobs2_s=${number} busy_cores_jobs1=${number} busy_cores_jobs2=${number}")
foreach(pattern IN LISTS expected)
  if(NOT out MATCHES "${pattern}")
    message(FATAL_ERROR "bench_sweep --mode test did not print a line matching: ${pattern}")
  endif()
endforeach()
