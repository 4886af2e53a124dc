# Stage "trajectories": gradient flow (log time) and discrete backprop per (problem,
# theta), on the scalar example, the chosen type-3 examples, the random problems and the
# user's files; batch backprop of the XOR network of Figure 5; and networks of realistic
# size on the data sets of the scale section (flow to t_max, backprop, every weight).


rule trajectory:
    input:
        problem=problem_path("{problem}"),
    output:
        table=trajectory_path("{problem}", "{theta}", "{method}"),
    log:
        "results/logs/trajectories/{problem}/{theta}/{method}.log",
    params:
        settings=lambda wildcards: PLAN.trajectory_settings(wildcards.method),
    run:
        run_script("../scripts/trajectories/trajectory.py", locals(), config)


rule xor_backprop:
    output:
        table=trajectory_path(**XOR),
        seeds="results/tables/xor_seeds.parquet",
    log:
        "results/logs/trajectories/xor/logistic/backprop.log",
    conda:
        "../envs/backprop.yaml"
    params:
        settings=PLAN.settings("xor"),
    script:
        "../scripts/trajectories/xor_backprop.py"


rule network_trajectory:
    input:
        problem=problem_path("{problem}"),
    output:
        table=trajectory_path("{problem}", "{network}", "{method}"),
        samples=trajectory_samples_path("{problem}", "{network}", "{method}"),
    log:
        "results/logs/trajectories/{problem}/{network}/{method}.log",
    conda:
        "../envs/backprop.yaml"
    params:
        settings=lambda wildcards: PLAN.scale_settings("trajectories", wildcards.method),
    script:
        "../scripts/trajectories/network_trajectory.py"
