# Stage "minima": for m = 1 every critical point of E, finite and at infinity (exact);
# for m >= 2 every local minimum a multistart descent reaches (docs/minima.md).


rule critical_points_1d:
    input:
        problem="results/problems/{problem}.parquet",
    output:
        table="results/minima/{problem}/{theta}.parquet",
    log:
        "results/logs/minima/{problem}/{theta}.log",
    benchmark:
        "results/benchmarks/minima/{problem}/{theta}.tsv"
    wildcard_constraints:
        problem=ONE_WEIGHT_PATTERN,
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/minima/critical_points_1d.py"


rule critical_points_table:
    input:
        tables=get_critical_points_tables,
    output:
        table="results/tables/critical_points.parquet",
    log:
        "results/logs/tables/critical_points.log",
    benchmark:
        "results/benchmarks/tables/critical_points.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        jobs=get_critical_points_jobs(),
    script:
        "../scripts/pipeline/stack_tables.py"


rule multistart_minima:
    input:
        problem="results/problems/{problem}.parquet",
    output:
        table="results/minima/{problem}/{theta}.parquet",
    log:
        "results/logs/minima/{problem}/{theta}.log",
    benchmark:
        "results/benchmarks/minima/{problem}/{theta}.tsv"
    wildcard_constraints:
        problem=MULTISTART_PATTERN,
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        settings=get_minima_settings,
    script:
        "../scripts/minima/multistart_minima.py"


rule minima_table:
    input:
        tables=get_minima_tables,
    output:
        table="results/tables/minima.parquet",
    log:
        "results/logs/tables/minima.log",
    benchmark:
        "results/benchmarks/tables/minima.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        jobs=get_minima_jobs(),
    script:
        "../scripts/pipeline/stack_tables.py"
