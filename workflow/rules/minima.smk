# Stage "minima": for one weight every critical point of E, finite and at infinity
# (exact); for m >= 2 every local minimum a multistart descent reaches, in batches until
# the estimated missed mass is below its target (docs/minima.md); the fold a* of the
# type-3 example; every problem's minima in one table; the counts of open questions 1
# and 2 with what they may miss; for networks every stationary point by index and the
# limits their descents approach, and where Figure 5's seeds go (docs/networks.md).


rule critical_points_1d:
    input:
        problem=problem_path("{problem}"),
    output:
        table=minima_path("{problem}", "{theta}"),
    log:
        "results/logs/minima/{problem}/{theta}.log",
    wildcard_constraints:
        problem=PLAN.one_weight_pattern,
    run:
        run_script("../scripts/minima/critical_points_1d.py", locals(), config)


rule multistart_minima:
    input:
        problem=problem_path("{problem}"),
    output:
        table=minima_path("{problem}", "{theta}"),
    log:
        "results/logs/minima/{problem}/{theta}.log",
    wildcard_constraints:
        problem=PLAN.multistart_pattern,
    params:
        settings=PLAN.multistart_settings(),
    run:
        run_script("../scripts/minima/multistart_minima.py", locals(), config)


rule type3_bifurcation:
    output:
        table=bifurcation_path("{theta}"),
    log:
        "results/logs/bifurcation/{theta}.log",
    run:
        run_script("../scripts/minima/type3_bifurcation.py", locals(), config)


rule critical_points_table:
    input:
        tables=[minima_path(job["problem"], job["theta"]) for job in PLAN.critical_points_jobs],
    output:
        table="results/tables/critical_points.parquet",
    log:
        "results/logs/tables/critical_points.log",
    params:
        jobs=PLAN.critical_points_jobs,
    run:
        run_script("../scripts/pipeline/stack_tables.py", locals(), config)


rule minima_table:
    input:
        tables=[minima_path(job["problem"], job["theta"]) for job in PLAN.minima_table_jobs],
        problems=[problem_path(job["problem"]) for job in PLAN.minima_table_jobs],
        networks=[network_path(**job) for job in PLAN.network_jobs],
        network_limits=[network_limits_path(**job) for job in PLAN.network_jobs],
    output:
        table="results/tables/minima.parquet",
    log:
        "results/logs/tables/minima.log",
    params:
        jobs=PLAN.minima_table_jobs,
        network_jobs=PLAN.network_jobs,
    run:
        run_script("../scripts/minima/minima_table.py", locals(), config)


rule bifurcation_table:
    input:
        tables=[bifurcation_path(**job) for job in PLAN.bifurcation_jobs],
    output:
        table="results/tables/bifurcation.parquet",
    log:
        "results/logs/tables/bifurcation.log",
    params:
        jobs=PLAN.bifurcation_jobs,
    run:
        run_script("../scripts/pipeline/stack_tables.py", locals(), config)


rule minima_counts:
    input:
        minima="results/tables/minima.parquet",
        problems=[problem_path(problem) for problem in PLAN.count_problems],
        tables=[minima_path(**job) for job in PLAN.minima_jobs],
    output:
        table="results/tables/minima_counts.parquet",
    log:
        "results/logs/tables/minima_counts.log",
    params:
        problems=PLAN.count_problems,
        jobs=PLAN.minima_jobs,
    run:
        run_script("../scripts/minima/minima_counts.py", locals(), config)


rule network_stationary:
    input:
        problem=problem_path("{problem}"),
    output:
        table=network_path("{problem}", "{model}"),
        limits=network_limits_path("{problem}", "{model}"),
    log:
        "results/logs/minima/{problem}/{model}.log",
    wildcard_constraints:
        model=names.NETWORK_PATTERN,
    params:
        settings=PLAN.settings("networks", ["starts", "seed"]),
    run:
        run_script("../scripts/minima/network_stationary.py", locals(), config)


rule network_tables:
    input:
        tables=[network_path(**job) for job in PLAN.network_jobs],
        limits=[network_limits_path(**job) for job in PLAN.network_jobs],
        problems=[problem_path(problem) for problem in PLAN.network_problems],
    output:
        points=aggregate_path("stationary_points"),
        limits=aggregate_path("network_limits"),
        counts=aggregate_path("network_counts"),
    log:
        "results/logs/tables/network_tables.log",
    params:
        jobs=PLAN.network_jobs,
        problems=PLAN.network_problems,
    run:
        run_script("../scripts/minima/network_tables.py", locals(), config)


rule xor_limits:
    input:
        trajectory=trajectory_path(**XOR),
        seeds=aggregate_path("xor_seeds"),
    output:
        table=aggregate_path("xor_limits"),
    log:
        "results/logs/tables/xor_limits.log",
    params:
        settings=PLAN.settings("xor", ["hidden"]),
    run:
        run_script("../scripts/minima/xor_limits.py", locals(), config)


rule barriers:
    input:
        problem=problem_path("{problem}"),
        minima=minima_path("{problem}", "{model}"),
    output:
        table=barriers_path("{problem}", "{model}"),
    log:
        "results/logs/barriers/{problem}/{model}.log",
    wildcard_constraints:
        model=alternatives(SCHEMA["$defs"]["theta"]["enum"]),
    params:
        settings=PLAN.settings("barriers", ["neighbours", "images"]),
    run:
        run_script("../scripts/minima/barriers.py", locals(), config)


rule network_barriers:
    input:
        problem=problem_path("{problem}"),
        minima=network_path("{problem}", "{model}"),
        limits=network_limits_path("{problem}", "{model}"),
    output:
        table=barriers_path("{problem}", "{model}"),
    log:
        "results/logs/barriers/{problem}/{model}.log",
    wildcard_constraints:
        model=names.NETWORK_PATTERN,
    params:
        settings=PLAN.settings("barriers", ["neighbours", "images"]),
    run:
        run_script("../scripts/minima/network_barriers.py", locals(), config)


rule barriers_table:
    input:
        tables=[barriers_path(**job) for job in PLAN.barrier_jobs],
        exact=[minima_path(**job) for job in PLAN.exact_minima_jobs],
        minima=aggregate_path("minima"),
    output:
        table=aggregate_path("barriers"),
        escape=aggregate_path("escape"),
    log:
        "results/logs/tables/barriers.log",
    params:
        jobs=PLAN.barrier_jobs,
        exact_jobs=PLAN.exact_minima_jobs,
    run:
        run_script("../scripts/minima/barriers_table.py", locals(), config)
