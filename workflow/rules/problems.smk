# Stage "problems": one data set (u, y) per job, results/problems/{problem}.parquet.


rule n2m1_problem:
    output:
        table="results/problems/n2m1/type{kind}_a{a}.parquet",
    log:
        "results/logs/problems/n2m1/type{kind}_a{a}.log",
    benchmark:
        "results/benchmarks/problems/n2m1/type{kind}_a{a}.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        kind=lambda wildcards: int(wildcards.kind),
        a=lambda wildcards: float(wildcards.a),
    script:
        "../scripts/n2m1_problem.py"
