# Stage "trajectories": gradient flow and discrete backprop per (problem, theta), and XOR.


rule trajectory:
    input:
        problem="results/problems/{problem}.parquet",
    output:
        table="results/trajectories/{problem}/{theta}/{method}.parquet",
    log:
        "results/logs/trajectories/{problem}/{theta}/{method}.log",
    benchmark:
        "results/benchmarks/trajectories/{problem}/{theta}/{method}.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=get_trajectory_params,
    script:
        "../scripts/trajectories/trajectory.py"


rule xor_backprop:
    output:
        table="results/trajectories/xor/logistic/backprop.parquet",
        seeds="results/tables/xor_seeds.parquet",
    log:
        "results/logs/trajectories/xor/logistic/backprop.log",
    benchmark:
        "results/benchmarks/trajectories/xor/logistic/backprop.tsv"
    conda:
        "../envs/backprop.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        settings=config["xor"],
    script:
        "../scripts/trajectories/xor_backprop.py"
