# Stage "minima": for one weight every critical point of E, finite and at infinity
# (exact); for m >= 2 every local minimum a multistart descent reaches, in batches until
# the estimated missed mass is below its target (docs/minima.md); the fold a* of the
# type-3 example; every problem's minima in one table; the counts of open questions 1
# and 2 with what they may miss.


rule critical_points_1d:
    input:
        problem=problem_path("{problem}"),
    output:
        table=minima_path("{problem}", "{theta}"),
    log:
        "results/logs/minima/{problem}/{theta}.log",
    benchmark:
        "results/benchmarks/minima/{problem}/{theta}.tsv"
    wildcard_constraints:
        problem=PLAN.one_weight_pattern,
    conda:
        "../envs/backprop.yaml"
    script:
        "../scripts/minima/critical_points_1d.py"


rule multistart_minima:
    input:
        problem=problem_path("{problem}"),
    output:
        table=minima_path("{problem}", "{theta}"),
    log:
        "results/logs/minima/{problem}/{theta}.log",
    benchmark:
        "results/benchmarks/minima/{problem}/{theta}.tsv"
    wildcard_constraints:
        problem=PLAN.multistart_pattern,
    conda:
        "../envs/backprop.yaml"
    params:
        settings=PLAN.multistart_settings(),
    script:
        "../scripts/minima/multistart_minima.py"


rule type3_bifurcation:
    output:
        table=bifurcation_path("{theta}"),
    log:
        "results/logs/bifurcation/{theta}.log",
    benchmark:
        "results/benchmarks/bifurcation/{theta}.tsv"
    conda:
        "../envs/backprop.yaml"
    script:
        "../scripts/minima/type3_bifurcation.py"


rule critical_points_table:
    input:
        tables=[minima_path(job["problem"], job["theta"]) for job in PLAN.critical_points_jobs],
    output:
        table="results/tables/critical_points.parquet",
    log:
        "results/logs/tables/critical_points.log",
    benchmark:
        "results/benchmarks/tables/critical_points.tsv"
    conda:
        "../envs/backprop.yaml"
    params:
        jobs=PLAN.critical_points_jobs,
    script:
        "../scripts/pipeline/stack_tables.py"


rule minima_table:
    input:
        tables=[minima_path(job["problem"], job["theta"]) for job in PLAN.minima_table_jobs],
        problems=[problem_path(job["problem"]) for job in PLAN.minima_table_jobs],
    output:
        table="results/tables/minima.parquet",
    log:
        "results/logs/tables/minima.log",
    benchmark:
        "results/benchmarks/tables/minima.tsv"
    conda:
        "../envs/backprop.yaml"
    params:
        jobs=PLAN.minima_table_jobs,
    script:
        "../scripts/minima/minima_table.py"


rule bifurcation_table:
    input:
        tables=[bifurcation_path(**job) for job in PLAN.bifurcation_jobs],
    output:
        table="results/tables/bifurcation.parquet",
    log:
        "results/logs/tables/bifurcation.log",
    benchmark:
        "results/benchmarks/tables/bifurcation.tsv"
    conda:
        "../envs/backprop.yaml"
    params:
        jobs=PLAN.bifurcation_jobs,
    script:
        "../scripts/pipeline/stack_tables.py"


rule minima_counts:
    input:
        minima="results/tables/minima.parquet",
        problems=[problem_path(problem) for problem in PLAN.count_problems],
        tables=[minima_path(**job) for job in PLAN.minima_jobs],
    output:
        table="results/tables/minima_counts.parquet",
    log:
        "results/logs/tables/minima_counts.log",
    benchmark:
        "results/benchmarks/tables/minima_counts.tsv"
    conda:
        "../envs/backprop.yaml"
    params:
        problems=PLAN.count_problems,
        jobs=PLAN.minima_jobs,
    script:
        "../scripts/minima/minima_counts.py"
