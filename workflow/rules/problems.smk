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
        family="n2m1",
        name=lambda wildcards: f"n2m1/type{wildcards.kind}_a{wildcards.a}",
        spec=lambda wildcards: {"kind": int(wildcards.kind), "a": float(wildcards.a)},
    script:
        "../scripts/problems/problem.py"


rule scalar_problem:
    output:
        table="results/problems/scalar.parquet",
    log:
        "results/logs/problems/scalar.log",
    benchmark:
        "results/benchmarks/problems/scalar.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        family="scalar",
        name="scalar",
        spec={},
    script:
        "../scripts/problems/problem.py"


rule random_problem:
    output:
        table="results/problems/random/n{n}_m{m}_{sep}_s{seed}.parquet",
    log:
        "results/logs/problems/random/n{n}_m{m}_{sep}_s{seed}.log",
    benchmark:
        "results/benchmarks/problems/random/n{n}_m{m}_{sep}_s{seed}.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        family="random",
        name=lambda wildcards: f"random/n{wildcards.n}_m{wildcards.m}_{wildcards.sep}_s{wildcards.seed}",
        spec=get_random_spec,
    script:
        "../scripts/problems/problem.py"


rule file_problem:
    input:
        data=get_data_file,
    output:
        table="results/problems/file/{name}.parquet",
    log:
        "results/logs/problems/file/{name}.log",
    benchmark:
        "results/benchmarks/problems/file/{name}.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        family="file",
        name=lambda wildcards: f"file/{wildcards.name}",
        spec=lambda wildcards, input: {"path": input.data, "name": wildcards.name},
    script:
        "../scripts/problems/problem.py"


rule product_problem:
    output:
        table="results/problems/product/m{m}_a{a}.parquet",
    log:
        "results/logs/problems/product/m{m}_a{a}.log",
    benchmark:
        "results/benchmarks/problems/product/m{m}_a{a}.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        family="product",
        name=lambda wildcards: f"product/m{wildcards.m}_a{wildcards.a}",
        spec=lambda wildcards: {"m": int(wildcards.m), "a": float(wildcards.a)},
    script:
        "../scripts/problems/problem.py"


rule task_problem:
    output:
        table="results/problems/task/{task}_n{n}_s{seed}{shuffled}.parquet",
    log:
        "results/logs/problems/task/{task}_n{n}_s{seed}{shuffled}.log",
    benchmark:
        "results/benchmarks/problems/task/{task}_n{n}_s{seed}{shuffled}.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        family="task",
        name=lambda wildcards: "task/{task}_n{n}_s{seed}{shuffled}".format(**wildcards),
        spec=get_task_spec,
    script:
        "../scripts/problems/problem.py"
