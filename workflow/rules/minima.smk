# Stage "minima": for m = 1 every critical point of E, finite and at infinity.


rule critical_points_1d:
    input:
        problem="results/problems/{problem}.parquet",
    output:
        table="results/minima/{problem}/{theta}.parquet",
    log:
        "results/logs/minima/{problem}/{theta}.log",
    benchmark:
        "results/benchmarks/minima/{problem}/{theta}.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/critical_points_1d.py"


rule critical_points_table:
    input:
        tables=get_critical_points_tables,
    output:
        table="results/tables/critical_points.parquet",
    log:
        "results/logs/tables/critical_points.log",
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        jobs=get_critical_points_jobs(),
    script:
        "../scripts/stack_tables.py"
