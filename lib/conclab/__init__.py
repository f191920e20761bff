"""Concurrency Lab: the library every notebook of the course imports.

``import conclab as lab``, then ``lab.run(...)``, ``lab.plot_timeline(...)``.
The code lives in four layers; a module imports only from its own layer or a
lower one (core < viz < ui; exercises use core):

=========== ================================================================
core        workloads, corpus and its server, runner, timeline, env, fs, the
            primitives taught, and every function that runs in another process
viz         every ``plot_*``: object-oriented matplotlib Figures, no pyplot
ui          interactive panels (ipywidgets core widgets around a PNG image)
exercises   the exercises' checkers and their answer keys
=========== ================================================================

The names are re-exported lazily, as CPython's ``concurrent.futures`` does:
:data:`_EXPORTS` says which module holds each name, and the module is imported
the first time one of its names is used. ``import conclab`` itself imports no
module of the library, so a spawn or forkserver worker pays only for the module
of its task. Importing the package starts nothing: no thread, no process, no
server.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# module (below conclab) -> the names it exports: exactly its __all__
# (tests/test_layout.py checks it). A new module is one more line.
_EXPORTS: dict[str, str] = {
    "core.async_clients": "BURST_LEVELS BURST_MODES BurstResult HTTPStatusError LoopLag burst burst_levels burst_sweep expected_letters fetch_async fetch_blocking left_running measure_burst running_now tasks_burst threads_burst watch_loop",
    "core.async_server": "AsyncCorpusServer GATE_TIMEOUT MAX_CONNECTIONS raise_open_files serve_corpus_async",
    "core.children": "ScriptResult child_errors leftover_children run_in_child run_script stop_process",
    "core.cluster": "DASK_INSTALL DASK_INSTALL_PLAIN LogLines Snapshot TaskSizeRow capture_logs dashboard_available dask_settings dask_versions leftovers local_cluster quiet_worker_logs require_dask snapshot task_size_sweep time_dask time_pool worker_start_method",
    "core.conditions": "BUFFER_KINDS BoundedBuffer ConditionAccount ProducerConsumerResult RecordingCondition SyncEvent SyncRecorder one_condition_stall producer_consumer stingy_spendy stolen_wakeup",
    "core.corpus": "DOCUMENT_NUMBERS document documents",
    "core.daskplugin": "QuietWorkerLogs",
    "core.dasktasks": "add_counts burn checksum document_letters make_block merge_counts noop square_slowly url_letters where",
    "core.deadlocks": "BankAccount StressResult TimeoutLock stress_transfers",
    "core.env": "START_METHOD_ENV environment_report free_threaded_build gil_enabled in_colab mp_context print_environment start_method usable_cores",
    "core.fs": "SEARCHES SearchResult TARGET Tree list_folder make_tree search_pool search_scandir search_sweep search_thread_per_dir search_walk temp_tree tree_size",
    "core.interpreters": "ChildFailed ChildResult Interpreter find_interpreters how_to_get install_with_uv pick_interpreter print_interpreters run_in",
    "core.ipc": "add_one add_one_to_item lost_updates manager_add produce proxy_call_cost put_big read_meet_write square_server try_pickle",
    "core.kernel": "let_kernel_exit_promptly",
    "core.letters": "LETTERS LETTER_COUNTERS count_letters count_letters_threads count_share count_texts_processes count_texts_sequential count_texts_threads count_with_local_merge count_with_lock count_with_lock_per_char count_without_lock split_evenly table_difference time_letter_counters",
    "core.memory": "ChildMemory child_memory child_memory_per_method copy_on_write_demo",
    "core.nogil": "BUILD_CASES BuildCase BuildTiming DOCUMENTED_COST Measured build_cases builds_as_predicted gil_switches lost_nothing_with_lock lost_updates_without_lock measure_builds measure_builtins measure_extension measure_generator measure_races measure_subinterpreters pools_as_predicted single_thread_cost",
    "core.nogil_child": "NoLockStingySpendy TINY_EXTENSION append_from_threads build_facts build_tiny_extension count_letters_shared count_letters_shared_locked import_and_watch import_in_subinterpreter in_subinterpreter increment_global increment_global_locked primes_on_pool primes_on_warm_pool primes_sequential share_one_generator share_one_iterator share_with_subinterpreter start_together stingy_spendy_together",
    "core.nogil_reference": "NOGIL_REFERENCE",
    "core.pools": "die_if init_queue init_worker plus_one put_on put_result slow_square threads_left worker_pid worker_state",
    "core.races": "Account NotesStingySpendy RaceResult StingySpendy break_with_lock_held count_race nested_acquire poll_racy_counter race_sweep run_stingy_spendy withdraw_twice",
    "core.registry": "KINDS WORKLOADS Workload",
    "core.runner": "MODES RunResult run sweep task_name",
    "core.semaphores": "DownloadRun ideal_seconds time_permits",
    "core.server": "CorpusServer MAX_LATENCY serve_corpus",
    "core.shm": "SharedMemoryWatch attach_shared_memory leak_demo scale_shared shared_array square_shared use_after_close_demo watch_shared_memory",
    "core.source": "print_source",
    "core.startmethods": "StartCosts append_to fork_warning forkserver_first_start read_setting start_costs start_join_times try_lock",
    "core.ticks": "TickRun gil_ticks progress_intervals run_ticks tick_overlap",
    "core.timeline": "Recorder Span now timed",
    "core.transports": "PANEL_SIZES TRANSPORTS TransportResult echo_pipe echo_queue echo_shared format_size measure_transports",
    "core.waitgroup": "NotesWaitGroup WAITGROUP_SEARCHES WaitGroup notes_file_search search_notes_waitgroup search_rows search_waitgroup",
    "core.waiting": "WaitResult wait_by_joining wait_by_polling wait_by_sleeping",
    "core.workloads": "HASHLIB_GIL_MINSIZE compress_bytes count_primes do_something fetch_text hash_bytes make_buffer sleep_task",
    "viz.asyncio_plots": "ASYNCIO_STYLE plot_bursts plot_loop_lag",
    "viz.cluster": "ENGINE_STYLE graph_layers plot_task_graph plot_task_sizes task_label",
    "viz.conditions": "plot_producer_consumer plot_sync_timeline",
    "viz.figures": "figure figure_png plot_bars show",
    "viz.ipc": "plot_transports",
    "viz.nogil": "plot_builds plot_interpreter_pools plot_lost_updates plot_single_thread_cost",
    "viz.pools": "POOL_STYLE check_chunk_rows plot_chunksizes plot_pool_sizes",
    "viz.races": "plot_counter_times plot_race_sweep plot_waits",
    "viz.searches": "plot_search_bars plot_search_sweep plot_tree_searches",
    "viz.semaphores": "plot_permit_runs",
    "viz.speedup": "plot_speedup plot_sweep",
    "viz.startmethods": "plot_child_memory plot_copy_on_write plot_start_costs",
    "viz.timeline": "plot_ticks plot_timeline",
    "ui.asyncio_panel": "BurstExperiment THREAD_BURST_LIMIT burst_panel",
    "ui.cluster": "LARGEST_TASKS_MS TaskSizeExperiment show_dashboard task_size_panel",
    "ui.ipc": "transport_panel",
    "ui.nogil": "BuildsExperiment builds_panel",
    "ui.panel": "FigurePanel figure_panel",
    "ui.pools": "CHUNKSIZES ChunksizeExperiment ChunksizePanel chunksize_panel",
    "ui.semaphores": "PermitExperiment permit_counts permit_panel",
    "ui.speedup": "SpeedupExperiment SpeedupPanel speedup_panel",
    "ui.startmethods": "StartMethodExperiment StartupExperiment start_method_panel startup_panel",
    "exercises.asyncio_checks": "check_fetch_all check_nonblocking check_queue_count",
    "exercises.cluster": "DASK_QUIZ_CHOICES check_corpus_count check_dask_quiz",
    "exercises.conditions": "check_gate check_safe_account",
    "exercises.deadlocks": "check_transfer",
    "exercises.ipc": "check_letter_counts check_sendable check_shared_squares check_split",
    "exercises.join": "check_search check_top_level_search check_waits_for_all",
    "exercises.nogil": "check_speedup_predictions check_tally check_thread_safety_answers",
    "exercises.pools": "POOL_QUIZ_OPTIONS check_collect check_pool_quiz check_run_until_error",
    "exercises.primitives": "PRIMITIVES check_primitive_quiz check_stop_worker",
    "exercises.processes": "check_gil_answers check_start_method_answers check_visibility_answers",
    "exercises.races": "check_counter check_letter_table check_lost_updates check_withdraw",
    "exercises.verdicts": "Verdict check_answers verdict",
    "exercises.waitgroups": "check_count_files check_go_quiz",
}

_WHERE: dict[str, str] = {
    name: module for module, names in _EXPORTS.items() for name in names.split()
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> object:
    """Import the module that holds ``name`` on first use (PEP 562)."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'conclab' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})
