# Stage "logrule": growth laws of diverging weights, the Lemma, and the implicit bias.


rule growth_laws:
    input:
        problem="results/problems/{problem}.parquet",
        trajectory="results/trajectories/{problem}/{theta}/{method}.parquet",
    output:
        table="results/logrule/{problem}/{theta}/{method}.parquet",
    log:
        "results/logs/logrule/{problem}/{theta}/{method}.log",
    benchmark:
        "results/benchmarks/logrule/{problem}/{theta}/{method}.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        tail_decades=config["logrule"]["tail_decades"],
    script:
        "../scripts/logrule/growth_laws.py"


rule xor_growth_laws:
    input:
        trajectory="results/trajectories/xor/logistic/backprop.parquet",
    output:
        table="results/logrule/xor/logistic/backprop.parquet",
    log:
        "results/logs/logrule/xor/logistic/backprop.log",
    benchmark:
        "results/benchmarks/logrule/xor/logistic/backprop.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        tail_decades=config["logrule"]["tail_decades"],
    script:
        "../scripts/logrule/growth_laws.py"


rule growth_laws_table:
    input:
        tables=get_growth_law_tables,
    output:
        table="results/tables/growth_laws.parquet",
    log:
        "results/logs/tables/growth_laws.log",
    benchmark:
        "results/benchmarks/tables/growth_laws.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        jobs=get_growth_law_jobs(),
    script:
        "../scripts/pipeline/stack_tables.py"


rule implicit_bias:
    input:
        problem="results/problems/{problem}.parquet",
        trajectory="results/trajectories/{problem}/{theta}/flow.parquet",
    output:
        table="results/implicit_bias/{problem}/{theta}.parquet",
        angles="results/implicit_bias/{problem}/{theta}_angles.parquet",
    log:
        "results/logs/implicit_bias/{problem}/{theta}.log",
    benchmark:
        "results/benchmarks/implicit_bias/{problem}/{theta}.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        tail_decades=config["logrule"]["tail_decades"],
    script:
        "../scripts/logrule/implicit_bias.py"


rule implicit_bias_table:
    input:
        tables=get_implicit_bias_tables,
    output:
        table="results/tables/implicit_bias.parquet",
    log:
        "results/logs/tables/implicit_bias.log",
    benchmark:
        "results/benchmarks/tables/implicit_bias.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        jobs=get_lemma_jobs(),
    script:
        "../scripts/pipeline/stack_tables.py"


rule lemma_table:
    input:
        unpack(get_lemma_inputs),
    output:
        table="results/tables/lemma.parquet",
    log:
        "results/logs/tables/lemma.log",
    benchmark:
        "results/benchmarks/tables/lemma.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        jobs=get_lemma_jobs(),
        tail_decades=config["logrule"]["tail_decades"],
    script:
        "../scripts/logrule/lemma_table.py"
